// teach_test.cpp: the hints of repl/teach.cpp: which bound name is suggested, which source line
// is found, and where hints go in a formatted error.
#include "repl/teach.h"

#include <gtest/gtest.h>

#include "value/make.h"

namespace valk {
namespace {

TEST(Teach, ClosestBoundName) {
  VM vm;
  EXPECT_EQ(closest_bound_name(vm, "lenn"), "len");
  EXPECT_EQ(closest_bound_name(vm, "fliter"), "filter");  // two edits for longer names
  EXPECT_EQ(closest_bound_name(vm, "zzzzqqq"), "");
  EXPECT_EQ(closest_bound_name(vm, "q"), "");  // too short to guess
  EXPECT_NE(closest_bound_name(vm, "len"), "len");  // never the name itself
}

TEST(Teach, HintsFollowTheFirstLine) {
  EXPECT_EQ(with_hints("a: msg\n  in f", "hint: h\n"), "a: msg\nhint: h\n  in f");
  EXPECT_EQ(with_hints("a: msg", "hint: h\n"), "a: msg\nhint: h");
  EXPECT_EQ(with_hints("a: msg\n  in f", ""), "a: msg\n  in f");
}

TEST(Teach, LinesOfText) {
  EXPECT_EQ(line_of_text("one\ntwo\nthree", 1, 2), "two");
  EXPECT_EQ(line_of_text("one\ntwo", 5, 6), "two");
  EXPECT_EQ(line_of_text("one\ntwo", 5, 4), "");
  EXPECT_EQ(line_of_text("one\ntwo", 1, 3), "");
  EXPECT_EQ(line_of_file("/nonexistent/file.valk", 1), "");
}

TEST(Teach, NoHintForOtherErrors) {
  VM vm;
  Value e = vm.error("Division By Zero");
  EXPECT_EQ(error_hints(vm, e, "(/ 1 0)"), "");
  Value unbound = vm.error("LEnv: Symbol `x` is not bound");
  EXPECT_EQ(error_hints(vm, unbound, ""), "");  // no source line, no close name
}

}  // namespace
}  // namespace valk
