// fs_test.cpp: the fs/ builtins of src/aio/fs.cpp seen from C++: requests run while other fibers
// go on, and a loop closed with requests in flight still closes cleanly (uv_loop_close() == 0).
// Their Valk-level behaviour and every error message are in tests/valk/fs.valk.
#include <gtest/gtest.h>

#include <dirent.h>

#include <string>

#include "../vm/harness.h"
#include "aio/loop.h"

namespace valk {
namespace {

using test::Harness;

TEST(AioFs, ReadsRunWhileAFiberGoesOn) {
  Harness h;
  h.run("(def {tmp} (await (fs/tempfile \"valk-fs-unit-\")))");
  EXPECT_EQ(h.eval("(await (fs/write tmp (str/repeat \"x\" 1000000)))"), "()");
  // The fiber's sleep ends while the reads are in flight or after them; both finish.
  EXPECT_EQ(h.eval("(map len (await (aio/all (list (fs/read tmp) (aio/spawn str/repeat \"y\" 3) (fs/read tmp)))))"),
            "{1000000 3 1000000}");
  EXPECT_EQ(h.eval("(await (fs/remove tmp))"), "()");
  EXPECT_EQ(h.vm().loop().close(), 0);
}

TEST(AioFs, ClosingWithRequestsInFlightClosesCleanly) {
  Harness h;
  EXPECT_EQ(h.eval("(do (fs/list \"/\") (fs/stat \"/\") (fs/read \"/nonexistent-valk\") 0)"), "0");
  EXPECT_EQ(h.vm().loop().close(), 0);
}

// Open descriptors of this process.
int open_fds() {
  int n = 0;
  DIR* d = opendir("/proc/self/fd");
  while (dirent* e = readdir(d)) n += e->d_name[0] != '.';
  closedir(d);
  return n;
}

TEST(AioFs, TheCollectorClosesAFileNothingRefersTo) {
  Harness h;
  int before = open_fds();
  EXPECT_EQ(h.eval("(do (def {f} (await (fs/open \"/dev/null\"))) 0)"), "0");
  EXPECT_EQ(open_fds(), before + 1);
  EXPECT_EQ(h.eval("(do (def {f} ()) (gc/collect) 0)"), "0");
  EXPECT_EQ(open_fds(), before);
  EXPECT_EQ(h.vm().loop().close(), 0);
}

TEST(AioFs, ListingADirectoryLeavesNoDescriptorOpen) {
  Harness h;
  // The first request starts the loop's thread pool (its own descriptors): count after it.
  EXPECT_NE(h.eval("(len (await (fs/list \"/\")))"), "0");
  int before = open_fds();
  EXPECT_EQ(h.eval("(do (await (fs/list \"/\")) (await (fs/list \"/proc/self\")) (await (fs/list \"/\")) 0)"), "0");
  EXPECT_EQ(open_fds(), before);
  EXPECT_EQ(h.vm().loop().close(), 0);
}

TEST(AioFs, ClosingWithALineReadInFlightClosesCleanly) {
  Harness h;
  // /dev/zero has no newline: the read goes on until the loop closes or the line limit.
  EXPECT_EQ(h.eval("(do (def {f} (await (fs/open \"/dev/zero\"))) (fs/read-line f) 0)"), "0");
  EXPECT_EQ(h.vm().loop().close(), 0);
}

}  // namespace
}  // namespace valk
