// proc_test.cpp: proc/run of src/aio/proc.cpp seen from C++: a loop closed while a process runs
// kills it and still closes cleanly (uv_loop_close() == 0); many runs leave no handle behind; the
// process state it depends on (SIGCHLD ignored, standard descriptors closed, the descriptor limit).
// Its Valk-level behaviour and every error message are in tests/valk/proc.valk.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/resource.h>
#include <unistd.h>

#include <chrono>
#include <string>

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

// A SIGCHLD ignored by valk's parent is inherited; the kernel would then reap the children itself
// and their exit status could not be read.
TEST(AioProc, AnIgnoredSigchldStillGivesTheExitStatus) {
  struct sigaction old{};
  sigaction(SIGCHLD, nullptr, &old);
  signal(SIGCHLD, SIG_IGN);
  Harness h;
  std::string status = h.eval("(get (await (proc/run {\"sh\" \"-c\" \"exit 3\"})) \"status\")");
  sigaction(SIGCHLD, &old, nullptr);
  EXPECT_EQ(status, "3");
  EXPECT_EQ(h.vm().loop().close(), 0);
}

// With valk's own 0, 1 and 2 closed, new pipes would take those numbers, which libuv refuses
// (it asserts that a descriptor it closes is above 2): they are moved up, and each end still
// reaches the child's right descriptor. The first run, before, has libuv open what it keeps
// (its reserve descriptor, opened with the first stream).
TEST(AioProc, ClosedStandardDescriptorsStillGiveTheChildItsPipes) {
  Harness h;
  EXPECT_EQ(h.eval("(get (await (proc/run {\"true\"})) \"status\")"), "0");
  int saved[3];
  for (int fd = 0; fd < 3; ++fd) saved[fd] = dup(fd);
  for (int fd = 0; fd < 3; ++fd) close(fd);
  std::string r = h.eval(
      "(do (def {r} (await (proc/run (dict \"args\" {\"sh\" \"-c\" \"cat; echo err >&2\"} \"stdin\" \"in\" \"timeout\" 10000)))) "
      "(list (get r \"stdout\") (get r \"stderr\")))");
  std::string null_stdin = h.eval("(get (await (proc/run {\"sh\" \"-c\" \"readlink /proc/self/fd/0\"})) \"stdout\")");
  char links[3][256] = {};  // what 0, 1 and 2 are after the runs: still closed
  for (int fd = 0; fd < 3; ++fd) readlink(("/proc/self/fd/" + std::to_string(fd)).c_str(), links[fd], 255);
  for (int fd = 0; fd < 3; ++fd) {
    dup2(saved[fd], fd);
    close(saved[fd]);
  }
  EXPECT_EQ(r, "{\"in\" \"err\\n\"}");
  for (const char* link : links) EXPECT_STREQ(link, "");  // nothing left open there
  EXPECT_EQ(null_stdin, "\"/dev/null\\n\"");
  EXPECT_EQ(h.vm().loop().close(), 0);
}

int lowest_free_fd() {
  int fd = dup(0);
  close(fd);
  return fd;
}

// Out of descriptors, the run is an error naming the reason, and what it had opened is closed.
TEST(AioProc, TooManyOpenFilesIsAnErrorAndLeaksNoDescriptor) {
  Harness h;
  rlimit old{};
  getrlimit(RLIMIT_NOFILE, &old);
  int free_fd = lowest_free_fd();
  rlimit low = old;
  low.rlim_cur = rlim_t(free_fd + 3);  // room for one pipe, not for the second
  setrlimit(RLIMIT_NOFILE, &low);
  std::string r = h.eval("(proc/run {\"true\"})");
  setrlimit(RLIMIT_NOFILE, &old);
  EXPECT_EQ(r, "Error: proc/run: true: EMFILE (too many open files)");
  EXPECT_EQ(lowest_free_fd(), free_fd);
  EXPECT_EQ(h.eval("(get (await (proc/run {\"true\"})) \"status\")"), "0");
  EXPECT_EQ(lowest_free_fd(), free_fd);
  EXPECT_EQ(h.vm().loop().close(), 0);
}

}  // namespace
}  // namespace valk
