// fused_test.cpp: every fused instruction (IFLT_LK ... IFNE_LL, ADD_LK ... MUL_LL; ADD_K ... GE_K; BRLT ... BRNE;
// docs/ARCHITECTURE.md "Superinstructions") gives what the unfused builtin gives, over operands
// below, equal to and above each other, in both operand orders, at the edges of the small
// integers a fused instruction holds, of the fixnums and of the flonums (floats held in the
// word, and boxed ones), and with operands of the wrong type.
#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <vector>

#include "harness.h"

namespace valk {
namespace {

using test::Harness;

const char* const kCompares[] = {"<", ">", "<=", ">=", "==", "!="};
const char* const kArith[] = {"+", "-", "*"};

// The constants a fused instruction can hold (int16) and the first ones it cannot.
const int64_t kConstants[] = {INT16_MIN - 1, INT16_MIN, -2, -1, 0, 1, 2, 7, INT16_MAX, INT16_MAX + 1};

// Operands: around the constants, at the edges of fixnums (63 bits) and of 64 bits, the integers
// around 2^53 (where a double stops holding every integer), and floats: flonums, the boxed ones
// (-0.0, magnitudes past the flonums' 1e77, nan, inf), and a float equal to an integer.
std::vector<std::string> operands() {
  std::vector<std::string> v = {"-9223372036854775808", "-4611686018427387905", "-4611686018427387904",
                                "4611686018427387903",  "4611686018427387904",  "9223372036854775807",
                                "9007199254740992",     "9007199254740993",     "-9007199254740993",
                                "9007199254740992.0",   "1.5",                  "-2.25",
                                "0.0",                  "-0.0",                 "1.0",
                                "1e300",                "-1e-300",              "nan",
                                "inf",                  "32767.0",              "3e76"};
  for (int64_t k : {int64_t(INT16_MIN), int64_t(-1), int64_t(0), int64_t(1), int64_t(INT16_MAX)}) {
    for (int64_t d : {-1, 0, 1}) v.push_back(std::to_string(k + d));
  }
  return v;
}

// The reference: the same builtin called through a name the compiler does not inline.
class Fused : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_EQ(h.eval("(def {ref<} <) (def {ref>} >) (def {ref<=} <=) (def {ref>=} >=) (def {ref==} ==)"
                     " (def {ref!=} !=) (def {ref+} +) (def {ref-} -) (def {ref*} *)"),
              "()");
  }
  // The value of (if (op x y) ...) run fused, against the builtin's (op x y), as text.
  void expect_same(const std::string& fused, const std::string& reference, const std::string& label) {
    EXPECT_EQ(h.eval(fused), h.eval(reference)) << label << "\n  fused: " << fused;
  }
  Harness h;
};

TEST_F(Fused, CompareTwoParametersInBothOrders) {
  auto vals = operands();
  for (const char* op : kCompares) {
    std::string op_s = op;
    // (op a b) and (op b a): the parameters' slots in both orders
    std::string ab = "(\\ {a b} {if (" + op_s + " a b) {1} {0}})";
    std::string ba = "(\\ {b a} {if (" + op_s + " a b) {1} {0}})";
    for (const auto& x : vals) {
      for (const auto& y : vals) {
        std::string ref = "(ref" + op_s + " " + x + " " + y + ")";
        expect_same("(" + ab + " " + x + " " + y + ")", ref, op_s + " " + x + " " + y);
        expect_same("(" + ba + " " + y + " " + x + ")", ref, op_s + " swapped " + x + " " + y);
      }
    }
  }
}

TEST_F(Fused, CompareParameterWithConstantInBothOrders) {
  for (const char* op : kCompares) {
    std::string op_s = op;
    for (int64_t k : kConstants) {
      std::string ks = std::to_string(k);
      std::string lk = "(\\ {a} {if (" + op_s + " a " + ks + ") {1} {0}})";
      std::string kl = "(\\ {a} {if (" + op_s + " " + ks + " a) {1} {0}})";  // flipped by the compiler
      // around K: integers, the same as floats, and halfway floats
      std::vector<std::string> xs;
      for (int64_t d : {-1, 0, 1}) xs.push_back(std::to_string(k + d));
      for (int64_t d : {-1, 0, 1}) xs.push_back(std::to_string(k + d) + ".0");
      for (int64_t d : {-1, 0}) xs.push_back(std::to_string(k + d) + ".5");
      for (const std::string& x : xs) {
        expect_same("(" + lk + " " + x + ")", "(ref" + op_s + " " + x + " " + ks + ")", op_s + " a " + ks + " a=" + x);
        expect_same("(" + kl + " " + x + ")", "(ref" + op_s + " " + ks + " " + x + ")", op_s + " " + ks + " a a=" + x);
      }
    }
  }
}

