// isolate.h: worker isolates. A pool of threads, each running its own VM (heap, symbols, loop);
// aio/parallel hands them jobs as marshalled bytes and settles a future with the results. Nothing
// but bytes crosses between threads (docs/CONCURRENCY.md, "Worker isolates").
#pragma once

#include <uv.h>

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "value/object.h"

namespace valk {

class Loop;
class VM;

// The number of workers of a pool: VALK_WORKERS when set (1 to limits::kMaxWorkers), else the
// machine's cores. Returns 0 with *error set when VALK_WORKERS is not such a number.
uint32_t worker_count_setting(std::string* error);

// A function and the globals it may reach, as the Q-expression {f name value ...} that crosses
// to another isolate by marshal (aio/parallel's jobs, http/serve's worker isolates).
Value isolate_bundle(VM& vm, Value fn);
// In the receiving isolate: unmarshals such a bundle, binds its globals, returns f (or an Error).
Value load_isolate_bundle(VM& vm, const std::string& bundle);

class WorkerPool {
 public:
  // Starts `workers` threads; results are delivered on `vm`'s loop (its thread).
  WorkerPool(VM& vm, uv_loop_t* loop, uint32_t workers);
  ~WorkerPool();  // stop() if not done
  WorkerPool(const WorkerPool&) = delete;
  WorkerPool& operator=(const WorkerPool&) = delete;

  // Runs the function of `bundle` (marshalled {f name value ...}: the function and the globals
  // it needs) over each marshalled item; settles `future` with the list of results in order, or
  // rejects it with the first error a worker raised.
  void run(std::shared_ptr<const std::string> bundle, std::vector<std::string> items, Value future);
  // Drops queued jobs, joins the threads and closes the async handle (its memory stays valid
  // until the owner's loop has run the close callbacks).
  void stop();
  uint32_t size() const { return uint32_t(threads_.size()); }

 private:
  struct Job {
    uint64_t batch;
    uint32_t index;
    std::shared_ptr<const std::string> bundle;
    std::string item;
  };
  struct Done {
    uint64_t batch;
    uint32_t index;
    bool ok;
    std::string bytes;  // the marshalled result, or the marshalled Error
  };
  struct Batch {
    uint32_t kept;  // the future, kept alive by the loop
    std::vector<std::string> results;
    uint32_t left;
  };

  void worker_main();
  static void on_done(uv_async_t* handle);
  void deliver();
  void finish(uint64_t id, Batch& b, bool ok, Value value);
  void set_outstanding(size_t n);

  VM& vm_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Job> jobs_;     // guarded by mu_
  std::vector<Done> done_;   // guarded by mu_
  bool stopping_ = false;    // guarded by mu_
  std::vector<std::thread> threads_;
  uv_async_t async_;
  bool stopped_ = false;
  // The owner's thread only:
  std::unordered_map<uint64_t, Batch> batches_;
  uint64_t next_batch_ = 1;
  size_t outstanding_ = 0;  // jobs sent and not yet delivered: the async handle keeps the loop alive
};

}  // namespace valk
