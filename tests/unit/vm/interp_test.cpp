// interp_test.cpp: the interpreter loop: calls and returns, partial application, varargs, calling
// non-functions, bare calls (CALL0), tail calls, the call-depth limit and the inlined operators.
#include <gtest/gtest.h>

#include <string>

#include "harness.h"

namespace valk {
namespace {

using test::Harness;
using test::HostBuiltin;

// (probe/frames): how many frames the VM has at the moment it is called.
Value probe_frames(VM& vm, Args) { return Value::fixnum(int64_t(vm.frame_count())); }

class InterpFrames : public ::testing::Test {
 protected:
  Harness h;
  HostBuiltin probe{h.vm(), "probe/frames", 0, 0, probe_frames, builtinflag::kCallBare};
};

// ---- calls and returns ---------------------------------------------------------------------

TEST(InterpCalls, LambdasReturnTheirBodysValue) {
  Harness h;
  EXPECT_EQ(h.eval("((\\ {x y} {+ x y}) 3 4)"), "7");
  EXPECT_EQ(h.eval("((\\ {x} {x}) {1 2})"), "{1 2}");
  EXPECT_EQ(h.eval("(fun {sq x} {* x x}) (sq (sq 3))"), "81");
  EXPECT_EQ(h.eval("(fun {two x} {(+ x 1) (+ x 2)}) (two 1)"), "3");
}

TEST(InterpCalls, NestedNonTailCallsReturnToTheirCallers) {
  Harness h;
  EXPECT_EQ(h.eval("(fun {fib k} {if (< k 2) {k} {+ (fib (- k 1)) (fib (- k 2))}}) (fib 20)"), "6765");
  EXPECT_EQ(h.eval("(fun {ack m k} {if (== m 0) {+ k 1} {if (== k 0) {ack (- m 1) 1} {ack (- m 1) (ack m (- k 1))}}}) (ack 2 3)"),
            "9");
}

TEST(InterpCalls, TooManyArgumentsIsAnError) {
  Harness h;
  auto e = h.error("((\\ {x y} {x}) 1 2 3)");
  EXPECT_EQ(e.message, "More arguments were given than required. Actual: 3, Expected: 2");
  EXPECT_EQ(e.where, "test.valk:1:1");
  EXPECT_EQ(h.message("((\\ {} {1}) 5)"), "More arguments were given than required. Actual: 1, Expected: 0");
  EXPECT_EQ(h.message("(fun {one a} {a}) (one 1 2)"), "More arguments were given than required. Actual: 2, Expected: 1");
}

TEST(InterpCalls, BuiltinArgumentCountsAreChecked) {
  Harness h;
  EXPECT_EQ(h.message("(head {1} {2})"), "head: More arguments were given than required. Actual: 2, Expected: 1");
  EXPECT_EQ(h.message("(< 1)"), "<: Fewer arguments were given than required. Actual: 1, Expected: 2");
  EXPECT_EQ(h.message("(cons 1)"), "cons: Fewer arguments were given than required. Actual: 1, Expected: 2");
  EXPECT_EQ(h.message("(eval {1} {2})"), "eval: More arguments were given than required. Actual: 2, Expected: 1");
}

TEST(InterpCalls, ArgumentsAreEvaluatedLeftToRightAndStopAtTheFirstError) {
  Harness h;
  EXPECT_EQ(h.eval("(list (print 1) (print 2) (print 3))"), "{() () ()}");
  EXPECT_EQ(h.out(), "1\n2\n3\n");
  EXPECT_EQ(h.message("(list (print 1) (head {}) (print 3))"), "head: expected a non-empty Q-expression, got {}");
  EXPECT_EQ(h.out(), "1\n");
}

// ---- partial application ---------------------------------------------------------------

TEST(InterpPartial, FewerArgumentsGiveAPartial) {
  Harness h;
  EXPECT_EQ(h.eval("((\\ {x y} {+ x y}) 1)"), "<lambda {y}>");
  EXPECT_EQ(h.eval("(((\\ {x y} {- x y}) 10) 3)"), "7");
  EXPECT_EQ(h.eval("((((\\ {a b c} {list a b c}) 1) 2) 3)"), "{1 2 3}");
  EXPECT_EQ(h.eval("(def {minus10} ((\\ {a b} {- a b}) 10)) (list (minus10 4) (minus10 1))"), "{6 9}");
  EXPECT_EQ(h.eval("(map ((\\ {a b} {* a b}) 3) {1 2 3})"), "{3 6 9}");
}

TEST(InterpPartial, PartialsCheckTheRemainingCount) {
  Harness h;
  std::string m = h.message("(((\\ {a b} {list a b}) 1) 2 3)");
  EXPECT_EQ(m.rfind("More arguments were given than required.", 0), 0u) << m;
}

TEST(InterpPartial, PartialOfAVariadicFunction) {
  Harness h;
  EXPECT_EQ(h.eval("((\\ {a b & r} {list a b r}) 1)"), "<lambda {b & r}>");
  EXPECT_EQ(h.eval("(((\\ {a b & r} {list a b r}) 1) 2 3 4)"), "{1 2 {3 4}}");
  EXPECT_EQ(h.eval("(((\\ {a b & r} {list a b r}) 1) 2)"), "{1 2 {}}");
}

// ---- varargs -------------------------------------------------------------------------------

TEST(InterpVarargs, RestCollectsTheRemainingArguments) {
  Harness h;
  EXPECT_EQ(h.eval("((\\ {x & r} {r}) 1 2 3)"), "{2 3}");
  EXPECT_EQ(h.eval("((\\ {x & r} {r}) 1)"), "{}");
  EXPECT_EQ(h.eval("((\\ {& r} {r}) 1 2)"), "{1 2}");
  EXPECT_EQ(h.eval("((\\ {x & r} {list x (len r)}) {a} {b} {c} {d})"), "{{a} 3}");
  EXPECT_EQ(h.eval("(fun {count & items} {len items}) (count 1 2 3 4 5 6 7 8 9 10)"), "10");
}

TEST(InterpVarargs, AmpersandWithoutANameIsAnError) {
  Harness h;
  EXPECT_EQ(h.message("(\\ {x &} {x})"), "Function format invalid. Symbol '&' not followed by single symbol.");
}

// ---- calling non-functions -----------------------------------------------------------------

TEST(InterpNonFunction, TheValueIsTheLastElement) {
  Harness h;
  EXPECT_EQ(h.eval("(1 2 3)"), "3");
  EXPECT_EQ(h.eval("(\"a\" 5)"), "5");
  EXPECT_EQ(h.eval("({1} {2})"), "{2}");
  EXPECT_EQ(h.eval("(5)"), "5");
  EXPECT_EQ(h.eval("(\"a\")"), "\"a\"");
  EXPECT_EQ(h.eval("()"), "()");
  EXPECT_EQ(h.eval("((1 2) (3 4))"), "4");
}

TEST(InterpNonFunction, ErrorsInLaterElementsStillRaise) {
  Harness h;
  EXPECT_EQ(h.message("(1 (head {}) 3)"), "head: expected a non-empty Q-expression, got {}");
  EXPECT_EQ(h.message("(1 nothing-here)"), "LEnv: Symbol `nothing-here` is not bound");
}

// ---- bare calls (CALL0) ----------------------------------------------------------------

TEST(InterpCall0, ParenthesisedFunctionWithoutParametersIsCalled) {
  Harness h;
  EXPECT_EQ(h.eval("((\\ {} {7}))"), "7");
  EXPECT_EQ(h.eval("(fun {seven} {7}) (seven)"), "7");
  EXPECT_EQ(h.eval("(+ 1 (seven))"), "8");
}

TEST(InterpCall0, FunctionsWithParametersAreTheirOwnValue) {
  Harness h;
  EXPECT_EQ(h.eval("((\\ {x} {x}))"), "<lambda {x}>");
  EXPECT_EQ(h.eval("((\\ {& r} {r}))"), "<lambda {& r}>");
  EXPECT_EQ(h.eval("(head)"), "<builtin head>");
  EXPECT_EQ(h.eval("(list)"), "<builtin list>");
  EXPECT_EQ(h.eval("(+)"), "<builtin +>");
}

TEST(InterpCall0, ABodyOrBranchNamingAThunkReturnsIt) {
  Harness h;
  EXPECT_EQ(h.eval("(fun {seven} {7}) (fun {wrap} {seven}) (wrap)"), "<lambda {}>");
  EXPECT_EQ(h.eval("(fun {wrap2} {(seven)}) (wrap2)"), "7");
  EXPECT_EQ(h.eval("(if 1 {seven} {0})"), "<lambda {}>");
  EXPECT_EQ(h.eval("(if 1 {(seven)} {0})"), "7");
  EXPECT_EQ(h.eval("(eval {seven})"), "<lambda {}>");
}

TEST(InterpCall0, BareBuiltinsAreCalled) {
  Harness h;
  EXPECT_EQ(h.eval("(len (gc/stats))"), "24");
  EXPECT_EQ(h.eval("(== 0 (< 0 (time-us)))"), "0");
  EXPECT_EQ(h.eval("(gc/collect)"), "()");
}

// ---- call depth ----------------------------------------------------------------------------

TEST(InterpDepth, HundredThousandDeepRecursionWorks) {
  Harness h;
  EXPECT_EQ(h.eval("(fun {depth k} {if (== k 0) {0} {+ 1 (depth (- k 1))}}) (depth 100000)"), "100000");
  EXPECT_EQ(h.eval("(fun {build k} {if (== k 0) {nil} {cons k (build (- k 1))}}) (len (build 100000))"), "100000");
}

TEST(InterpDepth, RunawayRecursionIsACleanStackOverflow) {
  Harness h;
  auto e = h.error("(fun {runaway k} {+ 1 (runaway (+ k 1))})\n(runaway 0)");
  EXPECT_EQ(e.message, "stack overflow: more than 1000000 nested calls");
  ASSERT_FALSE(e.trace.empty());
  EXPECT_EQ(e.trace[0].rfind("runaway (test.valk:1:23) [", 0), 0u) << e.trace[0];
  EXPECT_EQ(h.vm().frame_count(), 0u);
  // The VM is usable afterwards, deep recursion included.
  EXPECT_EQ(h.eval("(+ 1 2)"), "3");
  EXPECT_EQ(h.eval("(fun {depth k} {if (== k 0) {0} {+ 1 (depth (- k 1))}}) (depth 100000)"), "100000");
}

TEST(InterpDepth, NoMoreThanTheLimitOfCallsAreActive) {
  Harness h;
  auto e = h.error("(fun {runaway k} {+ 1 (runaway (+ k 1))})\n(runaway 0)");
  ASSERT_FALSE(e.trace.empty());
  // "runaway (test.valk:1:23) [N times]": N frames of runaway were active at the overflow.
  const std::string& line = e.trace[0];
  size_t open = line.rfind('[');
  ASSERT_NE(open, std::string::npos) << line;
  uint64_t active = std::stoull(line.substr(open + 1));
  EXPECT_LE(active, limits::kMaxCallDepth) << line;
  EXPECT_GE(active, limits::kMaxCallDepth - 10) << line;
}

TEST(InterpDepth, TwoMillionDeepNonTailRecursionOverflows) {
  Harness h;
  EXPECT_EQ(h.eval("(fun {depth k} {if (== k 0) {0} {+ 1 (depth (- k 1))}}) (depth 2000000)"),
            "Error: stack overflow: more than 1000000 nested calls");
  EXPECT_EQ(h.eval("(depth 10)"), "10");
}

TEST(InterpDepth, OverflowThroughEvalAndMapIsClean) {
  Harness h;
  EXPECT_EQ(h.eval("(fun {viaeval k} {+ 1 (eval {viaeval (+ k 1)})}) (viaeval 0)"),
            "Error: stack overflow: more than 1000000 nested calls");
  EXPECT_EQ(h.eval("(fun {viamap k} {map (\\ {y} {viamap y}) {1}}) (viamap 0)"),
            "Error: stack overflow: more than 1000000 nested calls");
  EXPECT_EQ(h.eval("(map (\\ {y} {+ y 1}) {1 2})"), "{2 3}");
}

TEST(InterpDepth, SysCatchCatchesAStackOverflow) {
  Harness h;
  EXPECT_EQ(h.eval("(fun {runaway k} {+ 1 (runaway (+ k 1))}) (sys/catch {runaway 0})"),
            "{0 \"stack overflow: more than 1000000 nested calls\"}");
}

// ---- tail calls --------------------------------------------------------------------------

TEST_F(InterpFrames, TenMillionSelfTailCallsKeepTheFrameCount) {
  std::string one = h.eval("(fun {spin k} {if (== k 0) {(probe/frames)} {spin (- k 1)}}) (spin 1)");
  EXPECT_EQ(one, "3");  // the entry, the top-level form, spin
  EXPECT_EQ(h.eval("(spin 10000000)"), one);
}

TEST_F(InterpFrames, NonTailRecursionGrowsTheFrameCount) {
  EXPECT_EQ(h.eval("(fun {deep k} {if (== k 0) {(probe/frames)} {+ 0 (deep (- k 1))}}) (- (deep 1000) (deep 0))"),
            "1000");
}

TEST_F(InterpFrames, TailCallsThroughNestedIf) {
  EXPECT_EQ(h.eval("(fun {nest k} {if (> k 0) {if (== 0 (- k k)) {nest (- k 1)} {0}} {(probe/frames)}})"
                   "(list (nest 1) (nest 1000000))"),
            "{3 3}");
}

TEST_F(InterpFrames, TailCallsThroughDo) {
  EXPECT_EQ(h.eval("(fun {seq k} {if (== k 0) {(probe/frames)} {do (+ 1 1) (seq (- k 1))}})"
                   "(list (seq 1) (seq 1000000))"),
            "{3 3}");
  EXPECT_EQ(h.eval("(fun {seq2 k} {do (= {j} (- k 1)) (if (< j 0) {(probe/frames)} {seq2 j})})"
                   "(list (seq2 1) (seq2 1000000))"),
            "{3 3}");
}

TEST_F(InterpFrames, MutualTailCalls) {
  EXPECT_EQ(h.eval("(fun {is-even k} {if (== k 0) {list 1 (probe/frames)} {is-odd (- k 1)}})"
                   "(fun {is-odd k} {if (== k 0) {list 0 (probe/frames)} {is-even (- k 1)}})"
                   "(list (is-even 1000001) (is-even 1000000))"),
            "{{0 3} {1 3}}");
}

// docs/ARCHITECTURE.md: "loops written as tail calls ... run in constant space".
TEST_F(InterpFrames, VariadicSelfTailCallsKeepTheFrameCount) {
  EXPECT_EQ(h.eval("(fun {vloop k & more} {if (== k 0) {(probe/frames)} {vloop (- k 1)}})"
                   "(list (vloop 1) (vloop 1000))"),
            "{3 3}");
}

TEST_F(InterpFrames, TailCallsOfPartialsKeepTheFrameCount) {
  EXPECT_EQ(h.eval("(fun {ploop a k} {if (== k 0) {(probe/frames)} {(ploop a) (- k 1)}})"
                   "(list (ploop 0 1) (ploop 0 1000))"),
            "{3 3}");
}

TEST_F(InterpFrames, ATailCallFromTheTopLevelKeepsItsFrame) {
  // Chunk frames are not replaced by tail calls, so errors keep the caller's position.
  EXPECT_EQ(h.eval("(fun {here} {(probe/frames)}) (here)"), "3");
  EXPECT_EQ(h.eval("(+ 0 (here))"), "3");
  auto e = h.error("(fun {fails} {head 1})\n(fails)");
  ASSERT_EQ(e.trace.size(), 2u);
  EXPECT_EQ(e.trace[1], "<top level> (test.valk:2:1)");
}

TEST(InterpTailCalls, ResultOfALongLoopIsRight) {
  Harness h;
  EXPECT_EQ(h.eval("(fun {acc k total} {if (== k 0) {total} {acc (- k 1) (+ total k)}}) (acc 1000000 0)"),
            "500000500000");
}

// ---- inlined operators ---------------------------------------------------------------------

TEST(InterpInline, ArithmeticLeavesTheFixnumRangeCorrectly) {
  Harness h;
  // Fixnums hold 63 bits; the inlined operators hand the rest to the builtins.
  EXPECT_EQ(h.eval("(+ 4611686018427387903 1)"), "4611686018427387904");
  EXPECT_EQ(h.eval("(- -4611686018427387904 1)"), "-4611686018427387905");
  EXPECT_EQ(h.eval("(* 4611686018427387903 2)"), "9223372036854775806");
  EXPECT_EQ(h.eval("(- -4611686018427387904)"), "4611686018427387904");
  EXPECT_EQ(h.eval("(/ -4611686018427387904 -1)"), "4611686018427387904");
  EXPECT_EQ(h.eval("(fun {twice v} {* v 2}) (twice 4611686018427387904)"), "-9223372036854775808");
  EXPECT_EQ(h.eval("(< 4611686018427387904 4611686018427387905)"), "1");
  EXPECT_EQ(h.eval("(== 4611686018427387904 (+ 4611686018427387903 1))"), "1");
}

TEST(InterpInline, WrongTypesGetTheBuiltinsMessages) {
  Harness h;
  EXPECT_EQ(h.message("(fun {f1 a} {+ a 1}) (f1 \"s\")"), "+: argument 1 must be an Integer, got String");
  EXPECT_EQ(h.message("(fun {f2 a} {- a}) (f2 {})"), "-: argument 1 must be an Integer, got Q-expression");
  EXPECT_EQ(h.message("(fun {f3 a} {< 1 a}) (f3 f3)"), "<: argument 2 must be an Integer, got Function");
  EXPECT_EQ(h.message("(fun {f4 a} {/ 10 a}) (f4 0)"), "Division By Zero");
}

TEST(InterpInline, EqualityIsStructural) {
  Harness h;
  EXPECT_EQ(h.eval("(fun {same a b} {== a b}) (list (same {1 {2}} (list 1 {2})) (same \"x\" \"x\") (same {} ()) (same 1 2))"),
            "{1 1 0 0}");
  EXPECT_EQ(h.eval("(fun {diff a b} {!= a b}) (list (diff {1} {1}) (diff 1 2))"), "{0 1}");
}

TEST(InterpInline, IfNeedsAnIntegerCondition) {
  Harness h;
  EXPECT_EQ(h.message("(fun {pick c} {if c {1} {2}}) (pick \"yes\")"), "if: condition must be an Integer, got String");
  EXPECT_EQ(h.eval("(pick 4611686018427387904)"), "1");
  EXPECT_EQ(h.eval("(pick -1)"), "1");
  EXPECT_EQ(h.eval("(pick 0)"), "2");
  EXPECT_EQ(h.message("(pick {})"), "if: condition must be an Integer, got Q-expression");
}

}  // namespace
}  // namespace valk
