// loop_test.cpp: the event loop of src/aio/loop.cpp and future.cpp seen from C++: every loop test
// ends with uv_loop_close() == 0; unawaited failures reported; await through VM::call; awaited
// errors carry the await site; many fibers at once; fibers nothing can resume are collected.
#include "aio/loop.h"

#include <gtest/gtest.h>

#include <string>

#include "../repl/exec.h"
#include "../vm/harness.h"

namespace valk {
namespace {

using test::Harness;
using test::HostBuiltin;

TEST(AioLoop, ClosesCleanlyAfterTimersFibersAndPendingTimers) {
  Harness h;
  EXPECT_EQ(h.eval("(await (aio/all (list (aio/sleep 2) (aio/spawn + 1 2))))"), "{() 3}");
  // A timer still running and a fiber never run: close() closes the handle all the same.
  EXPECT_EQ(h.eval("(do (aio/sleep 100000) (aio/spawn + 1 2) 0)"), "0");
  EXPECT_EQ(h.vm().loop().close(), 0);
  EXPECT_EQ(h.vm().loop().close(), 0);  // idempotent
}

TEST(AioLoop, RunPendingRunsBackgroundFibersToTheEnd) {
  Harness h;
  EXPECT_EQ(h.eval("(aio/spawn (\\ {} {do (await (aio/sleep 5)) (print \"bg\")}))"), "<future pending>");
  EXPECT_EQ(h.out(), "");
  h.vm().run_pending();
  EXPECT_EQ(h.out(), "bg\n");
  EXPECT_EQ(h.vm().loop().close(), 0);
}

// The HTTP state a loop owns (net/builtins.cpp) is destroyed by close(), before its last callbacks.
TEST(AioLoop, CloseDestroysTheHttpState) {
  struct Flagged : LoopState {
    bool* gone;
    explicit Flagged(bool* g) : gone(g) {}
    ~Flagged() override { *gone = true; }
  };
  Harness h;
  bool gone = false;
  EXPECT_EQ(h.vm().loop().http_state(), nullptr);
  h.vm().loop().set_http_state(std::make_unique<Flagged>(&gone));
  EXPECT_NE(h.vm().loop().http_state(), nullptr);
  EXPECT_EQ(h.vm().loop().close(), 0);
  EXPECT_TRUE(gone);
  EXPECT_EQ(h.vm().loop().http_state(), nullptr);
}

// run_while stops as soon as go() is false, with work still pending (a worker isolate's server).
TEST(AioLoop, RunWhileStopsWhenToldWithWorkPending) {
  Harness h;
  EXPECT_EQ(h.eval("(aio/spawn (\\ {} {do (await (aio/sleep 1)) (print \"one\") (await (aio/sleep 100000)) (print \"never\")}))"),
            "<future pending>");
  std::string seen;  // out() drains what was printed
  h.vm().loop().run_while([&] {
    seen += h.out();
    return seen.empty();
  });
  EXPECT_EQ(seen, "one\n");
  EXPECT_EQ(h.vm().loop().close(), 0);
}

TEST(AioLoop, AnUnawaitedFailureIsReportedWithItsTrace) {
  Harness h;
  h.run("(fun {bad} {head 1})\n(aio/spawn bad)");
  h.vm().run_pending();
  EXPECT_EQ(h.err(),
            "aio: a fiber failed and nothing awaited it: test.valk:1:13: head: argument 1 must be a Q-expression, "
            "got Integer\n  in bad (test.valk:1:13)\n");
  // Awaited (or chained), it is the awaiter's error: nothing is reported.
  EXPECT_EQ(h.message("(await (aio/spawn bad))"), "head: argument 1 must be a Q-expression, got Integer");
  h.vm().run_pending();
  EXPECT_EQ(h.err(), "");
  EXPECT_EQ(h.vm().loop().close(), 0);
}

TEST(AioLoop, AnAwaitedErrorCarriesItsTraceThenTheAwaitSite) {
  Harness h;
  auto e = h.error("(fun {bad} {head 1})\n(fun {waiter} {await (aio/spawn bad)})\n(waiter)");
  EXPECT_EQ(e.message, "head: argument 1 must be a Q-expression, got Integer");
  EXPECT_EQ(e.where, "test.valk:1:13");
  std::vector<std::string> expected{"bad (test.valk:1:13)", "[awaited at test.valk:2:16]", "await",
                                    "waiter (test.valk:2:16)", "<top level> (test.valk:3:1)"};
  EXPECT_EQ(e.trace, expected);
  EXPECT_EQ(h.vm().loop().close(), 0);
}

// await of a fiber the loop would run next runs it at once (Loop::run_ahead), with the same
// order and errors as a turn of the loop; never inside a call from C++, never past other fibers.
TEST(AioLoop, AwaitRunsTheNextReadyFiberAheadOfTheLoop) {
  Harness h;
  EXPECT_EQ(h.eval("(await (aio/spawn + 1 2))"), "3");
  EXPECT_EQ(h.vm().loop().fibers_run_ahead(), 1u);
  // b is not next: a runs first, through the loop, as it would without run_ahead.
  EXPECT_EQ(h.eval("(do (def {order} {}) (= {a} (aio/spawn (\\ {} {def {order} (join order {1})}))) "
                   "(= {b} (aio/spawn (\\ {} {def {order} (join order {2})}))) (await b) order)"),
            "{1 2}");
  EXPECT_EQ(h.vm().loop().fibers_run_ahead(), 1u);
  // A fiber that suspends is waited for as before; one that fails is awaited, not reported.
  EXPECT_EQ(h.eval("(await (aio/spawn (\\ {} {do (await (aio/sleep 1)) 5})))"), "5");
  EXPECT_EQ(h.message("(await (aio/spawn head 1))"), "head: argument 1 must be a Q-expression, got Integer");
  EXPECT_EQ(h.vm().loop().fibers_run_ahead(), 3u);
  EXPECT_EQ(h.err(), "");
  EXPECT_EQ(h.vm().loop().close(), 0);
}

TEST(AioLoop, AwaitInsideACallFromCxxIsAnErrorNotAHang) {
  Harness h;
  HostBuiltin host(h.vm(), "host-call", 1, 1, [](VM& vm, Args a) { return vm.call(a[0], {}); });
  EXPECT_EQ(h.message("(host-call (\\ {} {await (aio/sleep 1)}))"),
            "await: cannot suspend inside a call from C++ (VM::call)");
  // Nor is a spawned fiber run ahead there: the loop is not driven from inside C++.
  EXPECT_EQ(h.message("(host-call (\\ {} {await (aio/spawn + 1 2)}))"),
            "await: cannot suspend inside a call from C++ (VM::call)");
  EXPECT_EQ(h.vm().loop().fibers_run_ahead(), 0u);
  // A settled future needs no suspension: fine there.
  EXPECT_EQ(h.eval("(host-call (\\ {} {await (do (= {p} (aio/promise)) (aio/resolve p 4) p)}))"), "4");
  // The outermost VM::call is the main fiber's run: it drives the loop.
  Value f = h.run("(\\ {} {await (aio/then (aio/sleep 1) (\\ {x} {7}))})");
  RootGuard guard(h.vm(), f);
  EXPECT_EQ(h.show(h.vm().call(f, {})), "7");
  EXPECT_EQ(h.vm().loop().close(), 0);
}

TEST(AioLoop, AHundredThousandFibersAliveAtOnce) {
  Harness h;
  EXPECT_EQ(h.eval("(def {gate} (aio/promise))\n"
                   "(def {fs} (map (\\ {i} {aio/spawn (\\ {} {do (await gate) i})}) (range 0 100000)))\n"
                   "(await (aio/sleep 0))\n"  // every fiber runs up to its await
                   "(aio/resolve gate 0)\n"
                   "(sum (await (aio/all fs)))"),
            "4999950000");
  EXPECT_EQ(h.vm().loop().fibers_started(), 100001u);  // and aio/all's own
  EXPECT_EQ(h.vm().loop().close(), 0);
}

// Chains of futures, each computed from the next, are cancelled link by link, not by recursion:
// 300,000 fibers each awaiting the one before crashed the recursive version (its C++ stack), as
// would a million thens. The real binary, VALK_* cleared: under GC stress (make stress) a chain
// this long would take minutes.
TEST(AioCancel, LongChainsAreCancelledWholeWithoutRecursion) {
  Exec r = run_valk({"-"},
                    "(fun {chain n prev} {if (== n 0) {prev} {chain (- n 1) (aio/spawn (\\ {p} {await p}) prev)}})\n"
                    "(def {bottom} (aio/sleep 100000))\n"
                    "(def {top} (chain 300000 bottom))\n"
                    "(await (aio/sleep 1))\n"
                    "(print (aio/cancel top) (try {await bottom} (\\ {e} {error/message e})))\n"
                    "(fun {thens n prev} {if (== n 0) {prev} {thens (- n 1) (aio/then prev (\\ {x} {x}))}})\n"
                    "(def {bottom} (aio/sleep 100000))\n"
                    "(print (aio/cancel (thens 1000000 bottom)) (try {await bottom} (\\ {e} {error/message e})))\n");
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.out, "1 cancelled\n1 cancelled\n") << r.err;
}

int g_fibers_freed = 0;
Heap::Finalizer g_fiber_finalizer = nullptr;
size_t counting_fiber_finalizer(Object* o) {
  ++g_fibers_freed;
  return g_fiber_finalizer(o);
}

TEST(AioLoop, FibersNothingCanResumeAreCollected) {
  Harness h;
  g_fiber_finalizer = h.vm().heap().finalizer(ObjType::kFiber);
  h.vm().heap().set_finalizer(ObjType::kFiber, counting_fiber_finalizer);
  g_fibers_freed = 0;
  // Each waits on a promise only it holds: nothing can ever resume it.
  h.run("(repeat (\\ {i} {aio/spawn (\\ {} {await (aio/promise)})}) 100)");
  h.vm().run_pending();
  h.vm().collect_garbage(false);  // young fibers: a minor collection frees them
  EXPECT_EQ(g_fibers_freed, 100);
  h.vm().collect_garbage(true);
  EXPECT_EQ(g_fibers_freed, 100);  // and only once
  // One whose promise is still held stays.
  g_fibers_freed = 0;
  h.run("(def {held} (aio/promise)) (def {f} (aio/spawn (\\ {} {await held})))");
  h.vm().run_pending();
  h.vm().collect_garbage(false);  // moved out of the nursery while suspended
  h.vm().collect_garbage(true);
  EXPECT_EQ(g_fibers_freed, 0);
  EXPECT_EQ(h.eval("(do (aio/resolve held 9) (await f))"), "9");
  EXPECT_EQ(h.vm().loop().close(), 0);
}

}  // namespace
}  // namespace valk
