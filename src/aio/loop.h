// loop.h: the event loop of one VM (one libuv loop), the queue of fibers ready to run, futures
// and what waits on them, and timers. The C++ API by which a native builtin suspends its fiber
// and is resumed is here (docs/CONCURRENCY.md, "Writing a suspending builtin").
#pragma once

#include <uv.h>

#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "gc/heap.h"
#include "lib/builtin.h"
#include "value/object.h"

namespace valk {

class VM;
class WorkerPool;  // aio/isolate.h

// Items by a small integer handle, valid until released; released handles are reused, so a steady
// stream of takes and releases allocates nothing (a hash map would allocate a node for each).
template <class T>
class Slots {
 public:
  uint32_t take(T item) {
    if (free_.empty()) {
      items_.push_back(std::move(item));
      return uint32_t(items_.size() - 1);
    }
    uint32_t h = free_.back();
    free_.pop_back();
    items_[h] = std::move(item);
    return h;
  }
  // The item, its slot left as `vacant`.
  T release(uint32_t h, T vacant = T()) {
    T item = std::move(items_[h]);
    items_[h] = std::move(vacant);
    free_.push_back(h);
    return item;
  }
  const T& operator[](uint32_t h) const { return items_[h]; }
  std::vector<T>& all() { return items_; }  // taken and vacant slots alike

 private:
  std::vector<T> items_;
  std::vector<uint32_t> free_;
};

// State a subsystem above aio keeps per loop (the HTTP servers and clients of src/net/builtins.cpp):
// owned by the Loop, destroyed by close() before the loop runs its last callbacks.
struct LoopState {
  virtual ~LoopState() = default;
};

// How a suspended fiber goes on: its native is called again with `value`, or (when `raise` is an
// Error) that error is raised where it stopped.
struct Resume {
  Value value = Value::undefined();
  Value raise = Value::undefined();
};

class Loop {
 public:
  explicit Loop(VM& vm);
  ~Loop();  // closes every handle, then the libuv loop
  Loop(const Loop&) = delete;
  Loop& operator=(const Loop&) = delete;

  uv_loop_t* uv() { return &uv_; }
  // True once close() has begun: callbacks of requests still in flight (files, processes) then
  // only free their memory, since the VM may be going away.
  bool closing() const { return closing_; }
  // What close() must stop first (a running process and its pipes): each `fn` is called once by
  // close(), before the loop runs its last callbacks. Returns an id for remove_closer.
  uint32_t add_closer(std::function<void()> fn) { return closers_.take(std::move(fn)); }
  void remove_closer(uint32_t id) { closers_.release(id, nullptr); }
  // The HTTP state of this loop (net/builtins.cpp), null until set and once close() has begun.
  LoopState* http_state() const { return http_state_.get(); }
  void set_http_state(std::unique_ptr<LoopState> s) { http_state_ = std::move(s); }
  // Closes every handle still open and the libuv loop. Returns uv_loop_close's result: 0 when
  // every handle was closed (the tests check it). Idempotent.
  int close();

  // ---- suspending a native builtin (the C++ API) ----------------------------------------
  // A native builtin suspends its fiber by keeping `waiter()` somewhere (a future's waiters, a
  // libuv request's data through keep()) and returning NativeResult::suspend(). When its event
  // arrives, resume(waiter, value) calls the builtin's continuation again with `value` (the
  // continuation returns the result, or an Error to raise). Resuming a fiber that is not
  // suspended does nothing, so a late or duplicate event is harmless.
  Value waiter() const;
  void resume(Value waiter, Value value);
  // Keeps a Value alive (and updated by the collector) until released: for libuv requests that
  // carry Valk values through C callbacks. Returns a handle for get/release.
  uint32_t keep(Value v);
  Value kept(uint32_t handle) const { return kept_[handle]; }
  void release(uint32_t handle);

  // ---- futures (aio/future.cpp) -----------------------------------------------------------
  // A pending future; a promise (`promise`) is settled by aio/resolve and aio/reject.
  Value make_future(bool promise);
  // Settles a pending future (resolved with value, or rejected with an Error) and runs what
  // waits on it. Settling a settled future does nothing.
  void settle(Value future, bool resolved, Value value);
  // The ways to wait on a future (Waiter kinds are in future.cpp).
  void wait_fiber(Value future, Value waiter);
  void forward(Value from, Value to);                  // settle `to` as `from` settles
  void chain(Value from, bool on_error, Value fn, Value out);  // aio/then, aio/catch
  // `out` is computed from `source` (a forward, a chain): once out settles it stops waiting on
  // source, and when out was cancelled (with stop_on_failure: rejected in any way) source is
  // cancelled too if nothing else waits on it.
  void computed_from(Value out, Value source, bool stop_on_failure);
  // C++ code waiting on a future (the HTTP server answering when a handler's fiber ends): fn
  // runs once, on the loop, when it settles (at once when it is settled). fn must keep no raw
  // Value (use keep()); the value it is given is valid until it returns or allocates. `role`
  // says what fn is to the future:
  enum class SettleRole : uint8_t {
    kWaits,           // wants its value: counts as waiting on it, and its failure is fn's
    kHandlesFailure,  // its failure is fn's (no "never awaited" report), but fn does not keep it
                      // from being cancelled when nothing else waits (a server's answer)
    kHook,            // a clean-up that wants nothing of it: neither
  };
  using SettleFn = std::function<void(bool resolved, Value value)>;
  void on_settle(Value future, SettleFn fn, SettleRole role = SettleRole::kWaits);
  // A new fiber calling fn with args; its result settles `future` (a new one when undefined).
  // Returns the future, or an Error.
  Value spawn(Value fn, Args args, Value future = Value::undefined());
  // Runs the fiber computing a pending `future` now, until it ends or suspends, when the main
  // fiber is about to wait for it and it is the next fiber the loop would run anyway: what the
  // loop does after that suspension, without the round trip. The future may have moved after.
  void run_ahead(Value future);
  // Runs the fibers that are ready now (not those they make ready): a server calls it between a
  // connection's input and its output, so that the handlers that input started answer in the
  // same write, while the connection's state is still in the cache.
  void run_ready();
  // aio/cancel: stops the fiber computing `future` at its next suspension, or, for a future no
  // fiber computes, rejects it with `cancelled` at once, which stops the operation behind it
  // (on_cancel). False when it was settled, or is a promise (settled by aio/resolve).
  bool cancel(Value future);
  // How to stop the operation computing a pending future without a fiber (an HTTP request, a
  // process): abort runs once if the future is cancelled, and is dropped when it settles otherwise.
  void on_cancel(Value future, std::function<void()> abort);
  // Cancels a pending `future` that nothing waits for any more (waited_on): what a cancelled
  // future was computed from, once no one else wants it.
  void cancel_unwaited(Value future);
  // Takes `waiter` (a fiber, or the output future of a forward, then or catch) off `future`.
  void unwait(Value future, Value waiter);
  // The error `await` raises for a rejected future: its own trace, then the await site.
  Value awaited_error(Value error);

