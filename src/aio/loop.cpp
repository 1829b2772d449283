// loop.cpp: the event loop of one VM: the queue of ready fibers, running them and the libuv loop
// in turn, values kept alive across C callbacks, and timers. Futures are in future.cpp.
#include "aio/loop.h"

#include <cstdio>
#include <cstdlib>
#include <utility>

#include "aio/isolate.h"
#include "value/make.h"
#include "vm/vm.h"

namespace valk {

// The main fiber in a future's waiters (spawned fibers are their FiberObj).
static const Value kMainFiber = Value::fixnum(0);

struct Loop::Timer {
  uv_timer_t handle;
  Loop* loop;
  uint32_t slot;  // in kept_: the future it settles
  uint32_t index; // in timers_
  uint64_t id;
  uint64_t ms;
  bool reject;
};

Loop::Loop(VM& vm) : vm_(vm) {
  if (uv_loop_init(&uv_) != 0 || uv_async_init(&uv_, &wake_, [](uv_async_t*) {}) != 0) std::abort();
  uv_unref(reinterpret_cast<uv_handle_t*>(&wake_));
}

Loop::~Loop() { close(); }

int Loop::close() {
  if (closed_) return close_result_;
  closing_ = true;
  for (auto& stop : closers_.all()) {
    if (stop) std::exchange(stop, nullptr)();
  }
  http_state_.reset();  // stops its servers and clients: their handles close below
  for (Timer*& t : timers_.all()) {
    if (!t) continue;
    uv_close(reinterpret_cast<uv_handle_t*>(&t->handle), [](uv_handle_t* h) { delete static_cast<Timer*>(h->data); });
    t = nullptr;
  }
  if (workers_) workers_->stop();  // joins the threads, closes its handle
  uv_close(reinterpret_cast<uv_handle_t*>(&wake_), nullptr);
  uv_run(&uv_, UV_RUN_DEFAULT);  // runs the close callbacks
  workers_.reset();
  close_result_ = uv_loop_close(&uv_);
  closed_ = true;
  return close_result_;
}

WorkerPool* Loop::workers(std::string* error) {
  if (!workers_ && !closed_) {
    uint32_t n = worker_count_setting(error);
    if (n == 0) return nullptr;
    workers_ = std::make_unique<WorkerPool>(vm_, &uv_, n);
  }
  return workers_.get();
}

// ---- suspending and resuming ------------------------------------------------------------------

Value Loop::waiter() const {
  Value f = vm_.running_fiber();
  return f.is_undefined() ? kMainFiber : f;
}

void Loop::resume(Value waiter, Value value) {
  if (waiter == kMainFiber) {
    if (!main_waiting_) return;
    main_waiting_ = false;
    main_resumed_ = true;
    main_resume_ = Resume{value, Value::undefined()};
    unblock_poll();
    return;
  }
  auto* f = waiter.as<FiberObj>();
  if (f->aux != uint32_t(FiberState::kSuspended)) return;
  f->aux = uint32_t(FiberState::kReady);
  f->awaiting = Value::undefined();
  make_ready(Ready{waiter, value, Value::undefined()});
}

uint32_t Loop::keep(Value v) { return kept_.take(v); }

void Loop::release(uint32_t handle) { kept_.release(handle, Value::undefined()); }

// ---- running ------------------------------------------------------------------------------------

// Runs one ready fiber, or one turn of the libuv loop. False when nothing is left to do.
bool Loop::step() {
  if (!ready_.empty()) {
    run_front();
    return true;
  }
  if (closed_ || !uv_loop_alive(&uv_)) return false;
  // What the program printed is out before it waits: a server's log and the port it prints
  // reach a pipe now, not when the process ends.
  std::fflush(vm_.out());
  in_uv_run_ = true;
  uv_run(&uv_, UV_RUN_ONCE);
  in_uv_run_ = false;
  return true;
}

void Loop::make_ready(Ready r) {
  ready_.push_back(r);
  unblock_poll();
}

void Loop::unblock_poll() {
  // Made ready inside a callback of the turn in progress (a prepare callback, before the turn
  // polls): uv_stop makes that poll return at once instead of blocking until the next event.
  if (in_uv_run_) uv_stop(&uv_);
}

void Loop::run_front() {
  Ready r = ready_.front();
  ready_.pop_front();
  run_one(r);
}

void Loop::run_one(Ready r) {
  // A Value, not a FiberObj*: run_fiber updates it, as the fiber may move while it runs.
  Value fiber = r.fiber;
  if (fiber.as<FiberObj>()->aux != uint32_t(FiberState::kReady)) return;
  Value raise = r.raise;
  if ((fiber.as<FiberObj>()->flags & fiberflag::kCancelled) && raise.is_undefined()) raise = cancelled_error();
  Value result;
  if (vm_.run_fiber(fiber, r.value, raise, &result)) {
    finish(fiber, result);
  } else if (fiber.as<FiberObj>()->flags & fiberflag::kCancelled) {
    // Cancelled while it ran: it stops at this suspension.
    if (Value awaited = stop_suspended(fiber); !awaited.is_undefined()) cancel(awaited);
  }
}

void Loop::run_ready() {
  for (size_t n = ready_.size(); n > 0 && !ready_.empty(); --n) run_front();
}

void Loop::run_ahead(Value future) {
  if (ready_.empty() || !vm_.main_can_suspend()) return;
  auto* f = future.as<Future>();
  if (f->fiber.is_undefined() || ready_.front().fiber != f->fiber) return;
  // Awaited: a rejection is not reported as unawaited (wait_fiber marks it so too).
  f->flags |= futureflag::kHandled;
  ++fibers_run_ahead_;
  run_front();
}

Resume Loop::run_until_main_resumed() {
  main_waiting_ = true;
  main_resumed_ = false;
  while (!main_resumed_) {
    // Ctrl-C while the main fiber waits: its await raises `interrupted` (the REPL's line ends,
    // a program exits with 130); the fibers it waited for stay as they are.
    if (vm_.take_interrupt()) {
      main_waiting_ = false;
      return Resume{Value::undefined(), vm_.interrupted_error()};
    }
    if (step()) continue;
    main_waiting_ = false;
    return Resume{Value::undefined(),
                  vm_.error("await: the future can never be settled: no fiber, timer or handle is left to settle it")};
  }
  main_resumed_ = false;
  Resume r = main_resume_;
  main_resume_ = Resume{};
  return r;
}

bool Loop::run_all() {
  while (step()) {
    if (vm_.take_interrupt()) return false;
  }
  return true;
}

void Loop::run_while(const std::function<bool()>& go) {
  while (go() && step()) {
  }
}

namespace {
// The handles of one wait for input: a poll on the descriptor. Freed when closed.
struct InputWait {
  uv_poll_t poll;
  const std::function<bool()>* on_readable;
  bool done = false;
};
}  // namespace

void Loop::wait_for_input(int fd, const std::function<bool()>& on_readable, const std::function<bool()>& stop) {
  auto* w = new InputWait;
  w->on_readable = &on_readable;
  if (uv_poll_init(&uv_, &w->poll, fd) != 0) {  // not pollable (a file): read it plainly
    delete w;
    while (!on_readable()) {
    }
    return;
  }
  w->poll.data = w;
  uv_poll_start(&w->poll, UV_READABLE, [](uv_poll_t* h, int status, int) {
    auto* wait = static_cast<InputWait*>(h->data);
    if (status < 0 || (*wait->on_readable)()) wait->done = true;
  });
  while (!w->done && !stop()) {
    if (!step()) break;
  }
  uv_close(reinterpret_cast<uv_handle_t*>(&w->poll), [](uv_handle_t* h) { delete static_cast<InputWait*>(h->data); });
}

void Loop::trace(RootVisitor& visitor) {
  for (Ready& r : ready_) {
    visitor.visit(r.fiber);
    visitor.visit(r.value);
    visitor.visit(r.raise);
  }
  for (Value& v : kept_.all()) visitor.visit(v);
  visitor.visit(main_resume_.value);
  visitor.visit(main_resume_.raise);
}

void Loop::bind_builtins() { await_all_ = vm_.sym("aio/await-all")->global; }

// ---- timers -------------------------------------------------------------------------------------

void Loop::settle_after(Value future, uint64_t ms, bool reject) {
  auto* t = new Timer;
  t->loop = this;
  t->slot = keep(future);
  t->id = next_timer_id_++;
  t->ms = ms;
  t->reject = reject;
  t->index = timers_.take(t);
  uv_timer_init(&uv_, &t->handle);
  t->handle.data = t;
  // libuv counts from the loop's cached time, which is as old as the loop's last turn: after a
  // long computation, (aio/sleep 50) would end at once. Timers count from now.
  uv_update_time(&uv_);
  uv_timer_start(&t->handle, on_timer, ms, 0);
  // Settled earlier (a timeout's future resolved in time): stop the timer, so that it does not
  // keep the loop alive.
  add_waiter(future, entry(WaitKind::kStopTimer, Value::fixnum(int64_t(t->index)), Value::fixnum(int64_t(t->id))));
}

void Loop::on_timer(uv_timer_t* handle) {
  auto* t = static_cast<Timer*>(handle->data);
  t->loop->fire(t);
}

void Loop::fire(Timer* t) {
  Value future = kept_[t->slot];
  bool reject = t->reject;
  uint64_t ms = t->ms;
  stop_timer(t->index, t->id);
  if (reject) {
    settle(future, false, vm_.error("timeout: no value within " + std::to_string(ms) + " ms"));
  } else {
    settle(future, true, Value::empty_sexpr());
  }
}

void Loop::stop_timer(uint32_t index, uint64_t id) {
  if (index >= timers_.all().size() || !timers_[index] || timers_[index]->id != id) return;
  Timer* t = timers_.release(index, nullptr);
  release(t->slot);
  uv_timer_stop(&t->handle);
  uv_close(reinterpret_cast<uv_handle_t*>(&t->handle), [](uv_handle_t* h) { delete static_cast<Timer*>(h->data); });
}

}  // namespace valk
