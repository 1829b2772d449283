// error_test.cpp: lib/error.cpp: try unwinds the VM's frames and stack exactly to where it was
// entered, the error's structured trace (ErrorObj::frames) beside its printed trace, and throw.
#include <gtest/gtest.h>

#include "../vm/harness.h"
#include "vm/vm.h"

namespace valk {
namespace {

using test::Harness;

TEST(ErrorTry, CatchingLeavesNoFrameOrSlotBehind) {
  Harness h;
  h.run("(fun {deep n} {if (== n 0) {error \"bottom\"} {+ 1 (deep (- n 1))}})");
  uint32_t frames = h.vm().frame_count();
  EXPECT_EQ(h.eval("(try {deep 50000} (\\ {e} {error/message e}))"), "\"bottom\"");
  EXPECT_EQ(h.vm().frame_count(), frames);
  // many catches in one run: the frame count seen from inside stays the same on every round
  h.run("(fun {spin n} {if (== n 0) {0} {do (try {deep 3} (\\ {e} {0})) (spin (- n 1))}})");
  EXPECT_EQ(h.eval("(spin 20000)"), "0");
  EXPECT_EQ(h.vm().frame_count(), frames);
}

TEST(ErrorTry, UncatchableErrorsPassThrough) {
  Harness h;
  h.run("(fun {same x} {x})");
  h.vm().interrupt();  // raised at the next call
  Value v = h.run("(try {same 1} (\\ {e} {\"caught\"}))");
  ASSERT_TRUE(is_error(v));
  EXPECT_TRUE(v.obj()->flags & errflag::kUncatchable);
}

TEST(ErrorTrace, FramesMatchThePrintedTrace) {
  Harness h;
  Value v = h.run("(fun {f x} {error \"in f\" x})\n(fun {g x} {+ 1 (f x)})\n(g 5)");
  ASSERT_TRUE(is_error(v));
  auto* e = v.as<ErrorObj>();
  EXPECT_TRUE(e->flags & errflag::kTraceRecorded);  // the calls, recorded: folded when first read
  h.vm().settle_trace(v);
  EXPECT_FALSE(e->flags & errflag::kTraceRecorded);
  h.vm().settle_trace(v);  // once
  EXPECT_EQ(readable(e->data), "5");
  EXPECT_EQ(readable(e->frames),
            "{{\"f\" \"test.valk\" 1 13} {\"g\" \"test.valk\" 2 17} {\"<top level>\" \"test.valk\" 3 1}}");
  EXPECT_EQ(readable(e->trace), "{\"f (test.valk:1:13)\" \"g (test.valk:2:17)\" \"<top level> (test.valk:3:1)\"}");
}

TEST(ErrorTrace, FoldedNotesHaveNoEntry) {
  Harness h;
  Value v = h.run("(fun {down n} {if (== n 0) {error \"x\"} {+ 1 (down (- n 1))}})\n(down 100)");
  ASSERT_TRUE(is_error(v));
  h.vm().settle_trace(v);
  auto* e = v.as<ErrorObj>();
  // "down (...)", "down (...) [100 times]", "<top level> (...)": three lines, three entries
  EXPECT_EQ(list_length(e->trace), 3u);
  EXPECT_EQ(list_length(e->frames), 3u);
}

TEST(ErrorThrow, KeepsTheFirstPositionAndTrace) {
  Harness h;
  h.run("(fun {f x} {error \"first\"})\n(def {saved} (try {f 1} (\\ {e} {e})))");
  Value v = h.run("\n\n\n(throw saved)");
  ASSERT_TRUE(is_error(v));
  RootGuard keep(h.vm(), v);  // across the next run, which may move it
  EXPECT_EQ(v, h.run("saved"));  // the same object, raised again
  EXPECT_EQ(h.vm().files().format(v.as<ErrorObj>()->pos), "test.valk:1:13");
  h.vm().settle_trace(v);
  EXPECT_EQ(readable(v.as<ErrorObj>()->frames),
            "{{\"f\" \"test.valk\" 1 13} {\"try\" \"\" 0 0} {\"<top level>\" \"test.valk\" 2 14}}");
}

TEST(ErrorData, ErrorWithoutDataHasEmptyList) {
  Harness h;
  Value v = h.run("(error \"plain\")");
  ASSERT_TRUE(is_error(v));
  EXPECT_TRUE(v.as<ErrorObj>()->data.is_nil());
}

}  // namespace
}  // namespace valk
