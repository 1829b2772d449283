// vm_test.cpp: the VM's entry points (run_source, call), errors with their positions and call
// chains, roots across runs, interrupts from another thread, host re-entry and GC stress.
#include "vm/vm.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <string>
#include <thread>

#include "harness.h"

namespace valk {
namespace {

using test::Harness;
using test::HostBuiltin;

// ---- run_source ----------------------------------------------------------------------------

TEST(VmRunSource, ReturnsTheLastValue) {
  Harness h;
  EXPECT_EQ(h.eval("1 2 (+ 1 2)"), "3");
  EXPECT_EQ(h.eval("(def {a} 5) (* a a)"), "25");
  EXPECT_EQ(h.eval("\"hi\""), "\"hi\"");
}

TEST(VmRunSource, EmptySourceIsTheEmptyExpression) {
  Harness h;
  EXPECT_EQ(h.eval(""), "()");
  EXPECT_EQ(h.eval("; only a comment"), "()");
}

TEST(VmRunSource, StopsAtTheFirstErrorAndKeepsEarlierEffects) {
  Harness h;
  auto e = h.error("(print \"one\")\n(head {})\n(print \"two\")");
  EXPECT_EQ(e.message, "head: expected a non-empty Q-expression, got {}");
  EXPECT_EQ(e.where, "test.valk:2:1");
  EXPECT_EQ(h.out(), "one\n");
}

TEST(VmRunSource, ReadErrorIsAnErrorValueWithItsPosition) {
  Harness h;
  auto e = h.error("(+ 1 2)\n  (+ 1", "broken.valk");
  EXPECT_EQ(e.where.substr(0, 14), "broken.valk:2:");
  EXPECT_FALSE(e.message.empty());
  // Nothing of a file that does not read runs.
  EXPECT_EQ(h.eval("(def {ran} 1)\n)"), "Error: unexpected ')'");
  EXPECT_EQ(h.eval("ran"), "Error: LEnv: Symbol `ran` is not bound");
}

TEST(VmRunSource, GlobalsPersistAcrossRuns) {
  Harness h;
  EXPECT_EQ(h.eval("(def {counter} 1)"), "()");
  EXPECT_EQ(h.eval("(def {counter} (+ counter 1))"), "()");
  EXPECT_EQ(h.eval("counter"), "2");
}

TEST(VmRunSource, NoFramesAreLeftAfterARunOrAnError) {
  Harness h;
  EXPECT_EQ(h.vm().frame_count(), 0u);
  EXPECT_EQ(h.eval("(fun {deep k} {if (== k 0) {0} {+ 1 (deep (- k 1))}}) (deep 1000)"), "1000");
  EXPECT_EQ(h.vm().frame_count(), 0u);
  EXPECT_EQ(h.eval("(fun {bad k} {if (== k 0) {head {}} {+ 1 (bad (- k 1))}}) (bad 1000)"),
            "Error: head: expected a non-empty Q-expression, got {}");
  EXPECT_EQ(h.vm().frame_count(), 0u);
}

TEST(VmRunSource, WithoutPreludeOnlyBuiltinsAreBound) {
  VmConfig config;
  config.load_prelude = false;
  Harness h(config);
  EXPECT_EQ(h.eval("(+ 1 2)"), "3");
  EXPECT_EQ(h.eval("(fun {f x} {x})"), "Error: LEnv: Symbol `fun` is not bound");
  EXPECT_EQ(h.eval("nil"), "Error: LEnv: Symbol `nil` is not bound");
}

// ---- lifetime ------------------------------------------------------------------------------

// The VM frees the builtin objects it made; one bound to a second name must be freed once, and
// not read after it was freed (AddressSanitizer builds see it).
TEST(VmLifetime, ABuiltinBoundToTwoNamesIsFreedOnce) {
  {
    Harness h;
    EXPECT_EQ(h.eval("(def {alias} head) (alias {1 2})"), "{1}");
  }
  {
    Harness h;
    EXPECT_EQ(h.eval("(def {orig-plus} +) (def {+} -) (def {-} orig-plus) (- 5 3)"), "8");
  }
}

// ---- call ----------------------------------------------------------------------------------

TEST(VmCall, CallsALambdaWithArguments) {
  Harness h;
  Value f = h.run("(\\ {x y} {- x y})");
  RootGuard guard(h.vm(), f);
  Value args[] = {Value::fixnum(10), Value::fixnum(3)};
  EXPECT_EQ(h.show(h.vm().call(f, args)), "7");
  EXPECT_EQ(h.vm().frame_count(), 0u);
}

TEST(VmCall, CallsBuiltinsAndPartials) {
  Harness h;
  Value plus = h.vm().sym("+")->global;
  Value args[] = {Value::fixnum(1), Value::fixnum(2), Value::fixnum(3)};
  EXPECT_EQ(h.show(h.vm().call(plus, args)), "6");
  Value partial = h.run("((\\ {a b c} {list a b c}) 1)");
  RootGuard guard(h.vm(), partial);
  Value rest[] = {Value::fixnum(2), Value::fixnum(3)};
  EXPECT_EQ(h.show(h.vm().call(partial, rest)), "{1 2 3}");
  Value one[] = {Value::fixnum(2)};
  EXPECT_EQ(h.show(h.vm().call(partial, one)), "<lambda {c}>");
}

TEST(VmCall, ErrorsComeBackAsValues) {
  Harness h;
  Value f = h.run("(\\ {x} {head x})");
  RootGuard guard(h.vm(), f);
  Value args[] = {Value::fixnum(1)};
  EXPECT_EQ(h.show(h.vm().call(f, args)), "Error: head: argument 1 must be a Q-expression, got Integer");
  Value three[] = {Value::fixnum(1), Value::fixnum(2), Value::fixnum(3)};
  EXPECT_EQ(h.show(h.vm().call(f, three)), "Error: More arguments were given than required. Actual: 3, Expected: 1");
  EXPECT_EQ(h.vm().frame_count(), 0u);
  EXPECT_EQ(h.eval("(+ 1 1)"), "2");
}

TEST(VmCall, CallingANonFunctionGivesTheLastArgument) {
  Harness h;
  Value args[] = {Value::fixnum(8), Value::fixnum(9)};
  EXPECT_EQ(h.show(h.vm().call(Value::fixnum(1), args)), "9");
  EXPECT_EQ(h.show(h.vm().call(Value::fixnum(1), {})), "1");
}

// ---- errors: positions and traces ----------------------------------------------------------

TEST(VmErrors, ErrorValueBeforeRaisingHasNoPosition) {
  Harness h;
  Value e = h.vm().error("plain");
  auto info = h.inspect(e);
  EXPECT_TRUE(info.is_error);
  EXPECT_EQ(info.message, "plain");
  EXPECT_EQ(info.where, "");
  EXPECT_TRUE(info.trace.empty());
  EXPECT_EQ(info.described, "plain");
}

TEST(VmErrors, PositionIsTheFailingForm) {
  Harness h;
  auto e = h.error("(def {a} 1)\n(+ a\n   (head 5))");
  EXPECT_EQ(e.message, "head: argument 1 must be a Q-expression, got Integer");
  EXPECT_EQ(e.where, "test.valk:3:4");
  auto unbound = h.error("(+ 1\n  missing)");
  EXPECT_EQ(unbound.message, "LEnv: Symbol `missing` is not bound");
  EXPECT_EQ(unbound.where, "test.valk:2:3");
}

TEST(VmErrors, TraceNamesTheFunctionsInnermostFirst) {
  Harness h;
  auto e = h.error(
      "(fun {outer x} {+ 1 (middle x)})\n"
      "(fun {middle x} {+ 1 (inner x)})\n"
      "(fun {inner x} {head x})\n"
      "(+ 0 (outer 1))");
  EXPECT_EQ(e.where, "test.valk:3:17");
  ASSERT_EQ(e.trace.size(), 4u);
  EXPECT_EQ(e.trace[0], "inner (test.valk:3:17)");
  EXPECT_EQ(e.trace[1], "middle (test.valk:2:22)");
  EXPECT_EQ(e.trace[2], "outer (test.valk:1:21)");
  EXPECT_EQ(e.trace[3], "<top level> (test.valk:4:6)");
  EXPECT_EQ(e.described,
            "test.valk:3:17: head: argument 1 must be a Q-expression, got Integer\n"
            "  in inner (test.valk:3:17)\n"
            "  in middle (test.valk:2:22)\n"
            "  in outer (test.valk:1:21)\n"
            "  in <top level> (test.valk:4:6)");
}

TEST(VmErrors, RepeatedFramesAreFolded) {
  Harness h;
  auto e = h.error("(fun {down k} {if (== k 0) {error \"bottom\"} {+ 1 (down (- k 1))}})\n(+ 0 (down 7))");
  EXPECT_EQ(e.message, "bottom");
  EXPECT_EQ(e.where, "test.valk:1:28");
  ASSERT_EQ(e.trace.size(), 3u);
  EXPECT_EQ(e.trace[0], "down (test.valk:1:28)");
  EXPECT_EQ(e.trace[1], "down (test.valk:1:50) [7 times]");
  EXPECT_EQ(e.trace[2], "<top level> (test.valk:2:6)");
}

TEST(VmErrors, LongTracesKeepBothEndsAndCountTheMiddle) {
  // 30 distinct functions calling each other, then the top level: 31 lines, more than
  // limits::kMaxTraceLines (24).
  std::string src;
  for (int i = 1; i < 30; ++i) {
    src += "(fun {chain" + std::to_string(i) + " x} {+ 1 (chain" + std::to_string(i + 1) + " x)})\n";
  }
  src += "(fun {chain30 x} {head x})\n(+ 0 (chain1 5))";
  Harness h;
  auto e = h.error(src);
  ASSERT_EQ(e.trace.size(), limits::kMaxTraceLines + 1);
  EXPECT_EQ(e.trace.front().substr(0, 8), "chain30 ");
  EXPECT_EQ(e.trace[limits::kMaxTraceLines / 2], "... 7 more ...");
  EXPECT_EQ(e.trace.back().substr(0, 11), "<top level>");
}

TEST(VmErrors, ErrorsInsideThePreludeArePlacedAtTheUsersCall) {
  Harness h;
  auto e = h.error("(def {xs} {1 2})\n  (nth 0 xs)");
  EXPECT_EQ(e.message, "Invalid array index (should start with 1)");
  EXPECT_EQ(e.where, "test.valk:2:3");
  bool names_nth = false;
  for (const auto& line : e.trace) {
    if (line.rfind("nth (<builtin src/prelude.valk>:", 0) == 0) names_nth = true;
  }
  EXPECT_TRUE(names_nth) << e.described;
  EXPECT_EQ(e.trace.back(), "<top level> (test.valk:2:3)");

  auto s = h.error("\n\n(select {0 1})");
  EXPECT_EQ(s.message, "No selection found");
  EXPECT_EQ(s.where, "test.valk:3:1");
}

// Mutual recursion repeats a cycle of lines: the trace keeps one copy and a count.
TEST(VmErrors, RepeatedCyclesOfCallsFoldIntoOneCount) {
  Harness h;
  auto e = h.error("(fun {ping n} {+ 1 (pong n)})\n(fun {pong n} {+ 1 (ping n)})\n(ping 1)");
  EXPECT_EQ(e.message, "stack overflow: more than 1000000 nested calls");
  ASSERT_EQ(e.trace.size(), 4u) << e.described;
  EXPECT_EQ(e.trace[0], "pong (test.valk:2:20)");
  EXPECT_EQ(e.trace[1], "ping (test.valk:1:20)");
  EXPECT_EQ(e.trace[2], "[the 2 lines above 499999 times]");
  EXPECT_EQ(e.trace[3], "<top level> (test.valk:3:1)");
  EXPECT_NE(e.described.find("\n  [the 2 lines above"), std::string::npos) << e.described;
}

// A tail call from the user's code into the prelude replaces the user's frame, but the error
// is still placed at that call and the trace still names the function the user called.
TEST(VmErrors, TailCallsIntoThePreludeKeepTheUsersCall) {
  Harness h;
  auto e = h.error("(fun {get xs} {nth 0 xs})\n(fun {outer} {+ 1 (get {1})})\n(outer)");
  EXPECT_EQ(e.message, "Invalid array index (should start with 1)");
  EXPECT_EQ(e.where, "test.valk:1:16");
  bool names_get = false;
  for (const auto& line : e.trace) names_get = names_get || line == "get (test.valk:1:16)";
  EXPECT_TRUE(names_get) << e.described;
  EXPECT_EQ(e.trace.back(), "<top level> (test.valk:3:1)");
}

TEST(VmErrors, ErrorsInEvaluatedCodeAreAtTheirForm) {
  Harness h;
  auto e = h.error("(eval {+ 1\n \"a\"})");
  EXPECT_EQ(e.message, "+: argument 2 must be an Integer, got String");
  EXPECT_EQ(e.where, "test.valk:1:8");
}

TEST(VmErrors, DescribeOfANonErrorIsEmpty) {
  Harness h;
  EXPECT_EQ(h.vm().describe_error(Value::fixnum(1)), "");
}

// ---- roots -------------------------------------------------------------------------------

TEST(VmRoots, ARootGuardKeepsAValueAcrossCollections) {
  Harness h;
  Value kept = h.run("(map (\\ {x} {* x x}) (range 0 50))");
  RootGuard guard(h.vm(), kept);
  EXPECT_EQ(h.eval("(do (map (\\ {x} {list x x x}) (range 0 20000)) (gc/collect) 1)"), "1");
  h.vm().collect_garbage(true);
  h.vm().collect_garbage(false);
  std::string text = readable(kept);
  EXPECT_EQ(text.substr(0, 12), "{0 1 4 9 16 ");
  EXPECT_EQ(text.substr(text.size() - 6), " 2401}");
}

// ---- interrupts --------------------------------------------------------------------------

// Interrupts `vm` from another thread after `delay`.
class Interrupter {
 public:
  Interrupter(VM& vm, std::chrono::milliseconds delay)
      : thread_([&vm, delay] {
          std::this_thread::sleep_for(delay);
          vm.interrupt();
        }) {}
  ~Interrupter() { thread_.join(); }