TEST_F(Fused, CompareWithWrongTypesRaisesTheBuiltinsError) {
  for (const char* op : kCompares) {
    std::string op_s = op;
    for (const char* bad : {"\"s\"", "{1}", "ref+"}) {
      std::string b = bad;
      expect_same("((\\ {a} {if (" + op_s + " a 1) {1} {0}}) " + b + ")", "(ref" + op_s + " " + b + " 1)", op_s + " " + b);
      expect_same("((\\ {a} {if (" + op_s + " 1 a) {1} {0}}) " + b + ")", "(ref" + op_s + " 1 " + b + ")", op_s + " " + b);
      expect_same("((\\ {a c} {if (" + op_s + " a c) {1} {0}}) " + b + " 1)", "(ref" + op_s + " " + b + " 1)", op_s + " " + b);
    }
  }
}

TEST_F(Fused, ArithmeticOverEdgesAndBothOrders) {
  auto vals = operands();
  for (const char* op : kArith) {
    std::string op_s = op;
    for (const auto& x : vals) {
      for (int64_t k : kConstants) {  // (op a K) and (op K a): ADD_LK / SUB_LK / MUL_LK (+ * swapped)
        std::string ks = std::to_string(k);
        expect_same("((\\ {a} {" + op_s + " a " + ks + "}) " + x + ")", "(ref" + op_s + " " + x + " " + ks + ")",
                    op_s + " " + x + " " + ks);
        expect_same("((\\ {a} {" + op_s + " " + ks + " a}) " + x + ")", "(ref" + op_s + " " + ks + " " + x + ")",
                    op_s + " " + ks + " " + x);
      }
      for (const auto& y : vals) {  // (op a b) and (op b a): ADD_LL / SUB_LL / MUL_LL
        std::string ref = "(ref" + op_s + " " + x + " " + y + ")";
        expect_same("((\\ {a b} {" + op_s + " a b}) " + x + " " + y + ")", ref, op_s + " " + x + " " + y);
        expect_same("((\\ {b a} {" + op_s + " a b}) " + y + " " + x + ")", ref, op_s + " swapped " + x + " " + y);
      }
    }
    expect_same("((\\ {a} {" + op_s + " a 1}) \"s\")", "(ref" + op_s + " \"s\" 1)", op_s + " string");
    expect_same("((\\ {a} {" + op_s + " 1 a}) \"s\")", "(ref" + op_s + " 1 \"s\")", op_s + " string second");
    expect_same("((\\ {a b} {" + op_s + " a b}) 1 {2})", "(ref" + op_s + " 1 {2})", op_s + " list");
  }
}

// The unfused instructions (ADD ... MOD, LT ... GE) share the fused ones' fast paths: over
// globals (no parameter to fuse), every pair of operands gives the builtin's value or error.
TEST_F(Fused, UnfusedOperatorsOverGlobalsMatchTheBuiltins) {
  auto vals = operands();
  for (const char* op : {"+", "-", "*", "/", "%", "<", ">", "<=", ">="}) {
    std::string op_s = op;
    ASSERT_EQ(h.eval("(def {ref" + op_s + "} " + op_s + ")"), "()");
    for (const auto& x : vals) {
      for (const auto& y : vals) {
        ASSERT_EQ(h.eval("(def {gx gy} " + x + " " + y + ")"), "()");
        expect_same("(" + op_s + " gx gy)", "(ref" + op_s + " gx gy)", op_s + " " + x + " " + y);
      }
    }
  }
}

// An operator over a computed value and a small integer (ADD_K ... GE_K; + and * also with the
// integer first): the builtin's value or error, in the order written, at the edges of the 23 bits
// the instruction holds and past them.
TEST_F(Fused, SmallIntegerOperandsMatchTheBuiltins) {
  auto vals = operands();
  vals.insert(vals.end(), {"\"s\"", "{2}"});
  const int64_t ks[] = {-4194305, -4194304, -3, -1, 0, 1, 2, 7, 1000, 4194303, 4194304};
  for (const char* op : {"+", "-", "*", "/", "%", "<", ">", "<=", ">="}) {
    std::string op_s = op;
    ASSERT_EQ(h.eval("(def {ref" + op_s + "} " + op_s + ")"), "()");
    for (const auto& x : vals) {
      ASSERT_EQ(h.eval("(def {gx} " + x + ")"), "()");
      for (int64_t k : ks) {
        std::string kk = std::to_string(k);
        expect_same("(" + op_s + " gx " + kk + ")", "(ref" + op_s + " gx " + kk + ")", op_s + " " + x + " " + kk);
        expect_same("(" + op_s + " " + kk + " gx)", "(ref" + op_s + " " + kk + " gx)", op_s + " " + kk + " " + x);
      }
    }
  }
}

