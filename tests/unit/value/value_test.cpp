// value_test.cpp: the Value word (value.h): fixnums, flonums, immediates, object pointers, identity.
// Only the word itself: boxing of large integers is in make_test.cpp.
#include "value/value.h"

#include <gtest/gtest.h>

#include <bit>
#include <cmath>
#include <cstdint>
#include <limits>
#include <type_traits>

namespace valk {
namespace {

TEST(Value, FixnumsRoundTrip) {
  for (int64_t i : {int64_t(0), int64_t(1), int64_t(-1), Value::kFixnumMax, Value::kFixnumMin}) {
    Value v = Value::fixnum(i);
    EXPECT_TRUE(v.is_fixnum());
    EXPECT_FALSE(v.is_object());
    EXPECT_EQ(v.fixnum_value(), i);
  }
}

TEST(Value, FitsFixnumBounds) {
  EXPECT_TRUE(Value::fits_fixnum(Value::kFixnumMax));
  EXPECT_FALSE(Value::fits_fixnum(Value::kFixnumMax + 1));
  EXPECT_TRUE(Value::fits_fixnum(Value::kFixnumMin));
  EXPECT_FALSE(Value::fits_fixnum(Value::kFixnumMin - 1));
}

TEST(Value, ImmediatesAreDistinct) {
  EXPECT_TRUE(Value::nil().is_nil());
  EXPECT_TRUE(Value::empty_sexpr().is_empty_sexpr());
  EXPECT_NE(Value::nil(), Value::empty_sexpr());
  EXPECT_TRUE(Value().is_undefined());
  EXPECT_FALSE(Value::nil().is_object());
  EXPECT_FALSE(Value::nil().is_fixnum());
}

TEST(Value, FixnumBoundsAreSixtyThreeBits) {
  EXPECT_EQ(Value::kFixnumMax, (int64_t(1) << 62) - 1);
  EXPECT_EQ(Value::kFixnumMin, -(int64_t(1) << 62));
  EXPECT_FALSE(Value::fits_fixnum(INT64_MAX));
  EXPECT_FALSE(Value::fits_fixnum(INT64_MIN));
  EXPECT_TRUE(Value::fits_fixnum(0));
}

TEST(Value, FixnumTagIsLowBit) {
  EXPECT_EQ(Value::fixnum(0).bits(), 1u);
  EXPECT_EQ(Value::fixnum(1).bits(), 3u);
  EXPECT_EQ(Value::fixnum(-1).bits() & 1, 1u);
  EXPECT_EQ(Value::fixnum(-1).fixnum_value(), -1);
}

TEST(Value, NegativeFixnumsKeepTheirSign) {
  for (int64_t i = -1000; i <= 1000; i += 7) {
    EXPECT_EQ(Value::fixnum(i).fixnum_value(), i);
  }
  EXPECT_EQ(Value::fixnum(Value::kFixnumMin + 1).fixnum_value(), Value::kFixnumMin + 1);
  EXPECT_EQ(Value::fixnum(Value::kFixnumMax - 1).fixnum_value(), Value::kFixnumMax - 1);
}

TEST(Value, EmptyListsAreBothEmpty) {
  EXPECT_TRUE(Value::nil().is_empty_list());
  EXPECT_TRUE(Value::empty_sexpr().is_empty_list());
  EXPECT_FALSE(Value::undefined().is_empty_list());
  EXPECT_FALSE(Value::fixnum(0).is_empty_list());
}

TEST(Value, ImmediatesAreNeitherFixnumsNorObjects) {
  for (Value v : {Value::nil(), Value::empty_sexpr(), Value::undefined()}) {
    EXPECT_FALSE(v.is_fixnum());
    EXPECT_FALSE(v.is_object());
  }
  EXPECT_TRUE(Value::undefined().is_undefined());
  EXPECT_FALSE(Value::nil().is_undefined());
  EXPECT_FALSE(Value::empty_sexpr().is_nil());
}

TEST(Value, ZeroBitsAreNotAnObject) {
  EXPECT_FALSE(Value::from_bits(0).is_object());
  EXPECT_FALSE(Value::from_bits(0).is_fixnum());
}

TEST(Value, AlignedPointersAreObjects) {
  alignas(8) static uint64_t storage[2] = {0, 0};
  auto* o = reinterpret_cast<const Object*>(&storage[0]);
  Value v = Value::object(o);
  EXPECT_TRUE(v.is_object());
  EXPECT_FALSE(v.is_fixnum());
  EXPECT_FALSE(v.is_undefined());
  EXPECT_EQ(v.obj(), o);
  EXPECT_EQ(v.as<uint64_t>(), &storage[0]);
  EXPECT_EQ(v.bits(), reinterpret_cast<uint64_t>(o));
}

TEST(Value, EqualityIsIdentity) {
  EXPECT_EQ(Value::fixnum(5), Value::fixnum(5));
  EXPECT_NE(Value::fixnum(5), Value::fixnum(6));
  EXPECT_EQ(Value::from_bits(Value::nil().bits()), Value::nil());
  alignas(8) static uint64_t a[2], b[2];
  EXPECT_NE(Value::object(reinterpret_cast<const Object*>(a)),
            Value::object(reinterpret_cast<const Object*>(b)));
}

// ---- flonums: doubles held in the word ------------------------------------------------------

bool fits_flonum(double d) { return !Value::flonum_or_undefined(d).is_undefined(); }

// The smallest and largest doubles with a biased exponent of 0x300 and 0x4FF.
constexpr double kFlonumLow = std::bit_cast<double>(uint64_t(0x300) << 52);
constexpr double kFlonumHigh = std::bit_cast<double>((uint64_t(0x500) << 52) - 1);

TEST(Value, FlonumsRoundTripBitForBit) {
  for (double d : {0.0, 1.0, -1.0, 0.5, 1.5, -0.25, 1e9, 3.141592653589793, 1e-70, -1e70, 0.001,
                   std::nextafter(1.0, 2.0), kFlonumHigh, -kFlonumHigh, std::nextafter(kFlonumLow, 1.0)}) {
    ASSERT_TRUE(fits_flonum(d)) << d;
    Value v = Value::flonum_or_undefined(d);
    EXPECT_TRUE(v.is_flonum()) << d;
    EXPECT_FALSE(v.is_fixnum()) << d;
    EXPECT_FALSE(v.is_object()) << d;
    EXPECT_NE(v.bits(), 0u) << d;
    EXPECT_EQ(std::bit_cast<uint64_t>(v.flonum_value()), std::bit_cast<uint64_t>(d)) << d;
  }
}

TEST(Value, FlonumRangeEdges) {
  // Just outside the exponent range on either side: boxed.
  EXPECT_FALSE(fits_flonum(std::nextafter(kFlonumLow, 0.0)));
  EXPECT_FALSE(fits_flonum(std::nextafter(kFlonumHigh, INFINITY)));
  EXPECT_FALSE(fits_flonum(-std::nextafter(kFlonumHigh, INFINITY)));
  EXPECT_FALSE(fits_flonum(1e-78));
  EXPECT_FALSE(fits_flonum(1e78));
  // kFlonumLow itself is the one double of the range whose word would be +0.0's.
  EXPECT_FALSE(fits_flonum(kFlonumLow));
  EXPECT_TRUE(fits_flonum(-kFlonumLow));
  EXPECT_EQ(Value::flonum_or_undefined(-kFlonumLow).flonum_value(), -kFlonumLow);
}

TEST(Value, SpecialDoublesAreNotFlonumsExceptPlusZero) {
  EXPECT_TRUE(fits_flonum(0.0));
  EXPECT_FALSE(std::signbit(Value::flonum_or_undefined(0.0).flonum_value()));
  for (double d : {-0.0, double(INFINITY), -double(INFINITY), double(NAN), std::numeric_limits<double>::denorm_min(),
                   std::numeric_limits<double>::min(), std::numeric_limits<double>::max(),
                   std::numeric_limits<double>::lowest()}) {
    EXPECT_FALSE(fits_flonum(d)) << d;
  }
}

TEST(Value, FlonumsAreDistinctFromImmediatesAndEachOther) {
  Value zero = Value::flonum_or_undefined(0.0), one = Value::flonum_or_undefined(1.0);
  for (Value v : {Value::nil(), Value::empty_sexpr(), Value::undefined(), Value::fixnum(0), Value::fixnum(1)}) {
    EXPECT_NE(v, zero);
    EXPECT_NE(v, one);
    EXPECT_FALSE(v.is_flonum());
  }
  EXPECT_NE(zero, one);
  EXPECT_EQ(Value::flonum_or_undefined(1.0), one);
}

TEST(Value, FlonumTagIsLowBitsOneZero) {
  for (double d : {0.0, 1.0, -2.0, 1e-50}) EXPECT_EQ(Value::flonum_or_undefined(d).bits() & 3, 2u) << d;
  EXPECT_EQ(Value::nil().bits() & 7, 4u);
  EXPECT_EQ(Value::empty_sexpr().bits() & 7, 4u);
  EXPECT_EQ(Value::undefined().bits() & 7, 4u);
}

TEST(Value, IsOneTriviallyCopyableWord) {
  static_assert(sizeof(Value) == 8);
  static_assert(std::is_trivially_copyable_v<Value>);
  constexpr Value v = Value::fixnum(42);
  static_assert(v.fixnum_value() == 42);
  SUCCEED();
}

}  // namespace
}  // namespace valk
