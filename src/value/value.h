// value.h: the Valk value, one trivially copyable 64-bit word with no dependencies.
// Low bit 1: a 63-bit integer (fixnum). Low bits 10: a float held in the word (flonum, below).
// Low bits 000: a pointer to a heap object. Low bits 100: an immediate (the empty Q-expression {},
// the empty S-expression (), the unbound marker).
#pragma once

#include <bit>
#include <cstdint>

namespace valk {

struct Object;

class Value {
 public:
  static constexpr int64_t kFixnumMin = -(int64_t(1) << 62);
  static constexpr int64_t kFixnumMax = (int64_t(1) << 62) - 1;

  constexpr Value() = default;

  static constexpr Value from_bits(uint64_t bits) {
    Value v;
    v.bits_ = bits;
    return v;
  }
  static constexpr bool fits_fixnum(int64_t i) { return i >= kFixnumMin && i <= kFixnumMax; }
  // Only for integers that fit; make_int (value/object.h) boxes the others.
  static constexpr Value fixnum(int64_t i) { return from_bits((uint64_t(i) << 1) | 1); }
  static Value object(const Object* o) { return from_bits(reinterpret_cast<uint64_t>(o)); }
  static constexpr Value undefined() { return from_bits(kUndefinedBits); }
  static constexpr Value nil() { return from_bits(kNilBits); }                // {}
  static constexpr Value empty_sexpr() { return from_bits(kEmptySexprBits); }  // ()

  // Flonums, after Ruby's: a double whose biased exponent lies in [0x300, 0x4FF] (magnitudes from
  // about 1.7e-77 to 1.2e77) has 011 or 100 as its top three exponent bits. Adding kFlonumBias
  // makes them 100 or 101, so that rotating the word left by 3 brings 10 to bits 1-0, the tag;
  // decoding rotates back and subtracts (Ruby's rebuilds the exponent's top bits from the word's
  // top bit: twice the instructions). +0.0 has its own word; -0.0, subnormals, inf, nan and the
  // other magnitudes stay boxed (make_float, value/make.h). Every flonum is nonzero and none has
  // a pointer's low bits, so tables and the collector never mistake one.
  // flonum_or_undefined: the flonum holding d, or undefined when d does not fit.
  static constexpr Value flonum_or_undefined(double d) {
    uint64_t b = std::bit_cast<uint64_t>(d);
    uint64_t w = flonum_word(b);
    if ((w & 3) == 2 && w != kFlonumZero) return from_bits(w);
    return b == 0 ? from_bits(kFlonumZero) : undefined();
  }
  constexpr bool is_flonum() const { return (bits_ & 3) == 2; }
  constexpr double flonum_value() const {
    if (bits_ == kFlonumZero) return 0.0;
    return std::bit_cast<double>(std::rotr(bits_, 3) - kFlonumBias);
  }

  constexpr bool is_fixnum() const { return (bits_ & 1) != 0; }
  constexpr int64_t fixnum_value() const { return int64_t(bits_) >> 1; }
  constexpr bool is_object() const { return (bits_ & 7) == 0 && bits_ != 0; }
  Object* obj() const { return reinterpret_cast<Object*>(bits_); }
  template <class T>
  T* as() const {
    return reinterpret_cast<T*>(bits_);
  }
  constexpr bool is_undefined() const { return bits_ == kUndefinedBits; }
  constexpr bool is_nil() const { return bits_ == kNilBits; }
  constexpr bool is_empty_sexpr() const { return bits_ == kEmptySexprBits; }
  constexpr bool is_empty_list() const { return is_nil() || is_empty_sexpr(); }
  constexpr uint64_t bits() const { return bits_; }

  // Identity, not structural equality (see value/equal.h for Valk's ==).
  friend constexpr bool operator==(Value a, Value b) { return a.bits_ == b.bits_; }
  friend constexpr bool operator!=(Value a, Value b) { return a.bits_ != b.bits_; }

 private:
  static constexpr uint64_t kUndefinedBits = 0x04;
  static constexpr uint64_t kNilBits = 0x0C;
  static constexpr uint64_t kEmptySexprBits = 0x14;
  static constexpr uint64_t kFlonumBias = uint64_t(1) << 60;  // 1 in the exponent's third bit
  static constexpr uint64_t flonum_word(uint64_t double_bits) { return std::rotl(double_bits + kFlonumBias, 3); }
  // +0.0's word. The one double of the range whose word it would be (0x3000000000000000, about
  // 1.7e-77) is boxed.
  static constexpr uint64_t kFlonumZero = 0x2;
  uint64_t bits_ = kUndefinedBits;
};

static_assert(sizeof(Value) == 8, "a Value is one machine word");

}  // namespace valk
