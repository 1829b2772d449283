// strformat_test.cpp: lib/strformat.cpp called directly (as the fuzz target calls it): every
// conversion, flag, width and precision, and the errors, with the exact messages.
#include "lib/strformat.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <vector>

#include "config/limits.h"
#include "gc/heap.h"
#include "value/make.h"


namespace valk {
namespace {

class StrFormat : public ::testing::Test {
 protected:
  Heap heap{HeapConfig{}};
  std::string out;
  std::string run(std::string_view fmt, std::vector<Value> args) {
    out.clear();
    std::string e = format_values(fmt, args, out);
    return e.empty() ? out : "Error: " + e;
  }
  Value s(std::string_view text) { return make_string(heap, text); }
  Value i(int64_t n) { return make_int(heap, n); }
};

TEST_F(StrFormat, Conversions) {
  EXPECT_EQ(run("%s|%d|%x|%X|%f|%%", {s("a"), i(-3), i(171), i(171), i(2)}), "a|-3|ab|AB|2.000000|%");
  EXPECT_EQ(run("%s", {Value::nil()}), "{}");
  EXPECT_EQ(run("%d", {i(INT64_MIN)}), "-9223372036854775808");
  EXPECT_EQ(run("%X", {i(INT64_MAX)}), "7FFFFFFFFFFFFFFF");
}

TEST_F(StrFormat, FlagsWidthAndPrecision) {
  EXPECT_EQ(run("[%4s][%-4s][%04d][%-04d][%+4d]", {s("ab"), s("ab"), i(-7), i(7), i(7)}),
            "[  ab][ab  ][-007][7   ][  +7]");
  EXPECT_EQ(run("[%.1s][%3.1s]", {s("\xC3\xA9t\xC3\xA9"), s("xyz")}), "[\xC3\xA9][  x]");
  EXPECT_EQ(run("[%.0f][%010.3f][%-8.2f]", {i(3), i(-2), i(1)}), "[3][-00002.000][1.00    ]");
  EXPECT_EQ(run("[%5.3x]", {i(10)}), "[  00a]");
}

TEST_F(StrFormat, Errors) {
  EXPECT_EQ(run("%", {}), "Error: str/format: the format ends inside the directive %");
  EXPECT_EQ(run("%l", {i(1)}), "Error: str/format: unknown directive %l (use %s, %d, %x, %X, %f or %%)");
  EXPECT_EQ(run("%d", {s("x")}), "Error: str/format: argument 2 must be an Integer for %d, got String");
  EXPECT_EQ(run("%s %s", {s("x")}), "Error: str/format: the format needs more arguments than the 1 given");
  EXPECT_EQ(run("", {s("x")}), "Error: str/format: 1 argument(s) left over by the format");
}

TEST_F(StrFormat, WidthLimit) {
  std::string at = "%" + std::to_string(limits::kMaxFormatWidth) + "s";
  EXPECT_EQ(run(at, {s("")}).size(), limits::kMaxFormatWidth);
  std::string above = "%" + std::to_string(limits::kMaxFormatWidth + 1) + "s";
  EXPECT_EQ(run(above, {s("")}), "Error: str/format: a width or precision above " +
                                     std::to_string(limits::kMaxFormatWidth) + " in %" +
                                     std::to_string(limits::kMaxFormatWidth + 1).substr(0, 5) + "...");
}

}  // namespace
}  // namespace valk
