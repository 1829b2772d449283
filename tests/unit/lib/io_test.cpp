// io_test.cpp: print and printf of lib/io.cpp: display formatting, the directives %s %d %ld %%,
// and the errors of a format that does not match its arguments.
#include <gtest/gtest.h>

#include "../vm/harness.h"

namespace valk {
namespace {

using test::Harness;

TEST(IoPrint, WritesDisplayFormsSeparatedBySpaces) {
  Harness h;
  EXPECT_EQ(h.eval("(print \"a\" 1 {\"b\" c} (+ 1 2))"), "()");
  EXPECT_EQ(h.out(), "a 1 {\"b\" c} 3\n");
  EXPECT_EQ(h.eval("(print \"line\\nbreak\\ttab\")"), "()");
  EXPECT_EQ(h.out(), "line\nbreak\ttab\n");
}

TEST(IoPrint, PrintsEveryKindOfValue) {
  Harness h;
  EXPECT_EQ(h.eval("(print {} () head (\\ {x y} {x}) ((\\ {x y} {x}) 1) -5)"), "()");
  EXPECT_EQ(h.out(), "{} () <builtin head> <lambda {x y}> <lambda {y}> -5\n");
  EXPECT_EQ(h.eval("(print 4611686018427387904 {(+ 1 2) {\"q\"}})"), "()");
  EXPECT_EQ(h.out(), "4611686018427387904 {(+ 1 2) {\"q\"}}\n");
}

TEST(IoPrint, NoArgumentsPrintsAnEmptyLine) {
  Harness h;
  EXPECT_EQ(h.show(h.vm().call(h.vm().sym("print")->global, {})), "()");
  EXPECT_EQ(h.out(), "\n");
  EXPECT_EQ(h.eval("(print)"), "<builtin print>");
}

TEST(IoPrintf, FormatsItsDirectives) {
  Harness h;
  EXPECT_EQ(h.eval("(printf \"%s|%d|%ld|%%|%s\\n\" \"str\" 42 -7 {1 \"a\"})"), "()");
  EXPECT_EQ(h.out(), "str|42|-7|%|{1 \"a\"}\n");
  EXPECT_EQ(h.eval("(printf \"no newline\")"), "()");
  EXPECT_EQ(h.out(), "no newline");
  EXPECT_EQ(h.eval("(printf \"%d\" 9223372036854775807)"), "()");
  EXPECT_EQ(h.out(), "9223372036854775807");
  EXPECT_EQ(h.eval("(printf \"%s and %s\" 12 head)"), "()");
  EXPECT_EQ(h.out(), "12 and <builtin head>");
  EXPECT_EQ(h.eval("(printf \"\")"), "()");
  EXPECT_EQ(h.out(), "");
  EXPECT_EQ(h.eval("(printf \"%%%%\")"), "()");
  EXPECT_EQ(h.out(), "%%");
}

TEST(IoPrintf, Errors) {
  Harness h;
  EXPECT_EQ(h.message("(printf 5)"), "printf: argument 1 must be a String, got Integer");
  EXPECT_EQ(h.message("(printf \"%d\" \"x\")"), "printf: argument 2 must be an Integer for %d, got String");
  EXPECT_EQ(h.message("(printf \"%s %ld\" 1 {})"), "printf: argument 3 must be an Integer for %ld, got Q-expression");
  EXPECT_EQ(h.message("(printf \"%x\" 1)"), "printf: unknown directive %x (use %s, %d, %ld or %%)");
  EXPECT_EQ(h.message("(printf \"%l\")"), "printf: unknown directive %l (use %s, %d, %ld or %%)");
  EXPECT_EQ(h.message("(printf \"%ls\" 1)"), "printf: unknown directive %ls (use %s, %d, %ld or %%)");
  EXPECT_EQ(h.message("(printf \"100%\")"), "printf: unknown directive % (use %s, %d, %ld or %%)");
  EXPECT_EQ(h.message("(printf \"%s\")"), "printf: the format needs more arguments than the 0 given");
  EXPECT_EQ(h.message("(printf \"%s %s\" 1)"), "printf: the format needs more arguments than the 1 given");
  EXPECT_EQ(h.message("(printf \"a\" 1)"), "printf: 1 argument(s) left over by the format");
  EXPECT_EQ(h.message("(printf \"%d\" 1 2 3)"), "printf: 2 argument(s) left over by the format");
  // Nothing is written when the format fails.
  EXPECT_EQ(h.out(), "");
}

}  // namespace
}  // namespace valk
