// number_test.cpp: the number syntax shared by the reader and parse-number (number.cpp).
#include "read/number.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <cstring>
#include <random>
#include <string>

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

// Short decimals take a fast path (number.cpp): each must be the double the general conversion
// gives, bit for bit, at the edges (15 and 16 digits, halfway cases, signs, zeros) and at random.
TEST(Number, ShortDecimalsAreTheNearestDouble) {
  Heap heap{HeapConfig{limits::kDefaultNurseryBytes, 0, false, false}};
  std::string error;
  auto same = [&](const std::string& s) {
    double want = std::strtod(s.c_str(), nullptr);
    double got = float_value(parse_number(heap, s, NumberSyntax::kFloat, &error));
    EXPECT_EQ(std::memcmp(&want, &got, sizeof want), 0) << s << ": " << got << " want " << want;
  };
  for (const char* s : {"0.1", "0.2", "0.3", "-0.0", "0.0", "1.0", "123456789012345.0", "12345678901234.5",
                        "0.000000000000001", "9007199254740.993", "999999999999999.9", "2.675",
                        "1.005", "0.1234567890123456789", "-314159265358979.3"}) {
    same(s);
  }
  std::mt19937_64 rng(7);
  for (int i = 0; i < 20000; ++i) {
    std::string digits = std::to_string(rng() % 1000000000000000000ull);
    digits = digits.substr(0, 1 + rng() % digits.size());
    size_t point = rng() % digits.size();
    same((rng() % 2 ? "-" : "") + digits.substr(0, point + 1) + "." + (point + 1 < digits.size() ? digits.substr(point + 1) : "0"));
  }
}

}  // namespace
}  // namespace valk