// A comparison over computed operands whose value an if or a select clause branches on runs as
// one instruction with the branch (BRLT ... BRNE): the branch taken is the one the builtin's
// value gives, and an operand of the wrong type raises the builtin's error.
TEST_F(Fused, ComparisonsBeforeABranchMatchTheBuiltins) {
  auto vals = operands();
  vals.insert(vals.end(), {"\"s\"", "\"t\"", "{2}", "{}"});
  for (const char* op : kCompares) {
    std::string op_s = op;
    for (const auto& x : vals) {
      for (const auto& y : vals) {
        ASSERT_EQ(h.eval("(def {gx gy} " + x + " " + y + ")"), "()");
        std::string label = op_s + " " + x + " " + y;
        expect_same("(if (" + op_s + " gx gy) {1} {0})", "(if (ref" + op_s + " gx gy) {1} {0})", label);
        expect_same("(select {(" + op_s + " gx gy) 1} {otherwise 0})",
                    "(select {(ref" + op_s + " gx gy) 1} {otherwise 0})", "select " + label);
      }
      for (int64_t k : {-4194305, -4194304, -1, 0, 1, 4194303, 4194304}) {  // BRLT_K ...: k and past it
        std::string kk = std::to_string(k), label = op_s + " " + x + " " + kk;
        for (const char* cond : {"(OP gx K)", "(OP K gx)"}) {
          std::string c = cond;
          c.replace(c.find('K'), 1, kk);
          std::string ref = c;
          c.replace(c.find("OP"), 2, op_s);
          ref.replace(ref.find("OP"), 2, "ref" + op_s);
          expect_same("(if " + c + " {1} {0})", "(if " + ref + " {1} {0})", label);
          expect_same("(select {" + c + " 1} {otherwise 0})", "(select {" + ref + " 1} {otherwise 0})", "select " + label);
        }
      }
    }
  }
}

// The loop a wrong flip or operator breaks: it must run exactly as many steps as the unfused one.
TEST_F(Fused, CountingLoopsRunTheSameNumberOfSteps) {
  for (const char* op : kCompares) {
    std::string op_s = op;
    if (op_s == "==" || op_s == "!=") continue;
    for (const char* shape : {"(OP i n)", "(OP n i)", "(OP i 5)", "(OP 5 i)"}) {
      std::string cond = shape;
      cond.replace(cond.find("OP"), 2, op_s);
      std::string ref = cond;
      ref.replace(ref.find(op_s), op_s.size(), "ref" + op_s);
      for (const char* start : {"0", "5", "9"}) {
        std::string loop = "(\\ {n i c} {if COND {c} {self n (+ i 1) (+ c 1)}})";
        std::string fused = loop, unfused = loop;
        fused.replace(fused.find("COND"), 4, cond);
        unfused.replace(unfused.find("COND"), 4, ref);
        // Runs while the condition is false, at most 20 steps.
        std::string run = "(do (def {self} (\\ {n i c} {if (ref>= c 20) {c} {body n i c}})) (def {body} BODY) (self 5 " +
                          std::string(start) + " 0))";
        std::string f = run, u = run;
        f.replace(f.find("BODY"), 4, fused);
        u.replace(u.find("BODY"), 4, unfused);
        expect_same(f, u, cond + " from " + start);
      }
    }
  }
}

// The same result whatever the if's branches are: the fused jump keeps its else target.
TEST_F(Fused, BranchesAreTheRightOnes) {
  EXPECT_EQ(h.eval("((\\ {a} {if (< a 3) {\"lt\"} {\"ge\"}}) 2)"), "\"lt\"");
  EXPECT_EQ(h.eval("((\\ {a} {if (< a 3) {\"lt\"} {\"ge\"}}) 3)"), "\"ge\"");
  EXPECT_EQ(h.eval("((\\ {a} {if (<= 3 a) {\"ge\"} {\"lt\"}}) 3)"), "\"ge\"");
  EXPECT_EQ(h.eval("((\\ {a} {if (<= 3 a) {\"ge\"} {\"lt\"}}) 2)"), "\"lt\"");
  EXPECT_EQ(h.eval("((\\ {a} {if (> 3 a) {\"lt\"} {\"ge\"}}) 3)"), "\"ge\"");
  EXPECT_EQ(h.eval("((\\ {a} {+ a 1}) 4611686018427387903)"), "4611686018427387904");
  EXPECT_EQ(h.eval("((\\ {a} {- a 1}) -9223372036854775808)"), "9223372036854775807");
}

}  // namespace
}  // namespace valk
