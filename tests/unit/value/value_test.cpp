// value_test.cpp: the Value word: fixnums, immediates, object pointers.
#include "value/value.h"

#include <gtest/gtest.h>

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

}  // namespace
}  // namespace valk
