// lookup_test.cpp: names at run time (LANGUAGE.md 5): own frame, closed-over frames, the caller's
// frame (dynamic scoping), the global frame; def and =, and = seen by closures.
#include <gtest/gtest.h>

#include "harness.h"
#include "internals.h"

namespace valk {
namespace {

using test::Harness;
using test::HostBuiltin;

Value probe_stepped_over(VM& vm, Args) { return Value::fixnum(VmInternals::frames_stepped_over(vm)); }

TEST(LookupDynamic, ACalleeSeesItsCallersParameters) {
  Harness h;
  EXPECT_EQ(h.eval("(fun {show} {x}) (fun {caller x} {+ 0 (show)}) (caller 5)"), "5");
  EXPECT_EQ(h.eval("(fun {show2 y} {+ x y}) (fun {caller2 x} {+ 0 (show2 1)}) (caller2 41)"), "42");
}

TEST(LookupDynamic, TheNearestCallerWins) {
  Harness h;
  EXPECT_EQ(h.eval("(fun {leaf} {v}) (fun {mid v} {+ 0 (leaf)}) (fun {top v} {+ 0 (mid 2)}) (top 1)"), "2");
  EXPECT_EQ(h.eval("(fun {mid2 w} {+ 0 (leaf)}) (fun {top2 v} {+ 0 (mid2 2)}) (top2 1)"), "1");
}

TEST(LookupDynamic, OwnParametersShadowTheCallersAndGlobals) {
  Harness h;
  EXPECT_EQ(h.eval("(def {v} 100) (fun {own v} {v}) (fun {outer v} {+ 0 (own 3)}) (outer 2)"), "3");
  EXPECT_EQ(h.eval("(fun {noparam} {v}) (noparam)"), "100");
  EXPECT_EQ(h.eval("(outer2 1)"), "Error: LEnv: Symbol `outer2` is not bound");
}

TEST(LookupDynamic, UnboundNamesAreAnError) {
  Harness h;
  auto e = h.error("(fun {needs} {+ 1 undefined-name}) (needs)");
  EXPECT_EQ(e.message, "LEnv: Symbol `undefined-name` is not bound");
  EXPECT_EQ(e.where, "test.valk:1:19");
}

TEST(LookupDynamic, ThePreludesSelectSeesItsCallersNames) {
  Harness h;
  EXPECT_EQ(h.eval("(fun {sign k} {select {(< k 0) -1} {(== k 0) 0} {otherwise 1}}) (list (sign -5) (sign 0) (sign 9))"),
            "{-1 0 1}");
  EXPECT_EQ(h.eval("(fun {name k} {case k {{1} \"one\"} {{2} \"two\"}}) (list (name 1) (name 2))"),
            "{\"one\" \"two\"}");
}

TEST(LookupLexical, ClosuresSeeTheirDefiningFrame) {
  Harness h;
  EXPECT_EQ(h.eval("(def {mk} (\\ {x} {\\ {y} {+ x y}})) ((mk 1) 2)"), "3");
  EXPECT_EQ(h.eval("(fun {adder x} {\\ {y} {+ x y}}) (map (adder 10) {1 2 3})"), "{11 12 13}");
  EXPECT_EQ(h.eval("(fun {mk3 a} {\\ {b} {\\ {c} {list a b c}}}) (((mk3 1) 2) 3)"), "{1 2 3}");
}

TEST(LookupLexical, TheClosureIsFoundBeforeTheCaller) {
  Harness h;
  // (mk 10) closes over x = 10; `call` has its own x = 99 and calls the closure.
  EXPECT_EQ(h.eval("(fun {mk x} {\\ {y} {+ x y}}) (fun {call fn x} {+ 0 (fn 1)}) (call (mk 10) 99)"), "11");
  // A function the closure calls sees the closure's frame, then what it closed over.
  EXPECT_EQ(h.eval("(fun {mk2 x} {\\ {y} {+ x (peek y)}}) (fun {peek y} {x}) (fun {call2 fn x} {fn 1}) (call2 (mk2 10) 99)"),
            "20");
}

TEST(LookupLexical, ALambdaBuiltFromValuesCapturesNothing) {
  Harness h;
  // fun builds its lambda from the body it receives: fun's own f and b are never captured.
  EXPECT_EQ(h.eval("(fun {getb} {b}) (getb)"), "Error: LEnv: Symbol `b` is not bound");
  EXPECT_EQ(h.eval("(def {made} ((\\ {x} {\\ (tail {x y}) {+ x y}}) 5)) (made 1)"),
            "Error: LEnv: Symbol `x` is not bound");
}

TEST(LookupAssign, EqBindsLocallyAndDefGlobally) {
  Harness h;
  EXPECT_EQ(h.eval("(fun {loc k} {do (= {tmp} (* k 2)) (+ tmp 1)}) (loc 5)"), "11");
  EXPECT_EQ(h.eval("tmp"), "Error: LEnv: Symbol `tmp` is not bound");
  EXPECT_EQ(h.eval("(fun {glob k} {do (def {gtmp} (* k 2)) (+ gtmp 1)}) (glob 5)"), "11");
  EXPECT_EQ(h.eval("gtmp"), "10");
  EXPECT_EQ(h.eval("(= {top-level} 3) top-level"), "3");
  EXPECT_EQ(h.eval("(def {a b} 1 2) (list a b)"), "{1 2}");
  EXPECT_EQ(h.eval("(def {a} 3)"), "()");
  EXPECT_EQ(h.eval("(= {a} 4)"), "()");
}

TEST(LookupAssign, EqInACalleeDoesNotChangeTheCaller) {
  Harness h;
  EXPECT_EQ(h.eval("(fun {setter} {= {v} 99}) (fun {user v} {do (setter) v}) (user 1)"), "1");
}

TEST(LookupAssign, EqBindingsAreSeenDynamicallyByCallees) {
  Harness h;
  EXPECT_EQ(h.eval("(fun {reader} {secret}) (fun {writer} {do (= {secret} 7) (reader)}) (writer)"), "7");
  EXPECT_EQ(h.eval("secret"), "Error: LEnv: Symbol `secret` is not bound");
}

TEST(LookupAssign, EqOnAParameterUpdatesIt) {
  Harness h;
  EXPECT_EQ(h.eval("(fun {upd x} {do (= {x} (+ x 1)) (= {x} (* x 10)) x}) (upd 1)"), "20");
}

TEST(LookupAssign, EqOnAParameterIsSeenByAClosureOfTheFrame) {
  Harness h;
  EXPECT_EQ(h.eval("(fun {late x} {do (= {get} (\\ {} {x})) (= {x} 9) (get)}) (late 1)"), "9");
  EXPECT_EQ(h.eval("(fun {mkget x} {do (= {get} (\\ {} {x})) (= {x} (+ x 1)) get}) ((mkget 1))"), "2");
  // A closure made after the change sees it too, and one frame's closures share it.
  EXPECT_EQ(h.eval("(fun {pair x} {do (= {g1} (\\ {} {x})) (= {x} 5) (= {g2} (\\ {} {x})) (list (g1) (g2))}) (pair 0)"),
            "{5 5}");
}

TEST(LookupAssign, EqBindingAddedAfterAClosureWasMadeIsSeenByIt) {
  Harness h;
  EXPECT_EQ(h.eval("(fun {later} {do (= {get} (\\ {} {extra})) (= {extra} 8) (get)}) (later)"), "8");
}

// `=` run by eval binds a slot of the frame below the chunk: that frame may hold a young value
// now, so minor collections must scan it again (VM::touch_frame in bind_in_scope). churn makes
// garbage that dies young (minor collections only) while the chunk is on top, before and after
// the binding.
TEST(LookupAssign, EqThroughEvalInAFrameBelowSurvivesMinorCollections) {
  Harness h;
  EXPECT_EQ(h.eval("(fun {churn n} {if (== n 0) {0} {do (list n n n n) (churn (- n 1))}})"
                   " (fun {f} {do (if 0 {= {x} 0} {()})"
                   " (eval {do (churn 100000) (= {x} (list 1 2 3)) (churn 100000) ()}) x})"
                   " (f)"),
            "{1 2 3}");
}

// A recursion whose every level binds a local with `=` is a run of frames binding the same names
// (VM::run_base): a global looked up at the bottom steps over the rest of the recursion instead
// of searching every frame (quadratic in the depth before). The names stay dynamic: a level that
// binds a slot the others do not ends the run, and its value is found.
TEST(LookupAssign, ARecursionBindingWithEqStepsOverItsOwnFrames) {
  Harness h;
  HostBuiltin probe(h.vm(), "probe/stepped", 0, 0, probe_stepped_over, builtinflag::kCallBare);
  EXPECT_EQ(h.eval("(def {g} (\\ {x} {do (= {y} x) (if (== y 0) {id (probe/stepped)} {+ 0 (g (- y 1))})})) (g 1000)"), "1000");
  EXPECT_EQ(h.eval("(def {g2} (\\ {x} {do (= {y} x) (if (== y 0) {0} {+ 1 (g2 (- y 1))})})) (g2 40000)"), "40000");
  EXPECT_EQ(h.eval("(def {z} \"global\") (fun {peek} {list y z})"
                   " (fun {h x} {do (= {y} x) (if (== x 2) {= {z} \"two\"} {()}) (if (== x 0) {id (peek)} {id (h (- x 1))})})"
                   " (h 4)"),
            "{0 \"two\"}");
  EXPECT_EQ(h.eval("(h 1)"), "{0 \"global\"}");
}

TEST(LookupAssign, ErrorsOfDefAndEq) {
  Harness h;
  EXPECT_EQ(h.message("(def {a b} 1)"), "def: the number of names (2) does not match the number of values (1)");
  EXPECT_EQ(h.message("(= {a} 1 2)"), "=: the number of names (1) does not match the number of values (2)");
  EXPECT_EQ(h.message("(def 1 2)"), "def: argument 1 must be a Q-expression of names, got Integer");
  EXPECT_EQ(h.message("(= \"a\" 2)"), "=: argument 1 must be a Q-expression of names, got String");
  EXPECT_EQ(h.message("(def {1} 2)"), "def: names must be symbols, got Integer");
  EXPECT_EQ(h.message("(= {{a}} 2)"), "=: names must be symbols, got Q-expression");
}

}  // namespace
}  // namespace valk