  // ---- timers -------------------------------------------------------------------------------
  // Settles `future` after `ms` milliseconds: resolved with () (aio/sleep), or rejected with a
  // timeout error (aio/timeout). A timer of a future settled earlier is stopped.
  void settle_after(Value future, uint64_t ms, bool reject);

  // ---- worker isolates (aio/isolate.h) ------------------------------------------------------
  // The pool aio/parallel uses, started on first use; null (with *error) when VALK_WORKERS is bad.
  WorkerPool* workers(std::string* error);

  // ---- running (called by the VM) -------------------------------------------------------------
  // Runs ready fibers and the loop until the main fiber is resumed. When nothing is left that
  // could resume it, resumes it with an error; on a Ctrl-C, with the interrupted error.
  Resume run_until_main_resumed();
  // Runs ready fibers and the loop until nothing is pending. False when a Ctrl-C stopped it
  // (VM::interrupt, which also wakes the loop).
  [[nodiscard]] bool run_all();
  // The same, but only while go() is true (a worker isolate's server, until it has stopped).
  void run_while(const std::function<bool()>& go);
  // Runs ready fibers and the loop while waiting for input on `fd` (the REPL's prompt): calls
  // on_readable each time fd is readable, until it returns true, or until stop() is true after
  // a wake() (Ctrl-C). Background fibers and timers go on meanwhile.
  void wait_for_input(int fd, const std::function<bool()>& on_readable, const std::function<bool()>& stop);
  // Wakes the loop from a signal handler (async-signal-safe).
  void wake() { uv_async_send(&wake_); }
  void trace(RootVisitor& visitor);
  // Called once the builtins are installed.
  void bind_builtins();
  Value await_all_builtin() const { return await_all_; }
  // Counts for tests and statistics.
  size_t fibers_started() const { return fibers_started_; }
  size_t fibers_run_ahead() const { return fibers_run_ahead_; }

 private:
  struct Ready {
    Value fiber;
    Value value;
    Value raise;
  };
  struct Timer;
  // What waits on a future, besides fibers: one row each, run when it settles (future.cpp).
  // kHook is a kNative that waits for nothing (on_settle with SettleRole kHook or
  // kHandlesFailure, on_cancel).
  enum class WaitKind : int64_t { kForward = 1, kThen = 2, kCatch = 3, kStopTimer = 4, kNative = 5, kHook = 6 };
  Value entry(WaitKind kind, Value a, Value b);
  static void on_timer(uv_timer_t* handle);
  void fire(Timer* t);
  void stop_timer(uint32_t slot, uint64_t id);
  bool step();
  void run_front();  // the first ready fiber, taken off the queue
  void run_one(Ready r);
  bool cancel_one(Value future, Value* next);
  Value stop_suspended(Value fiber);
  bool waited_on(Value future) const;
  void make_ready(Ready r);
  void unblock_poll();
  void finish(Value fiber, Value result);
  void add_waiter(Value future, Value entry);
  void run_waiter(Value entry, bool resolved, Value value);
  void report_unawaited(Value error);
  Value cancelled_error();

  VM& vm_;
  uv_loop_t uv_;
  uv_async_t wake_;  // unreferenced: it never keeps the loop alive
  bool closed_ = false;
  bool closing_ = false;
  Slots<std::function<void()>> closers_;  // null once removed
  int close_result_ = 0;
  std::deque<Ready> ready_;
  bool in_uv_run_ = false;  // inside step's uv_run (unblock_poll)
  Slots<Value> kept_;
  Slots<Timer*> timers_;  // null when vacant
  uint64_t next_timer_id_ = 1;
  bool main_waiting_ = false;
  bool main_resumed_ = false;
  Resume main_resume_;
  Value await_all_ = Value::undefined();
  size_t fibers_started_ = 0;
  size_t fibers_run_ahead_ = 0;  // by run_ahead, without a loop turn
  Slots<SettleFn> settle_fns_;  // on_settle's; the waiter entry holds the handle
  bool cancelling_ = false;          // inside cancel(): further cancels are queued
  std::vector<Value> cancel_queue_;  // only while cancelling_ (no collection can run then)
  std::unique_ptr<WorkerPool> workers_;
  std::unique_ptr<LoopState> http_state_;
};

}  // namespace valk
