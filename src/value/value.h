// value.h: the Valk value, one trivially copyable 64-bit word with no dependencies.
// Low bit 1: a 63-bit integer (fixnum). Low bits 000: a pointer to a heap object. Low bits 010:
// an immediate (the empty Q-expression {}, the empty S-expression (), the unbound marker).
#pragma once

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
  static constexpr uint64_t kUndefinedBits = 0x02;
  static constexpr uint64_t kNilBits = 0x0A;
  static constexpr uint64_t kEmptySexprBits = 0x12;
  uint64_t bits_ = kUndefinedBits;
};

static_assert(sizeof(Value) == 8, "a Value is one machine word");

}  // namespace valk
