// number_test.cpp: the number syntax shared by the reader and parse-number (number.cpp).
#include "read/number.h"

#include <gtest/gtest.h>

#include "config/limits.h"
#include "value/object.h"

namespace valk {
namespace {

TEST(Number, ClassifiesIntegersFloatsAndTheRest) {
  EXPECT_EQ(classify_number("12"), NumberSyntax::kInteger);
  EXPECT_EQ(classify_number("-12"), NumberSyntax::kInteger);
  EXPECT_EQ(classify_number("1.5"), NumberSyntax::kFloat);
  EXPECT_EQ(classify_number("-1e-5"), NumberSyntax::kFloat);
  EXPECT_EQ(classify_number("1E+5"), NumberSyntax::kFloat);
  for (const char* s : {"", "-", "+1", "1.", ".5", "1e", "1e+", "5abc", "1.5.5", "0x10", "inf", "nan"}) {
    EXPECT_EQ(classify_number(s), NumberSyntax::kNotNumber) << s;
  }
}

TEST(Number, ParsesOrNamesTheRangeError) {
  Heap heap{HeapConfig{limits::kDefaultNurseryBytes, 0, false, false}};
  std::string error;
  Value v = parse_number(heap, "-0.5", NumberSyntax::kFloat, &error);
  ASSERT_TRUE(is_float(v));
  EXPECT_EQ(float_value(v), -0.5);
  EXPECT_EQ(int_value(parse_number(heap, "-9223372036854775808", NumberSyntax::kInteger, &error)), INT64_MIN);
  EXPECT_TRUE(parse_number(heap, "9223372036854775808", NumberSyntax::kInteger, &error).is_undefined());
  EXPECT_EQ(error, "integer out of range: 9223372036854775808");
  EXPECT_TRUE(parse_number(heap, "-1e400", NumberSyntax::kFloat, &error).is_undefined());
  EXPECT_EQ(error, "float out of range: -1e400");
  EXPECT_EQ(float_value(parse_number(heap, "1e-400", NumberSyntax::kFloat, &error)), 0.0);
}

}  // namespace
}  // namespace valk
