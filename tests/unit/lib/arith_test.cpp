// arith_test.cpp: the integer builtins of lib/arith.cpp (64-bit wrapping + - * /, comparisons,
// structural == and !=), both inlined by the compiler and called as values.
#include <gtest/gtest.h>

#include <string>

#include "../vm/harness.h"

namespace valk {
namespace {

using test::Harness;

struct Case {
  const char* op;
  const char* args;  // literals only
  const char* expected;
};

class ArithCase : public ::testing::TestWithParam<Case> {};

// Inlined: (op args). Called as a value: (unpack op {args}), and through a parameter.
TEST_P(ArithCase, InlinedAndCalledGiveTheSameResult) {
  const Case& c = GetParam();
  Harness h;
  std::string args = c.args;
  EXPECT_EQ(h.eval(std::string("(") + c.op + " " + args + ")"), c.expected) << "inlined";
  EXPECT_EQ(h.eval(std::string("(unpack ") + c.op + " {" + args + "})"), c.expected) << "unpack";
  EXPECT_EQ(h.eval(std::string("((\\ {op} {op ") + args + "}) " + c.op + ")"), c.expected) << "parameter";
}

INSTANTIATE_TEST_SUITE_P(
    Builtins, ArithCase,
    ::testing::Values(
        Case{"+", "1 2", "3"}, Case{"+", "1 2 3 4", "10"}, Case{"+", "5", "5"}, Case{"+", "-5 5", "0"},
        Case{"-", "10 4", "6"}, Case{"-", "5", "-5"}, Case{"-", "10 1 2 3", "4"}, Case{"-", "0", "0"},
        Case{"*", "6 7", "42"}, Case{"*", "2 3 4", "24"}, Case{"*", "-3 3", "-9"}, Case{"*", "7", "7"},
        Case{"/", "10 2", "5"}, Case{"/", "10 -2", "-5"}, Case{"/", "-7 2", "-3"}, Case{"/", "7 -2", "-3"},
        Case{"/", "100 5 2", "10"}, Case{"/", "1 0", "Error: Division By Zero"},
        Case{"/", "1 2 0", "Error: Division By Zero"}, Case{"/", "0 5", "0"}, Case{"/", "9", "9"},
        // 64-bit wrapping
        Case{"+", "9223372036854775807 1", "-9223372036854775808"},
        Case{"-", "-9223372036854775808 1", "9223372036854775807"},
        Case{"*", "4611686018427387904 2", "-9223372036854775808"},
        Case{"*", "9223372036854775807 9223372036854775807", "1"},
        Case{"+", "4611686018427387903 1", "4611686018427387904"},
        Case{"-", "-9223372036854775808", "-9223372036854775808"},
        Case{"-", "0 -9223372036854775808", "-9223372036854775808"},
        Case{"/", "-9223372036854775808 -1", "-9223372036854775808"},
        Case{"/", "-9223372036854775808 2", "-4611686018427387904"},
        // comparisons
        Case{"<", "1 2", "1"}, Case{"<", "2 1", "0"}, Case{"<", "1 1", "0"}, Case{">", "2 1", "1"},
        Case{">", "1 1", "0"}, Case{"<=", "1 1", "1"}, Case{"<=", "2 1", "0"}, Case{">=", "1 1", "1"},
        Case{">=", "1 2", "0"}, Case{"<", "-9223372036854775808 9223372036854775807", "1"},
        Case{">", "4611686018427387904 4611686018427387903", "1"},
        // structural equality
        Case{"==", "1 1", "1"}, Case{"==", "1 2", "0"}, Case{"==", "{1 2} {1 2}", "1"},
        Case{"==", "{1 {2}} {1 {3}}", "0"}, Case{"==", "\"a\" \"a\"", "1"}, Case{"==", "\"a\" \"b\"", "0"},
        Case{"==", "{} {}", "1"}, Case{"==", "1 \"1\"", "0"}, Case{"==", "{a} {a}", "1"},
        Case{"==", "4611686018427387904 4611686018427387904", "1"}, Case{"!=", "1 2", "1"},
        Case{"!=", "{1} {1}", "0"},
        // type errors
        Case{"+", "1 \"a\"", "Error: +: argument 2 must be an Integer, got String"},
        Case{"-", "{1} 2", "Error: -: argument 1 must be an Integer, got Q-expression"},
        Case{"*", "2 3 {x}", "Error: *: argument 3 must be an Integer, got Q-expression"},
        Case{"/", "\"x\" 1", "Error: /: argument 1 must be an Integer, got String"},
        Case{"<", "1 \"a\"", "Error: <: argument 2 must be an Integer, got String"},
        Case{">=", "{} 1", "Error: >=: argument 1 must be an Integer, got Q-expression"}));

TEST(Arith, EqualityOfFunctionsAndExpressions) {
  Harness h;
  EXPECT_EQ(h.eval("(== {1 2} (list 1 2))"), "1");
  EXPECT_EQ(h.eval("(== {} ())"), "0");
  EXPECT_EQ(h.eval("(== + +)"), "1");
  EXPECT_EQ(h.eval("(== + -)"), "0");
  EXPECT_EQ(h.eval("(== map map)"), "1");
}

TEST(Arith, FunctionsAreNotIntegers) {
  Harness h;
  EXPECT_EQ(h.message("(* 2 (\\ {x} {x}))"), "*: argument 2 must be an Integer, got Function");
}

TEST(Arith, ArgumentCounts) {
  Harness h;
  EXPECT_EQ(h.message("(< 1 2 3)"), "<: More arguments were given than required. Actual: 3, Expected: 2");
  EXPECT_EQ(h.message("(== 1)"), "==: Fewer arguments were given than required. Actual: 1, Expected: 2");
  EXPECT_EQ(h.message("(!= 1 2 3)"), "!=: More arguments were given than required. Actual: 3, Expected: 2");
  EXPECT_EQ(h.show(h.vm().call(h.vm().sym("+")->global, {})),
            "Error: +: Fewer arguments were given than required. Actual: 0, Expected: 1");
}

TEST(Arith, ResultsOfBoxedIntegersAreUsableEverywhere) {
  Harness h;
  EXPECT_EQ(h.eval("(def {big} (+ 4611686018427387903 10)) (list (- big 10) (== big 4611686018427387913) (if big {1} {0}))"),
            "{4611686018427387903 1 1}");
  EXPECT_EQ(h.eval("(len (range (- big 3) big))"), "3");
}

}  // namespace
}  // namespace valk
