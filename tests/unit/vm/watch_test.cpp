// watch_test.cpp: rebinding the names the compiler inlines and the intrinsics rely on (vm/watched.def):
// code switches to the generic path with the new meaning, forms in flight keep the old one.
#include <gtest/gtest.h>

#include <string>

#include "harness.h"

namespace valk {
namespace {

using test::Harness;

bool intact(Harness& h, const char* name) { return h.vm().watch_intact(h.vm().sym(name)); }

// The watched names that are broken (bits past WatchId::kCount mean nothing).
uint64_t broken(Harness& h) { return h.vm().broken_watches() & ((uint64_t(1) << int(WatchId::kCount)) - 1); }

TEST(Watch, EveryWatchedNameStartsIntact) {
  Harness h;
  EXPECT_EQ(broken(h), 0u);
  for (int id = 0; id < int(WatchId::kCount); ++id) EXPECT_TRUE(intact(h, kWatchNames[id])) << kWatchNames[id];
}

TEST(Watch, ReloadingThePreludeKeepsItsFunctionsIntact) {
  Harness h;
  EXPECT_EQ(h.eval("(load \"src/prelude.valk\")"), "()");
  EXPECT_EQ(broken(h), 0u);
  EXPECT_EQ(h.eval("(map (\\ {x} {+ x 1}) {1 2})"), "{2 3}");
}

TEST(Watch, RebindingPlusTakesEffect) {
  Harness h;
  EXPECT_EQ(h.eval("(fun {add a b} {+ a b}) (add 5 3)"), "8");
  EXPECT_EQ(h.eval("(def {+} -)"), "()");
  EXPECT_FALSE(intact(h, "+"));
  EXPECT_EQ(h.eval("(+ 5 3)"), "2");
  EXPECT_EQ(h.eval("(add 5 3)"), "2");  // compiled before the def
}

TEST(Watch, RebindingWithinOneActivation) {
  Harness h;
  EXPECT_EQ(h.eval("(fun {flipper} {do (def {+} -) (+ 5 3)}) (flipper)"), "2");
  // The def happens mid-loop: the iterations after it add with *.
  Harness fresh;
  EXPECT_EQ(fresh.eval("(fun {loop2 k acc} {if (== k 0) {acc} {do (if (== k 2) {def {+} *} {()}) (loop2 (- k 1) (+ acc 3))}})"
                   "(loop2 3 1)"),
            "36");
}

TEST(Watch, RestoringTheOriginalMakesItIntactAgain) {
  Harness h;
  EXPECT_EQ(h.eval("(def {orig} +) (def {+} -) (+ 10 1)"), "9");
  EXPECT_EQ(h.eval("(def {+} orig) (+ 10 1)"), "11");
  EXPECT_TRUE(intact(h, "+"));
  EXPECT_EQ(broken(h), 0u);
}

TEST(Watch, AnInFlightFormKeepsItsMeaning) {
  Harness h;
  EXPECT_EQ(h.eval("(+ (do (def {+} -) 10) 1)"), "11");
  EXPECT_EQ(h.eval("(+ 10 1)"), "9");
}

TEST(Watch, AnInFlightFormInsideAFunctionKeepsItsMeaning) {
  Harness h;
  EXPECT_EQ(h.eval("(fun {swap-add} {+ (do (def {+} -) 10) 1}) (list (swap-add) (swap-add))"), "{11 9}");
}

// The meaning kept for a form in flight goes with the frame when an error unwinds it: the same
// form run again later, at the same depth and place, sees the new meaning.
TEST(Watch, AnUnwoundFormLeavesNoMeaningBehind) {
  Harness h;
  EXPECT_EQ(h.eval("(def {mode} 0)"
                   "(fun {g} {if (== mode 0) {do (def {mode} 1) (def {+} -) (error \"boom\")} {10}})"
                   "(fun {f x} {+ (g) x})"
                   "(fun {call} {try {f 1} (\\ {e} {error/message e})})"
                   "(list (call) (call))"),
            "{\"boom\" 9}");
}

TEST(Watch, AParameterNamedPlusIsSeenByCallees) {
  Harness h;
  EXPECT_EQ(h.eval("(fun {uses-plus} {+ 5 3}) (fun {binder +} {(uses-plus)}) (binder *)"), "15");
  EXPECT_FALSE(intact(h, "+"));  // some frame may bind it now
  EXPECT_EQ(h.eval("(uses-plus)"), "8");
  EXPECT_EQ(h.eval("(+ 5 3)"), "8");
  EXPECT_EQ(h.eval("(binder -)"), "2");
}

TEST(Watch, EqBindingAWatchedNameIsLocal) {
  Harness h;
  EXPECT_EQ(h.eval("(fun {local-plus} {do (= {+} -) (+ 5 3)}) (local-plus)"), "2");
  EXPECT_EQ(h.eval("(+ 5 3)"), "8");
}

// Each inlined operator, rebound to a lambda applying another builtin: called at top level and
// from a function compiled before the rebinding.
struct Rebind {
  const char* name;
  const char* to;
  const char* form;   // uses `name`
  const char* before;
  const char* after;
};

class WatchOperator : public ::testing::TestWithParam<Rebind> {};

TEST_P(WatchOperator, SwitchesToTheNewMeaning) {
  const Rebind& r = GetParam();
  Harness h;
  std::string fn = std::string("(fun {probe-op} {") + r.form + "})";
  EXPECT_EQ(h.eval(fn + " (probe-op)"), r.before);
  EXPECT_EQ(h.eval(std::string("(def {") + r.name + "} (\\ {& xs} {unpack " + r.to + " xs}))"), "()");
  EXPECT_EQ(h.eval(std::string("(") + r.form + ")"), r.after);
  EXPECT_EQ(h.eval("(probe-op)"), r.after);
}

INSTANTIATE_TEST_SUITE_P(Operators, WatchOperator,
                         ::testing::Values(Rebind{"-", "+", "- 5 3", "2", "8"},
                                           Rebind{"-", "+", "- 5", "-5", "5"},
                                           Rebind{"*", "+", "* 6 7", "42", "13"},
                                           Rebind{"/", "*", "/ 8 2", "4", "16"},
                                           Rebind{"<", ">", "< 1 2", "1", "0"},
                                           Rebind{">", "<", "> 1 2", "0", "1"},
                                           Rebind{"<=", ">=", "<= 1 2", "1", "0"},
                                           Rebind{">=", "<=", ">= 1 2", "0", "1"},
                                           Rebind{"==", "!=", "== 1 1", "1", "0"},
                                           Rebind{"!=", "==", "!= 1 1", "0", "1"}));

TEST(Watch, RebindingIfCallsTheNewIf) {
  Harness h;
  EXPECT_EQ(h.eval("(fun {choose c} {if c {10} {20}}) (choose 1)"), "10");
  EXPECT_EQ(h.eval("(def {if} (\\ {c a b} {eval b}))"), "()");
  EXPECT_EQ(h.eval("(if 1 {1} {2})"), "2");
  EXPECT_EQ(h.eval("(choose 1)"), "20");
}

TEST(Watch, RebindingLambdaCallsTheNewLambda) {
  Harness h;
  EXPECT_EQ(h.eval("(fun {mk-id} {\\ {x} {x}}) (mk-id)"), "<lambda {x}>");
  EXPECT_EQ(h.eval("(def {\\} (\\ {a b} {7}))"), "()");
  EXPECT_EQ(h.eval("(\\ {x} {x})"), "7");
  EXPECT_EQ(h.eval("(mk-id)"), "7");
}

TEST(Watch, RebindingDoRunsTheFormAsWritten) {
  Harness h;
  EXPECT_EQ(h.eval("(fun {three} {do 1 2 3}) (three)"), "3");
  EXPECT_EQ(h.eval("(def {do} (\\ {& l} {len l}))"), "()");
  EXPECT_EQ(h.eval("(do 1 2 3)"), "3");
  EXPECT_EQ(h.eval("(do 7 8)"), "2");
  EXPECT_EQ(h.eval("(three)"), "3");
  EXPECT_EQ(h.eval("(fun {two} {do 5 6}) (two)"), "2");
}

TEST(Watch, RebindingEqualityChangesThePreludesResults) {
  Harness h;
  EXPECT_EQ(h.eval("(def {==} (\\ {a b} {5}))"), "()");
  EXPECT_EQ(h.eval("(== 1 2)"), "5");
  // map's (== l nil) now always holds, so the Valk definition returns nil at once.
  EXPECT_EQ(h.eval("(map (\\ {x} {x}) {1 2})"), "{}");
  EXPECT_EQ(h.eval("(filter (\\ {x} {1}) {1 2})"), "{}");
  EXPECT_EQ(h.eval("(foldl + 7 {1 2})"), "7");
}

// ---- prelude functions with intrinsics -----------------------------------------------------

TEST(WatchIntrinsics, RebindingHeadToAnEqualCopyKeepsTheResults) {
  Harness h;
  const char* program =
      "(list (map (\\ {x} {* x 2}) {1 2 3}) (fst {4 5}) (snd {4 5}) (trd {4 5 6}) (nth 2 {7 8 9})"
      " (filter (\\ {x} {> x 1}) {1 2 3}) (foldl - 0 {1 2 3}))";
  std::string expected = h.eval(program);
  EXPECT_EQ(expected, "{{2 4 6} 4 5 6 8 {2 3} -6}");
  EXPECT_EQ(h.eval("(def {orig-head} head) (def {head} (\\ {l} {orig-head l}))"), "()");
  EXPECT_FALSE(intact(h, "head"));
  EXPECT_EQ(h.eval(program), expected);
}

TEST(WatchIntrinsics, RebindingHeadChangesWhatFstSees) {
  Harness h;
  const char* copy = "(fun {my-map f l} {if (== l nil) {nil} {join (list (f (fst l))) (my-map f (tail l))}})";
  EXPECT_EQ(h.eval(copy), "()");
  EXPECT_EQ(h.eval("(def {orig-head} head) (def {head} (\\ {l} {orig-head (tail l)}))"), "()");
  EXPECT_EQ(h.eval("(fst {4 5 6})"), "5");
  std::string expected = h.eval("(my-map (\\ {x} {x}) {1 2 3})");
  EXPECT_EQ(expected, "Error: head: expected a non-empty Q-expression, got {}");
  EXPECT_EQ(h.eval("(map (\\ {x} {x}) {1 2 3})"), expected);
}

TEST(WatchIntrinsics, RebindingTailInsideAMappedFunction) {
  Harness h;
  const char* copy =
      "(fun {my-map f l} {if (== l nil) {nil} {join (list (f (fst l))) (my-map f (tail l))}})"
      "(def {orig-tail} tail)";
  // Not with do: the prelude's do relies on tail (through last and nth).
  const char* fn = "(\\ {x} {(def {tail} (\\ {l} {orig-tail (orig-tail l)})) x})";
  EXPECT_EQ(h.eval(copy), "()");
  EXPECT_EQ(h.eval(std::string("(map ") + fn + " {1 2 3 4 5 6})"), "{1 3 5}");
  EXPECT_EQ(h.eval("(def {tail} orig-tail)"), "()");
  EXPECT_EQ(h.eval(std::string("(my-map ") + fn + " {1 2 3 4 5 6})"), "{1 3 5}");
  // An odd length runs the new tail into {}, as the Valk definition does.
  EXPECT_EQ(h.eval("(def {tail} orig-tail)"), "()");
  EXPECT_EQ(h.eval(std::string("(map ") + fn + " {1 2 3 4 5})"),
            "Error: tail: expected a non-empty Q-expression, got {}");
}

TEST(WatchIntrinsics, RebindingInsideFilterAndFoldlCallbacks) {
  Harness h;
  EXPECT_EQ(h.eval("(def {orig-tail} tail)"), "()");
  EXPECT_EQ(h.eval("(filter (\\ {x} {(def {tail} (\\ {l} {orig-tail (orig-tail l)})) 1}) {1 2 3 4 5 6})"),
            "{1 3 5}");
  EXPECT_EQ(h.eval("(def {tail} orig-tail)"), "()");
  EXPECT_EQ(h.eval("(foldl (\\ {acc x} {(def {tail} (\\ {l} {orig-tail (orig-tail l)})) (+ acc x)}) 0 {1 2 3 4 5 6})"),
            "9");
}

TEST(WatchIntrinsics, RebindingTailChangesThePreludesDo) {
  // do is the prelude's (last l); last is (nth (len l) l), and nth's select walks with tail.
  // The same definition as an anonymous lambda (never inlined) is the reference.
  Harness h;
  EXPECT_EQ(h.eval("(do 1 2 3)"), "3");
  EXPECT_EQ(h.eval("(def {orig-tail} tail) (def {tail} (\\ {l} {orig-tail (orig-tail l)}))"), "()");
  EXPECT_EQ(h.eval("(do 1 2 3)"), "Error: head: expected a non-empty Q-expression, got {}");
  for (const char* args : {"1", "1 2", "1 2 3", "1 2 3 4 5"}) {
    EXPECT_EQ(h.eval(std::string("(do ") + args + ")"),
              h.eval(std::string("((\\ {& l} {if (== l nil) {nil} {last l}}) ") + args + ")"))
        << args;
  }
  EXPECT_EQ(h.eval("(def {tail} orig-tail)"), "()");
  EXPECT_EQ(h.eval("(do 1 2 3)"), "3");
}

TEST(WatchIntrinsics, RebindingErrorMakesNthReturnItsValue) {
  Harness h;
  EXPECT_EQ(h.eval("(nth 0 {1})"), "Error: Invalid array index (should start with 1)");
  EXPECT_EQ(h.eval("(def {error} (\\ {m} {m}))"), "()");
  EXPECT_EQ(h.eval("(nth 0 {1})"), "\"Invalid array index (should start with 1)\"");
  EXPECT_EQ(h.eval("(nth 2 {1 2})"), "2");
}

TEST(WatchIntrinsics, RebindingMinusChangesNot) {
  Harness h;
  EXPECT_EQ(h.eval("(list (not 0) (not 1))"), "{1 0}");
  EXPECT_EQ(h.eval("(def {-} (\\ {a b} {+ a b}))"), "()");
  EXPECT_EQ(h.eval("(list (not 0) (not 1))"), "{1 2}");
}

TEST(WatchIntrinsics, RebindingEvalChangesFst) {
  Harness h;
  EXPECT_EQ(h.eval("(def {eval} (\\ {q} {len q}))"), "()");
  // fst, snd and trd are (eval (head ...)), as in the original: they call what eval means now.
  EXPECT_EQ(h.eval("(list (fst {5}) (snd {5 6}) (trd {5 6 7}))"), "{1 1 1}");
}

TEST(WatchIntrinsics, RebindingIdLeavesFst) {
  Harness h;
  EXPECT_EQ(h.eval("(def {id} (\\ {x} {list x}))"), "()");
  EXPECT_EQ(h.eval("(list (fst {5}) (snd {5 6}) (trd {5 6 7}))"), "{5 6 7}");
  EXPECT_EQ(h.eval("(nth 1 {7})"), "7");
}

TEST(WatchIntrinsics, RedefiningMapItselfIsUsed) {
  Harness h;
  EXPECT_EQ(h.eval("(fun {map f l} {len l}) (map head {1 2 3})"), "3");
  EXPECT_FALSE(intact(h, "map"));
}

}  // namespace
}  // namespace valk
