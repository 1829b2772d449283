// arith_nary_test.cpp: the n-ary arithmetic instructions (ADDN, SUBN, MULN, DIVN: + - * / with
// three or more operands, compiled in place) and the flonum paths of the one- and two-operand
// ones (ADD ... GE, NEG) give what the builtin gives when called: the same value (fixnums near
// overflow, 64-bit edges, floats in and out of the flonum range, inf and nan, Integers and
// Floats mixed in every position, zero divisors) and the same error (wrong types in every
// position), and a rebound operator is called with all the operands.
#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <vector>

#include "harness.h"

namespace valk {
namespace {

using test::Harness;

const char* const kOps[] = {"+", "-", "*", "/"};

// Operands: fixnum and 64-bit edges, small Integers and zero, flonums and the floats kept boxed
// (-0.0, huge, tiny, subnormal, inf, nan), and values of the wrong type.
const std::vector<std::string>& pool() {
  static const std::vector<std::string> v = {
      "0", "1", "-1", "2", "7", "-3",
      "4611686018427387903", "-4611686018427387904", "4611686018427387904", "-4611686018427387905",
      "9223372036854775807", "-9223372036854775808", "3037000499", "2147483648",
      "0.5", "-2.25", "0.0", "-0.0", "1e300", "-1e300", "1e-300", "1e77", "1.2e-77", "5e-324",
      "(/ 1.0 0)", "(/ -1.0 0)", "(/ 0.0 0)", "4611686018427387904.0",
      "\"s\"", "{1}", "ref+"};
  return v;
}

// The reference: the builtins called through names the compiler does not inline.
class ArithNary : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_EQ(h.eval("(def {ref+} +) (def {ref-} -) (def {ref*} *) (def {ref/} /) (def {ref<} <) (def {ref>} >)"
                     " (def {ref<=} <=) (def {ref>=} >=)"),
              "()");
  }
  // (op x1 ... xn) three ways: inline over parameters, inline over the operands as written, and
  // the builtin called; the values (or the error messages) must be the same text.
  void expect_same(const std::string& op, const std::vector<std::string>& xs) {
    std::string params, args, names;
    for (size_t i = 0; i < xs.size(); ++i) {
      std::string p = "p" + std::to_string(i);
      params += (i ? " " : "") + p;
      names += " " + p;
      args += " " + xs[i];
    }
    std::string ref = h.eval("(ref" + op + args + ")");
    std::string over_params = "((\\ {" + params + "} {" + op + names + "})" + args + ")";
    std::string written = "(" + op + args + ")";
    EXPECT_EQ(h.eval(over_params), ref) << over_params;
    EXPECT_EQ(h.eval(written), ref) << written;
  }
  Harness h;
};

TEST_F(ArithNary, ThreeOperandsEveryMix) {
  const auto& v = pool();
  for (const char* op : kOps) {
    for (const auto& x : v) {
      for (const auto& y : v) {
        for (const auto& z : v) expect_same(op, {x, y, z});
      }
    }
  }
}

// Two operands: ADD ... GE, whose handlers compute two flonums themselves, and NEG.
TEST_F(ArithNary, TwoOperandsEveryMix) {
  const auto& v = pool();
  for (const char* op : {"+", "-", "*", "/", "<", ">", "<=", ">="}) {
    for (const auto& x : v) {
      for (const auto& y : v) expect_same(op, {x, y});
    }
  }
  for (const auto& x : v) expect_same("-", {x});
}

TEST_F(ArithNary, FourToSixOperandsSampled) {
  const auto& v = pool();
  uint64_t seed = 12345;
  auto next = [&] {
    seed = seed * 6364136223846793005ull + 1442695040888963407ull;
    return size_t(seed >> 33) % v.size();
  };
  for (const char* op : kOps) {
    for (size_t n = 4; n <= 6; ++n) {
      for (int k = 0; k < 600; ++k) {
        std::vector<std::string> xs;
        for (size_t i = 0; i < n; ++i) xs.push_back(v[next()]);
        expect_same(op, xs);
      }
    }
  }
}

