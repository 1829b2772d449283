// isolate_test.cpp: worker isolates (src/aio/isolate.cpp) from C++: results in order from several
// workers, the loop closes cleanly with a pool started, a worker's error keeps its position and
// trace, a program ends once its parallel work is done, and the VALK_WORKERS setting.
#include "aio/isolate.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <string>

#include "../vm/harness.h"
#include "aio/loop.h"
#include "config/limits.h"

namespace valk {
namespace {

using test::Harness;

// Sets VALK_WORKERS for one test, restoring it after.
class WorkersEnv {
 public:
  explicit WorkersEnv(const char* value) {
    const char* old = std::getenv("VALK_WORKERS");
    had_ = old != nullptr;
    if (had_) old_ = old;
    if (value) setenv("VALK_WORKERS", value, 1); else unsetenv("VALK_WORKERS");
  }
  ~WorkersEnv() {
    if (had_) setenv("VALK_WORKERS", old_.c_str(), 1); else unsetenv("VALK_WORKERS");
  }

 private:
  bool had_ = false;
  std::string old_;
};

TEST(Isolate, ResultsComeBackInOrderFromSeveralWorkers) {
  WorkersEnv env("3");
  Harness h;
  EXPECT_EQ(h.eval("(aio/workers)"), "3");
  EXPECT_EQ(h.eval("(len (await (aio/parallel (\\ {x} {* x 2}) (range 0 500))))"), "500");
  EXPECT_EQ(h.eval("(== (await (aio/parallel (\\ {x} {* x 2}) (range 0 500))) (map (\\ {x} {* x 2}) (range 0 500)))"),
            "1");
  // Several calls in flight at once, from fibers.
  EXPECT_EQ(h.eval("(await (aio/all (map (\\ {k} {aio/parallel (\\ {x} {+ x k}) {1 2 3}}) {10 20 30})))"),
            "{{11 12 13} {21 22 23} {31 32 33}}");
  EXPECT_EQ(h.vm().loop().close(), 0);
}

TEST(Isolate, AWorkersErrorKeepsItsPositionAndTrace) {
  WorkersEnv env("2");
  Harness h;
  h.run("(fun {check x} {if (> x 2) {error \"too big\"} {x}})\n(fun {work x} {check x})", "job.valk");
  test::ErrorInfo e = h.error("(await (aio/parallel work {1 2 3}))", "main.valk");
  EXPECT_EQ(e.message, "too big");
  test::ErrorInfo direct = h.error("(work 3)", "main.valk");  // the same error raised here
  EXPECT_EQ(e.where, direct.where);
  EXPECT_EQ(e.where.substr(0, 11), "job.valk:1:");
  ASSERT_GE(e.trace.size(), 2u);
  EXPECT_NE(e.trace[0].find("check (job.valk:"), std::string::npos) << e.trace[0];
  EXPECT_NE(e.described.find("main.valk:1:"), std::string::npos) << e.described;  // the await site
  EXPECT_EQ(h.vm().loop().close(), 0);
}

TEST(Isolate, AnIdlePoolDoesNotKeepTheProgramAlive) {
  WorkersEnv env("2");
  Harness h;
  EXPECT_EQ(h.eval("(do (aio/parallel (\\ {x} {print x}) {1}) 0)"), "0");
  h.vm().run_pending();  // returns once the result is in, and the pool is idle
  EXPECT_EQ(h.out(), "1\n");
  EXPECT_EQ(h.eval("(await (aio/parallel (\\ {x} {x}) {5}))"), "{5}");
  EXPECT_EQ(h.vm().loop().close(), 0);
}

TEST(Isolate, ClosingWithJobsQueuedDropsThem) {
  WorkersEnv env("1");
  Harness h;
  EXPECT_EQ(h.eval("(do (aio/parallel (\\ {x} {len (range 0 20000)}) (range 0 200)) 0)"), "0");
  EXPECT_EQ(h.vm().loop().close(), 0);  // joins the worker after its current job
}

TEST(Isolate, WorkerCountSetting) {
  std::string error;
  {
    WorkersEnv env(nullptr);
    EXPECT_GE(worker_count_setting(&error), 1u);
  }
  {
    WorkersEnv env("256");
    EXPECT_EQ(worker_count_setting(&error), limits::kMaxWorkers);
  }
  {
    WorkersEnv env("257");
    EXPECT_EQ(worker_count_setting(&error), 0u);
    EXPECT_EQ(error, "VALK_WORKERS must be an integer from 1 to 256, got `257`");
  }
  {
    WorkersEnv env("two");
    Harness h;
    EXPECT_EQ(h.message("(aio/parallel (\\ {x} {x}) {1})"),
              "aio/parallel: VALK_WORKERS must be an integer from 1 to 256, got `two`");
  }
}

}  // namespace
}  // namespace valk