 private:
  std::thread thread_;
};

TEST(VmInterrupt, StopsAnInfiniteTailLoop) {
  Harness h;
  Value r;
  {
    Interrupter stop(h.vm(), std::chrono::milliseconds(100));
    r = h.run("(fun {spin k} {spin (+ k 1)}) (spin 0)");
  }
  auto e = h.inspect(r);
  EXPECT_TRUE(e.is_error);
  EXPECT_EQ(e.message, "interrupted");
  EXPECT_EQ(h.vm().frame_count(), 0u);
  EXPECT_EQ(h.eval("(+ 1 2)"), "3");
  EXPECT_EQ(h.eval("(spin2 0)"), "Error: LEnv: Symbol `spin2` is not bound");
}

TEST(VmInterrupt, StopsADeepNonTailLoopAndAMapLoop) {
  Harness h;
  {
    Interrupter stop(h.vm(), std::chrono::milliseconds(100));
    EXPECT_EQ(h.eval("(fun {grow k} {if (== k -1) {0} {+ 1 (grow (+ k 1))}}) (fun {again k} {do (grow (- 0 300)) (again k)}) (again 0)"),
              "Error: interrupted");
  }
  {
    Interrupter stop(h.vm(), std::chrono::milliseconds(100));
    EXPECT_EQ(h.eval("(fun {forever k} {do (map (\\ {y} {+ y 1}) {1 2 3}) (forever k)}) (forever 0)"),
              "Error: interrupted");
  }
  EXPECT_EQ(h.eval("(map (\\ {y} {* y 10}) {1 2 3})"), "{10 20 30}");
}

TEST(VmInterrupt, IsNotCaughtBySysCatchOrLoad) {
  Harness h;
  {
    Interrupter stop(h.vm(), std::chrono::milliseconds(100));
    EXPECT_EQ(h.eval("(fun {spin k} {spin (+ k 1)}) (sys/catch {spin 0})"), "Error: interrupted");
  }
  EXPECT_EQ(h.eval("(sys/catch {+ 1 1})"), "{1 2}");
}

// ---- host re-entry -------------------------------------------------------------------------

// (host/reenter k): calls the global `reenter-cb` with k from C++, returning what it returns.
Value host_reenter(VM& vm, Args a) {
  Value cb = vm.sym("reenter-cb")->global;
  Value args[] = {a[0]};
  return vm.call(cb, args);
}

TEST(VmReentry, NestedHostCallsWork) {
  Harness h;
  HostBuiltin b(h.vm(), "host/reenter", 1, 1, host_reenter);
  EXPECT_EQ(h.eval("(def {reenter-cb} (\\ {k} {if (== k 0) {100} {+ 1 (host/reenter (- k 1))}})) (host/reenter 50)"),
            "150");
  EXPECT_EQ(h.vm().frame_count(), 0u);
}

TEST(VmReentry, TooManyNestedEntriesIsAnError) {
  Harness h;
  HostBuiltin b(h.vm(), "host/reenter", 1, 1, host_reenter);
  auto e = h.error("(def {reenter-cb} (\\ {k} {+ 1 (host/reenter (+ k 1))})) (host/reenter 0)");
  EXPECT_EQ(e.message, "too many nested entries into the VM");
  EXPECT_EQ(h.vm().frame_count(), 0u);
  EXPECT_EQ(h.eval("(def {reenter-cb} (\\ {k} {* k 2})) (host/reenter 21)"), "42");
}

// ---- heap limit --------------------------------------------------------------------------

TEST(VmOutOfMemory, PastTheHeapLimitIsAnErrorAndTheVmGoesOn) {
  VmConfig config;
  config.heap.heap_limit = size_t(16) << 20;
  Harness h(config);
  EXPECT_EQ(h.eval("(fun {build k acc} {if (== k 0) {acc} {build (- k 1) (cons (list k k) acc)}})"), "()");
  EXPECT_EQ(h.eval("(sys/catch {len (build 2000000 {})})"), "{0 \"out of memory\"}");
  EXPECT_EQ(h.eval("(len (build 1000 {}))"), "1000");
  auto e = h.error("(def {keep} (build 2000000 {}))");
  EXPECT_EQ(e.message, "out of memory");
  EXPECT_EQ(h.vm().frame_count(), 0u);
  EXPECT_EQ(h.eval("(+ 1 2)"), "3");
}

// ---- collection under stress ---------------------------------------------------------------

const char kWorkload[] =
    "(fun {build k} {if (== k 0) {nil} {cons (list k (* k k)) (build (- k 1))}})\n"
    "(fun {total xs} {foldl (\\ {acc p} {+ acc (snd p)}) 0 xs})\n"
    "(def {big} (build 400))\n"
    "(def {mk} (\\ {a} {\\ {b} {+ a b}}))\n"
    "(list (total big) (len (filter (\\ {p} {> (fst p) 300}) big)) (map (\\ {p} {fst p}) (take 5 big))\n"
    "      ((mk 40) 2) (sum (map (mk 1) (range 0 300))) (nth 3 {\"a\" \"b\" \"c\"}))";

TEST(VmGcStress, DeepProgramsGiveTheSameResultsUnderStress) {
  Harness plain;
  std::string expected = plain.eval(kWorkload);
  EXPECT_EQ(expected, "{21413400 100 {400 399 398 397 396} 42 45150 \"c\"}");
  VmConfig config;
  config.heap.stress = true;
  config.heap.verify = true;
  Harness stressed(config);
  EXPECT_EQ(stressed.eval(kWorkload), expected);
  EXPECT_GT(stressed.vm().heap().stats().minor_count + stressed.vm().heap().stats().major_count, 100u);
}

TEST(VmGcStress, ClosuresAndEqBindingsSurviveCollections) {
  VmConfig config;
  config.heap.stress = true;
  Harness h(config);
  EXPECT_EQ(h.eval("(fun {counter start} {do (= {c} start) (= {bump} (\\ {} {c})) (= {c} (+ c 1)) bump})\n"
                   "(def {cs} (map counter (range 0 200)))\n"
                   "(gc/collect)\n"
                   "(sum (map (\\ {f} {(f)}) cs))"),
            "20100");
}

}  // namespace
}  // namespace valk
