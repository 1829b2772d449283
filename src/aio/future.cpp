// future.cpp: futures and promises: making, settling, what waits on them (fibers, forwarding,
// then/catch, timers), spawning fibers, cancelling them, and the error an await raises.
#include <string>

#include "aio/loop.h"
#include "value/make.h"
#include "vm/vm.h"

namespace valk {

namespace {
bool pending(Value future) { return future_pending(future.as<Future>()); }
}  // namespace

Value Loop::make_future(bool promise) {
  auto* f = static_cast<Future*>(vm_.heap().alloc(sizeof(Future), ObjType::kFuture));
  f->aux = uint32_t(FutureState::kPending);
  f->flags = promise ? futureflag::kPromise : 0;
  f->value = Value::undefined();
  f->waiters = Value::nil();
  f->fiber = Value::undefined();
  vm_.heap().finish(f);
  return Value::object(f);
}

Value Loop::entry(WaitKind kind, Value a, Value b) {
  Value items[] = {Value::fixnum(int64_t(kind)), a, b};
  return make_list(vm_.heap(), items, true);
}

void Loop::add_waiter(Value future, Value entry) {
  auto* f = future.as<Future>();
  if (!pending(future)) {
    run_waiter(entry, future_state(f) == FutureState::kResolved, f->value);
    return;
  }
  Value cell = make_cons(vm_.heap(), entry, f->waiters, true);
  f->waiters = cell;
  vm_.heap().write_barrier(f, cell);
}

void Loop::wait_fiber(Value future, Value waiter) {
  future.obj()->flags |= futureflag::kHandled;
  add_waiter(future, waiter);
  if (is_obj(waiter, ObjType::kFiber)) {
    waiter.as<FiberObj>()->awaiting = future;
    vm_.heap().write_barrier(waiter.obj(), future);
  }
}

void Loop::forward(Value from, Value to) {
  from.obj()->flags |= futureflag::kHandled;
  add_waiter(from, entry(WaitKind::kForward, to, Value::undefined()));
}

void Loop::chain(Value from, bool on_error, Value fn, Value out) {
  from.obj()->flags |= futureflag::kHandled;
  add_waiter(from, entry(on_error ? WaitKind::kCatch : WaitKind::kThen, fn, out));
  computed_from(out, from, false);
}

void Loop::computed_from(Value out, Value source, bool stop_on_failure) {
  uint32_t kept_out = keep(out), kept_source = keep(source);
  on_settle(
      out,
      [this, kept_out, kept_source, stop_on_failure](bool resolved, Value v) {
        bool stop = !resolved && (stop_on_failure || (v.obj()->flags & errflag::kCancelled));
        Value from = kept(kept_source);
        unwait(from, kept(kept_out));
        release(kept_out);
        release(kept_source);
        if (stop) cancel_unwaited(from);
      },
      SettleRole::kHook);
}

void Loop::on_settle(Value future, SettleFn fn, SettleRole role) {
  if (role != SettleRole::kHook) future.obj()->flags |= futureflag::kHandled;
  uint32_t handle = settle_fns_.take(std::move(fn));
  add_waiter(future, entry(role == SettleRole::kWaits ? WaitKind::kNative : WaitKind::kHook,
                           Value::fixnum(int64_t(handle)), Value::undefined()));
}

void Loop::on_cancel(Value future, std::function<void()> abort) {
  on_settle(
      future,
      [abort = std::move(abort)](bool resolved, Value v) {
        if (!resolved && (v.obj()->flags & errflag::kCancelled)) abort();
      },
      SettleRole::kHook);
}

void Loop::settle(Value future, bool resolved, Value value) {
  if (!pending(future)) return;
  auto* f = future.as<Future>();
  f->aux = uint32_t(resolved ? FutureState::kResolved : FutureState::kRejected);
  f->value = value;
  vm_.heap().write_barrier(f, value);
  Value waiters = f->waiters;
  f->waiters = Value::nil();
  if (!resolved && waiters.is_nil() && !(f->flags & futureflag::kHandled) && !f->fiber.is_undefined() &&
      !(value.obj()->flags & errflag::kUncatchable)) {
    report_unawaited(value);
  }
  if (is_cons(waiters) && !is_cons(cdr(waiters))) {  // the usual one, without the vector below
    run_waiter(car(waiters), resolved, value);
    return;
  }
  // The waiters were added at the front: run them in the order they came.
  std::vector<Value> order;
  for (; is_cons(waiters); waiters = cdr(waiters)) order.push_back(car(waiters));
  for (size_t i = order.size(); i-- > 0;) run_waiter(order[i], resolved, value);
}

void Loop::run_waiter(Value w, bool resolved, Value value) {
  if (!is_cons(w)) {  // a fiber (or the main fiber) awaiting: its await reads the future
    resume(w, Value::undefined());
    return;
  }
  auto kind = WaitKind(car(w).fixnum_value());
  Value a = car(cdr(w));
  Value b = car(cdr(cdr(w)));
  switch (kind) {
    case WaitKind::kForward: settle(a, resolved, value); return;
    case WaitKind::kThen:
      if (!pending(b)) return;  // cancelled: f is not called
      if (resolved) {
        Value args[] = {value};
        spawn(a, Args{args, 1}, b);
      } else {
        settle(b, false, value);
      }
      return;
    case WaitKind::kCatch:
      if (!pending(b)) return;
      if (resolved) {
        settle(b, true, value);
      } else {
        Value args[] = {value};
        spawn(a, Args{args, 1}, b);
      }
      return;
    case WaitKind::kStopTimer: stop_timer(uint32_t(a.fixnum_value()), uint64_t(b.fixnum_value())); return;
    case WaitKind::kNative:
    case WaitKind::kHook: {
      SettleFn fn = settle_fns_.release(uint32_t(a.fixnum_value()));
      fn(resolved, value);
      return;
    }
  }
}

Value Loop::spawn(Value fn, Args args, Value future) {
  if (future.is_undefined()) future = make_future(false);
  Value fiber = vm_.new_fiber(fn, args, future);
  if (is_error(fiber)) return fiber;
  auto* f = future.as<Future>();
  f->fiber = fiber;
  vm_.heap().write_barrier(f, fiber);
  make_ready(Ready{fiber, Value::undefined(), Value::undefined()});
  ++fibers_started_;
  return future;
}

void Loop::finish(Value fiber, Value result) {
  auto* f = fiber.as<FiberObj>();
  Value future = f->future;
  // An ended fiber stays remembered (old) until the next minor collection: without this its
  // future, and through it the result, would be promoted with it although nothing else holds it.
  f->future = Value::undefined();
  settle(future, !is_error(result), result);
}

// ---- cancelling -----------------------------------------------------------------------------------

// A chain of futures, each computed from the next (fibers awaiting, thens, timeouts), is
// cancelled link by link from a queue, not by recursion: a million links would be a million C++
// frames. A cancel asked for while one runs (by a hook its rejection ran) joins the queue.
bool Loop::cancel(Value future) {
  if (cancelling_) {
    cancel_queue_.push_back(future);
    return true;
  }
  cancelling_ = true;
  Value next = Value::undefined();
  bool cancelled = cancel_one(future, &next);
  if (!next.is_undefined()) cancel_queue_.push_back(next);
  while (!cancel_queue_.empty()) {  // allocation does not collect: the queue's Values stay put
    Value f = cancel_queue_.back();
    cancel_queue_.pop_back();
    next = Value::undefined();
    cancel_one(f, &next);
    if (!next.is_undefined()) cancel_queue_.push_back(next);
  }
  cancelling_ = false;
  return cancelled;
}

// Cancels `future` alone; *next is what its fiber was awaiting, when no one waits on it any more.
bool Loop::cancel_one(Value future, Value* next) {
  auto* fut = future.as<Future>();
  Value fv = fut->fiber;
  if (fv.is_undefined()) {  // an operation: its on_cancel hooks run as the rejection's waiters
    if (!pending(future) || (fut->flags & futureflag::kPromise)) return false;
    settle(future, false, cancelled_error());
    return true;
  }
  auto* f = fv.as<FiberObj>();
  if (f->aux == uint32_t(FiberState::kDone) || (f->flags & fiberflag::kCancelled)) return false;
  f->flags |= fiberflag::kCancelled;
  if (f->aux == uint32_t(FiberState::kSuspended)) *next = stop_suspended(fv);
  // A ready fiber raises it when it runs; a running one when it next suspends (run_one).
  return true;
}

// The cancelled fiber raises `cancelled` where it waits, and no longer waits on what it awaited.
// Returns that future when no one else waits on it (to be cancelled too, as asyncio cancels the
// future a task awaits: a request or a timer no one wants any more stops), else undefined.
Value Loop::stop_suspended(Value fiber) {
  auto* f = fiber.as<FiberObj>();
  Value awaited = f->awaiting;
  f->awaiting = Value::undefined();
  f->aux = uint32_t(FiberState::kReady);
  make_ready(Ready{fiber, Value::undefined(), cancelled_error()});
  if (awaited.is_undefined()) return awaited;
  unwait(awaited, fiber);
  return waited_on(awaited) ? Value::undefined() : awaited;
}

void Loop::cancel_unwaited(Value future) {
  if (pending(future) && !waited_on(future)) cancel(future);
}

// Takes `waiter` off `future`'s waiters: a fiber, or the kForward, kThen or kCatch entry whose
// output future it is.
void Loop::unwait(Value future, Value waiter) {
  auto* f = future.as<Future>();
  Value prev = Value::undefined();
  for (Value w = f->waiters; is_cons(w); prev = w, w = cdr(w)) {
    Value e = car(w);
    bool match = e == waiter;
    if (!match && is_cons(e)) {
      auto kind = WaitKind(car(e).fixnum_value());
      Value out = kind == WaitKind::kForward ? car(cdr(e)) : car(cdr(cdr(e)));
      match = (kind == WaitKind::kForward || kind == WaitKind::kThen || kind == WaitKind::kCatch) && out == waiter;
    }
    if (!match) continue;
    if (prev.is_undefined()) {
      f->waiters = cdr(w);
      vm_.heap().write_barrier(f, f->waiters);
    } else {
      prev.as<Cons>()->cdr = cdr(w);
      vm_.heap().write_barrier(prev.obj(), cdr(w));
    }
    return;
  }
}

// True when something waits for `future`'s value: a fiber, a forward, then or catch, a native
// waiter; its own timer and hooks (on_cancel) wait for nothing.
bool Loop::waited_on(Value future) const {
  for (Value w = future.as<Future>()->waiters; is_cons(w); w = cdr(w)) {
    Value e = car(w);
    if (!is_cons(e)) return true;  // a fiber
    auto kind = WaitKind(car(e).fixnum_value());
    if (kind != WaitKind::kStopTimer && kind != WaitKind::kHook) return true;
  }
  return false;
}

Value Loop::cancelled_error() {
  // Uncatchable, so that nothing in the fiber can keep it from stopping.
  Value e = vm_.error("cancelled");
  e.obj()->flags |= errflag::kUncatchable | errflag::kCancelled;
  return e;
}

void Loop::report_unawaited(Value error) {
  std::fflush(vm_.out());
  std::fprintf(vm_.err(), "aio: a fiber failed and nothing awaited it: %s\n", vm_.describe_error(error).c_str());
}

Value Loop::awaited_error(Value error) { return vm_.rethrow_awaited(error); }

}  // namespace valk
