// proc_test.cpp: proc/run of src/aio/proc.cpp seen from C++: a loop closed while a process runs
// kills it and still closes cleanly (uv_loop_close() == 0); many runs leave no handle behind.
// Its Valk-level behaviour and every error message are in tests/valk/proc.valk.
#include <gtest/gtest.h>

#include <chrono>

#include "../vm/harness.h"
#include "aio/loop.h"

namespace valk {
namespace {

using test::Harness;

TEST(AioProc, ClosingWhileAProcessRunsKillsItAndClosesCleanly) {
  Harness h;
  EXPECT_EQ(h.eval("(do (proc/run (dict \"args\" {\"sleep\" \"30\"} \"stdin\" \"unread\")) 0)"), "0");
  auto start = std::chrono::steady_clock::now();
  EXPECT_EQ(h.vm().loop().close(), 0);
  // Killed, not waited for: far less than its 30 s.
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(10));
}

TEST(AioProc, ManyRunsLeaveNoHandleBehind) {
  Harness h;
  EXPECT_EQ(h.eval("(len (await (aio/all (map (\\ {i} {proc/run {\"true\"}}) (range 0 50)))))"), "50");
  EXPECT_EQ(h.eval("(get (await (proc/run (dict \"args\" {\"sleep\" \"5\"} \"timeout\" 20))) \"status\")"),
            "Error: proc/run: sleep: no exit within 20 ms (killed)");
  EXPECT_EQ(h.vm().loop().close(), 0);
}

}  // namespace
}  // namespace valk
