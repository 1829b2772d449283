// residue_test.cpp: what a tail call keeps of the frame it replaces, so dynamic scoping survives
// tail calls (LANGUAGE.md 5) while loops of tail calls stay in constant space.
#include <gtest/gtest.h>

#include "harness.h"
#include "internals.h"

namespace valk {
namespace {

using test::Harness;
using test::HostBuiltin;

Value probe_frames(VM& vm, Args) { return Value::fixnum(int64_t(vm.frame_count())); }
Value probe_residue(VM& vm, Args) { return Value::fixnum(VmInternals::top_residue_links(vm)); }

TEST(Residue, ACalleeReachedByATailCallSeesTheReplacedFrame) {
  Harness h;
  EXPECT_EQ(h.eval("(fun {g y} {+ x y}) (fun {f x} {g 1}) (f 5)"), "6");
}

TEST(Residue, ChainsOfTailCallsKeepEveryReplacedName) {
  Harness h;
  EXPECT_EQ(h.eval("(fun {c3 z} {list a b z}) (fun {c2 b} {c3 3}) (fun {c1 a} {c2 2}) (c1 1)"), "{1 2 3}");
}

// The shapes residue.cpp builds without its general builder: names the callee hides at the front
// of the residue are dropped and the rest kept behind the frame's own; a hidden name behind a
// kept one, and a replaced name that the frame binds again with `=`.
TEST(Residue, HiddenNamesLeaveTheResidueWhereverTheyAre) {
  Harness h;
  EXPECT_EQ(h.eval("(fun {c4 w} {list a b z w}) (fun {c3 a z} {c4 4}) (fun {c2 b} {c3 30 3})"
                   " (fun {c1 a} {c2 2}) (c1 1)"),
            "{30 2 3 4}");
  EXPECT_EQ(h.eval("(fun {d4 y} {list x y q}) (fun {d3 q} {d4 40}) (fun {d2 x} {d3 3}) (fun {d1 y} {d2 2}) (d1 1)"),
            "{2 40 3}");
  EXPECT_EQ(h.eval("(fun {e3 w} {list a k w}) (fun {e2 k} {do (= {a} 50) (e3 3)}) (fun {e1 a} {e2 2}) (e1 1)"),
            "{50 2 3}");
}

TEST(Residue, TheCalleesOwnParametersShadowTheReplacedOnes) {
  Harness h;
  EXPECT_EQ(h.eval("(fun {inner x} {x}) (fun {outer x} {inner 7}) (outer 5)"), "7");
}

TEST(Residue, EqBindingsOfAReplacedFrameAreKept) {
  Harness h;
  EXPECT_EQ(h.eval("(fun {uses} {local}) (fun {binds k} {do (= {local} (* k 3)) (uses)}) (binds 4)"), "12");
}

TEST(Residue, ClosedOverFramesOfAReplacedFrameAreKept) {
  Harness h;
  // The closure's body tail-calls `tell`, which sees the closure's closed-over `secret`.
  EXPECT_EQ(h.eval("(fun {tell} {secret}) (fun {mk secret} {\\ {u} {(tell)}}) ((mk 33) 0)"), "33");
  // A name that closed-over frame does not bind is looked up past it (here in the residue).
  EXPECT_EQ(h.eval("(fun {tell2} {list secret other}) (fun {mk2 secret} {\\ {u} {(tell2)}})"
                   " (fun {run other} {do ((mk2 33) 0)}) (run 7)"),
            "{33 7}");
}

TEST(Residue, SelfTailCallsStillSeeTheCallersNames) {
  Harness h;
  EXPECT_EQ(h.eval("(fun {countdown k} {if (== k 0) {base} {countdown (- k 1)}}) (fun {start base} {+ 0 (countdown 100000)}) (start 77)"),
            "77");
}

TEST(Residue, AMillionTailCallsBetweenTwoFunctionsStayBounded) {
  Harness h;
  HostBuiltin probe(h.vm(), "probe/frames", 0, 0, probe_frames, builtinflag::kCallBare);
  // ping's parameter is a, pong's is b; each checks that it sees the other's latest value (the
  // first ping sees the global b). Growing residues would make this quadratic, growing frames
  // would overflow.
  EXPECT_EQ(h.eval("(fun {ping a k} {if (== k 0) {list a b (probe/frames)}"
                   "  {if (== b (+ k 1)) {pong (- k 1) (- k 1)} {error \"ping saw a stale b\"}}})\n"
                   "(fun {pong b k} {if (== a (+ k 1)) {ping (- k 1) (- k 1)} {error \"pong saw a stale a\"}})\n"
                   "(fun {start k} {do (def {b} (+ k 1)) (ping k k)})"),
            "()");
  EXPECT_EQ(h.eval("(take 2 (start 1000000))"), "{0 1}");
  EXPECT_EQ(h.eval("(== (start 2) (start 1000000))"), "1");  // the same frame count
}

// A self tail call of a top-level function holds its `=` slots in place (interp.cpp
// holds_slots_through_self_tail_call): held, they are still seen by callees, but a closure made
// in the new frame does not capture them (the residue is not part of an env) until `=` binds
// them again, whether compiled, after a capture, or through eval.
TEST(Residue, SlotsHeldThroughASelfTailCallAreTheResiduesNotTheFrames) {
  Harness h;
  EXPECT_EQ(h.eval("(def {x} \"global\") (fun {peek} {x})"), "()");
  // walk binds x at its first step only and runs `at_one` at its last, two tail calls later.
  auto walk = [&](const char* at_one, const char* call) {
    h.eval(std::string("(fun {walk n} {do (if (== n 3) {= {x} \"held\"} {()}) (if (== n 1) {") + at_one +
           "} {walk (- n 1)})})");
    return h.eval(call);
  };
  EXPECT_EQ(walk("list (peek) x", "(walk 3)"), "{\"held\" \"held\"}");
  EXPECT_EQ(walk("\\ {} {x}", "((walk 3))"), "\"global\"");
  EXPECT_EQ(walk("do (= {x} \"own\") (\\ {} {x})", "((walk 3))"), "\"own\"");
  EXPECT_EQ(walk("do (= {f} (\\ {} {x})) (= {x} \"late\") f", "((walk 3))"), "\"late\"");
  EXPECT_EQ(walk("do (eval {= {x} \"evaled\"}) (\\ {} {x})", "((walk 3))"), "\"evaled\"");
}

// Continuation-passing style: each continuation tail-calls the one it closed over. The frames
// the residue would keep (the replaced continuation's closed-over frame, its caller's names)
// bind only names the callee's own closure binds first, so they are dropped instead of piling up
// (a residue growing by one env per call made the chain cubic: every call rebuilt it and
// checked each env against the others).
TEST(Residue, TailCallsAlongAChainOfContinuationsKeepNoShadowedFrames) {
  Harness h;
  HostBuiltin probe(h.vm(), "probe/residue", 0, 0, probe_residue, builtinflag::kCallBare);
  EXPECT_EQ(h.eval("(fun {sum-k n k} {if (== n 0) {k 0} {sum-k (- n 1) (\\ {v} {k (+ n v)})}})"),
            "()");
  // The last continuation's residue: the Env of sum-k's frame at n = 300 and the names n and k
  // of the frame at n = 0 (302 links before: every continuation's Env).
  EXPECT_EQ(h.eval("(sum-k 300 (\\ {v} {list v (probe/residue)}))"), "{45150 3}");
  // A chain of closures made by a function that has returned (the chain foldl composes).
  EXPECT_EQ(h.eval("(fun {mk f} {\\ {x} {f x}}) (fun {chain n f} {if (== n 0) {f} {chain (- n 1) (mk f)}})"
                   " ((chain 300 (\\ {x} {list x (probe/residue)})) 7)"),
            "{7 1}");
  // The heap each call costs does not grow with the chain.
  auto bytes_for = [&](int n) {
    uint64_t before = h.vm().heap().stats().bytes_allocated;
    EXPECT_EQ(h.eval("(sum-k " + std::to_string(n) + " id)"), std::to_string(n * (n + 1) / 2));
    return h.vm().heap().stats().bytes_allocated - before;
  };
  uint64_t small = bytes_for(400), large = bytes_for(800);
  EXPECT_LT(large, 3 * small) << small << " bytes for 400 calls, " << large << " for 800";
}

// Dropping a frame from the residue must not lose a name only it binds.
TEST(Residue, ContinuationsStillSeeNamesOnlyTheirCallersBind) {
  Harness h;
  EXPECT_EQ(h.eval("(fun {peek} {list n extra})"
                   " (fun {walk n k} {if (== n 0) {k 0} {walk (- n 1) (\\ {v} {k (+ n v)})}})"
                   " (fun {start extra} {walk 3 (\\ {v} {list v (peek)})})"
                   " (start \"seen\")"),
            "{6 {3 \"seen\"}}");
  EXPECT_EQ(h.eval("(fun {tagged n k} {do (= {tag} n) (if (== n 0) {k 0} {tagged (- n 1) (\\ {v} {k (+ (* 10 v) tag)})})})"
                   " (tagged 3 (\\ {v} {list v tag}))"),
            "{123 3}");
}

}  // namespace
}  // namespace valk