// A wrong type at each position, among Integers only and with a Float elsewhere: the message
// says "an Integer" or "a Number" as the builtin does, and names the position among all operands.
TEST_F(ArithNary, WrongTypeAtEachPosition) {
  for (const char* op : kOps) {
    for (size_t n = 3; n <= 6; ++n) {
      for (size_t bad = 0; bad < n; ++bad) {
        for (const char* other : {"3", "2.5"}) {
          std::vector<std::string> xs(n, "2");
          xs[bad] = "\"s\"";
          xs[(bad + 1) % n] = other;
          expect_same(op, xs);
          xs[(bad + 2) % n] = "{}";
          expect_same(op, xs);
        }
      }
    }
  }
}

TEST_F(ArithNary, DivisionByZeroAtEachPosition) {
  for (size_t n = 3; n <= 5; ++n) {
    for (size_t zero = 0; zero < n; ++zero) {
      for (const char* other : {"7", "-9223372036854775808", "7.5", "-1"}) {
        std::vector<std::string> xs(n, "-1");
        xs[0] = other;
        xs[zero] = "0";
        expect_same("/", xs);
        xs[zero] = "0.0";
        expect_same("/", xs);
      }
    }
  }
}

TEST_F(ArithNary, ValuesAsTheBuiltinsGaveThem) {
  // Recorded from the builtins before the n-ary instructions existed.
  EXPECT_EQ(h.eval("(* 3 4 0.5)"), "6.0");
  EXPECT_EQ(h.eval("(+ 4611686018427387903 1 1)"), "4611686018427387905");
  EXPECT_EQ(h.eval("(+ 9223372036854775807 1 1)"), "-9223372036854775807");
  EXPECT_EQ(h.eval("(* 4611686018427387903 2 2)"), "-4");
  EXPECT_EQ(h.eval("(/ -9223372036854775808 -1 1)"), "-9223372036854775808");
  EXPECT_EQ(h.eval("(/ 7 2 0)"), "Error: Division By Zero");
  EXPECT_EQ(h.eval("(/ 7 2 2.0)"), "1.75");
  EXPECT_EQ(h.eval("(* 1 \"a\" 2)"), "Error: *: argument 2 must be an Integer, got String");
  EXPECT_EQ(h.eval("(* 1.0 \"a\" 2)"), "Error: *: argument 2 must be a Number, got String");
  EXPECT_EQ(h.eval("(- 1.5)"), "-1.5");
  EXPECT_EQ(h.eval("(+ -0.0 -0.0 -0.0)"), "-0.0");
}

// The operator's name rebound or shadowed: the n-ary form calls the new meaning with every operand.
TEST_F(ArithNary, ReboundOperatorGetsAllOperands) {
  ASSERT_EQ(h.eval("(def {sum3} (\\ {a b c} {+ a b c})) (def {neg4} (\\ {a b c d} {- a b c d}))"), "()");
  EXPECT_EQ(h.eval("(sum3 1 2 3)"), "6");
  EXPECT_EQ(h.eval("(sum3 1.5 2 3)"), "6.5");
  EXPECT_EQ(h.eval("((\\ {+ a} {+ a a a}) list 1)"), "{1 1 1}");
  EXPECT_EQ(h.eval("(def {+} (\\ {& xs} {len xs}))"), "()");
  EXPECT_EQ(h.eval("(sum3 1 2 3)"), "3");
  EXPECT_EQ(h.eval("(sum3 \"a\" {} 3)"), "3");
  EXPECT_EQ(h.eval("(+ 1 2 3 4 5)"), "5");
  EXPECT_EQ(h.eval("(neg4 10 1 2 3)"), "4");
  EXPECT_EQ(h.eval("(def {+} ref+)"), "()");
  EXPECT_EQ(h.eval("(sum3 1 2 3)"), "6");
  EXPECT_EQ(h.eval("(def {-} list)"), "()");
  EXPECT_EQ(h.eval("(neg4 10 1 2 3)"), "{10 1 2 3}");
}

// An error of the n-ary form is placed at the form (its first element) and traced through the callers.
TEST_F(ArithNary, ErrorPlacedAtTheForm) {
  auto e = h.error("(def {f} (\\ {x} {* 1 x 2}))\n(def {g} (\\ {x} {f x}))\n(g \"a\")");
  EXPECT_EQ(e.message, "*: argument 2 must be an Integer, got String");
  EXPECT_EQ(e.where, "test.valk:1:18");  // at the call's first element, as for fun
}

}  // namespace
}  // namespace valk
