// builtins.cpp: the concurrency builtins: await, and aio/promise, resolve, reject, spawn, then,
// catch, all, await-all, race, timeout, sleep, cancel. Each row has its docstring; the model and
// examples are in docs/CONCURRENCY.md.
#include <string>

#include "aio/loop.h"
#include "lib/builtin.h"
#include "lib/check.h"
#include "value/make.h"
#include "vm/vm.h"

namespace valk {

namespace {

// ---- checks --------------------------------------------------------------------------------------

Value future_arg(VM& vm, const char* fn, Args a, uint32_t i) {
  return is_future(a[i]) ? Value::undefined() : arg_error(vm, fn, i, "a Future", a[i]);
}

// A pending promise made by aio/promise (a fiber's future is settled by its fiber only).
Value open_promise_arg(VM& vm, const char* fn, Args a) {
  if (!is_future(a[0]) || !(a[0].obj()->flags & futureflag::kPromise)) {
    return arg_error(vm, fn, 0, "a Promise", a[0]);
  }
  if (!future_pending(a[0].as<Future>())) {
    return vm.error(std::string(fn) + ": the promise is already settled");
  }
  return Value::undefined();
}

// A Q-expression whose elements are all futures; `nonempty` when an empty one makes no sense.
Value futures_arg(VM& vm, const char* fn, Value list, bool nonempty) {
  if (!proper_qlist(list)) return arg_error(vm, fn, 0, "a Q-expression of Futures", list);
  if (nonempty && list.is_nil()) return vm.error(std::string(fn) + ": expected at least one Future, got {}");
  uint32_t i = 0;
  for (Value l = list; is_cons(l); l = cdr(l), ++i) {
    if (!is_future(car(l))) {
      return vm.error(std::string(fn) + ": element " + std::to_string(i + 1) + " must be a Future, got " +
                      type_name(car(l)));
    }
  }
  return Value::undefined();
}

// Milliseconds: an Integer from 0 up.
Value ms_arg(VM& vm, const char* fn, Args a, uint32_t i) {
  if (!is_int(a[i])) return arg_error(vm, fn, i, "an Integer", a[i]);
  if (int_value(a[i]) < 0) {
    return vm.error(std::string(fn) + ": milliseconds must be 0 or more, got " + std::to_string(int_value(a[i])));
  }
  return Value::undefined();
}

// ---- await -----------------------------------------------------------------------------------------

// The value of a settled future (or its error, raised with the await site); else the fiber waits
// for it. Woken up, it looks again (a wake-up that finds it pending waits once more).
NativeResult settled_or_wait(VM& vm, Value fut) {
  auto* f = fut.as<Future>();
  switch (future_state(f)) {
    case FutureState::kPending:
      vm.loop().wait_fiber(fut, vm.loop().waiter());
      return NativeResult::suspend();
    case FutureState::kResolved: return NativeResult::ret(f->value);
    case FutureState::kRejected:
      f->flags |= futureflag::kHandled;
      return NativeResult::error(vm.loop().awaited_error(f->value));
  }
  __builtin_unreachable();
}

NativeResult native_await(VM& vm, uint32_t fi, Value resumed) {
  Value fut = vm.slot(fi, 0);
  if (!is_future(fut)) return NativeResult::error(arg_error(vm, "await", 0, "a Future", fut));
  if (future_pending(fut.as<Future>())) {
    // A spawned fiber that has not run yet usually ends at once: run it before waiting.
    vm.loop().run_ahead(fut);
    fut = vm.slot(fi, 0);  // a collection in the fiber may have moved the future
  }
  return settled_or_wait(vm, fut);
}

// aio/await-all: slots after the argument.
enum AwaitAllSlot : uint32_t { kAllList = 0, kAllRest = 1, kAllAcc = 2 };
enum AwaitAllStep : uint16_t { kAllStart = 0, kAllWaiting = 1 };

Value reversed(Heap& heap, Value list) {
  Value out = Value::nil();
  for (; is_cons(list); list = cdr(list)) out = make_cons(heap, car(list), out, true);
  return out;
}

NativeResult native_await_all(VM& vm, uint32_t fi, Value resumed) {
  if (vm.frame(fi).step == kAllStart) {
    Value problem = futures_arg(vm, "aio/await-all", vm.slot(fi, kAllList), false);
    if (!problem.is_undefined()) return NativeResult::error(problem);
    vm.slot(fi, kAllRest) = vm.slot(fi, kAllList);
    vm.slot(fi, kAllAcc) = Value::nil();
    vm.frame(fi).step = kAllWaiting;
  }
  for (;;) {
    Value rest = vm.slot(fi, kAllRest);
    if (!is_cons(rest)) return NativeResult::ret(reversed(vm.heap(), vm.slot(fi, kAllAcc)));
    auto* f = car(rest).as<Future>();
    if (future_state(f) != FutureState::kResolved) return settled_or_wait(vm, car(rest));
    vm.slot(fi, kAllAcc) = make_cons(vm.heap(), f->value, vm.slot(fi, kAllAcc), true);
    vm.slot(fi, kAllRest) = cdr(rest);
  }
}

// ---- promises and fibers ------------------------------------------------------------------------

Value builtin_promise(VM& vm, Args a) { return vm.loop().make_future(true); }

Value builtin_resolve(VM& vm, Args a) {
  if (Value e = open_promise_arg(vm, "aio/resolve", a); !e.is_undefined()) return e;
  vm.loop().settle(a[0], true, a[1]);
  return Value::empty_sexpr();
}

Value builtin_reject(VM& vm, Args a) {
  if (Value e = open_promise_arg(vm, "aio/reject", a); !e.is_undefined()) return e;
  Value err = a[1];
  if (is_string(err)) {
    err = vm.error(err.as<String>()->view());
  } else if (!is_error(err)) {
    return arg_error(vm, "aio/reject", 1, "an Error or a String", a[1]);
  }
  vm.loop().settle(a[0], false, err);
  return Value::empty_sexpr();
}

Value builtin_spawn(VM& vm, Args a) {
  if (!is_function(a[0])) return arg_error(vm, "aio/spawn", 0, "a Function", a[0]);
  return vm.loop().spawn(a[0], Args{a.v + 1, a.n - 1});
}

Value chain(VM& vm, const char* fn, Args a, bool on_error) {
  if (Value e = future_arg(vm, fn, a, 0); !e.is_undefined()) return e;
  if (!is_function(a[1])) return arg_error(vm, fn, 1, "a Function", a[1]);
  Value out = vm.loop().make_future(false);
  vm.loop().chain(a[0], on_error, a[1], out);
  return out;
}
Value builtin_then(VM& vm, Args a) { return chain(vm, "aio/then", a, false); }
Value builtin_catch(VM& vm, Args a) { return chain(vm, "aio/catch", a, true); }

Value builtin_all(VM& vm, Args a) {
  if (Value e = futures_arg(vm, "aio/all", a[0], false); !e.is_undefined()) return e;
  for (Value l = a[0]; is_cons(l); l = cdr(l)) car(l).obj()->flags |= futureflag::kHandled;  // all awaits them
  return vm.loop().spawn(vm.loop().await_all_builtin(), Args{a.v, 1});
}

Value builtin_race(VM& vm, Args a) {
  if (Value e = futures_arg(vm, "aio/race", a[0], true); !e.is_undefined()) return e;
  Loop& loop = vm.loop();
  Value out = loop.make_future(false);
  for (Value l = a[0]; is_cons(l); l = cdr(l)) {
    loop.forward(car(l), out);
    loop.computed_from(out, car(l), false);  // the others go on once one has settled
  }
  return out;
}

Value builtin_timeout(VM& vm, Args a) {
  if (Value e = future_arg(vm, "aio/timeout", a, 0); !e.is_undefined()) return e;
  if (Value e = ms_arg(vm, "aio/timeout", a, 1); !e.is_undefined()) return e;
  Loop& loop = vm.loop();
  Value out = loop.make_future(false);
  loop.forward(a[0], out);
  loop.settle_after(out, uint64_t(int_value(a[1])), true);
  // Out of time (or cancelled): the work is stopped too unless something else waits on it, so
  // that a request or process no one wants any more does not run on.
  loop.computed_from(out, a[0], true);
  return out;
}

Value builtin_sleep(VM& vm, Args a) {
  if (Value e = ms_arg(vm, "aio/sleep", a, 0); !e.is_undefined()) return e;
  Value out = vm.loop().make_future(false);
  vm.loop().settle_after(out, uint64_t(int_value(a[0])), false);
  return out;
}

Value builtin_cancel(VM& vm, Args a) {
  if (Value e = future_arg(vm, "aio/cancel", a, 0); !e.is_undefined()) return e;
  return Value::fixnum(vm.loop().cancel(a[0]) ? 1 : 0);
}

const BuiltinInfo kAio[] = {
    {"await", "future",
     "The value of a future once it is settled; raises its error (with the await site) when it was rejected. "
     "Suspends only the running fiber meanwhile.",
     1, 1, 0, 0, nullptr, native_await},
    {"aio/promise", "", "A new pending promise, settled by aio/resolve or aio/reject.", 0, 0,
     builtinflag::kCallBare, 0, builtin_promise, nullptr},
    {"aio/resolve", "promise value", "Resolves a pending promise with value. Returns ().", 2, 2, 0, 0,
     builtin_resolve, nullptr},
    {"aio/reject", "promise error",
     "Rejects a pending promise with an Error (or a String, made into one). Returns ().", 2, 2, 0, 0,
     builtin_reject, nullptr},
    {"aio/spawn", "f & args", "Runs (f args...) in a new fiber; returns the future of its result.", 1, -1, 0, 0,
     builtin_spawn, nullptr},
    {"aio/then", "future f", "A future of (f value) once future resolves; rejected as future is when it fails.",
     2, 2, 0, 0, builtin_then, nullptr},
    {"aio/catch", "future f",
     "A future of future's value, or of (f error) when future is rejected.", 2, 2, 0, 0, builtin_catch, nullptr},
    {"aio/all", "futures", "A future of the list of the futures' values; rejected by the first that fails.", 1, 1,
     0, 0, builtin_all, nullptr},
    {"aio/await-all", "futures", "Awaits each future of the list in turn; returns the list of their values.", 1,
     1, 0, 2, nullptr, native_await_all},
    {"aio/race", "futures", "A future settled as the first of the futures to settle.", 1, 1, 0, 0, builtin_race,
     nullptr},
    {"aio/timeout", "future ms",
     "A future settled as future, or rejected with a timeout error when ms milliseconds pass first; future is "
     "then cancelled (aio/cancel) unless something else waits on it, as it is when this one is.",
     2, 2, 0, 0,
     builtin_timeout, nullptr},
    {"aio/sleep", "ms", "A future that resolves to () after ms milliseconds.", 1, 1, 0, 0, builtin_sleep,
     nullptr},
    {"aio/cancel", "future",
     "Stops what computes future, which rejects with `cancelled`: a fiber at its next suspension; an HTTP "
     "request (reset), a process (killed), a timer at once. Returns 1, or 0 when future was settled or is a "
     "promise.",
     1, 1, 0, 0, builtin_cancel, nullptr},
};

}  // namespace

constinit const std::span<const BuiltinInfo> aio_builtins{kAio};

}  // namespace valk
