// error.cpp: errors as values a program can catch: try (an error boundary run as a native frame
// that catches, see vm/frame.h), throw, and the readers error?, error/message, error/data and
// error/trace. The error builtin itself (which makes and raises one) is in core.cpp.
#include "lib/builtin.h"
#include "lib/check.h"
#include "value/make.h"
#include "vm/vm.h"

namespace valk {

namespace {

// Argument slots of try.
enum TrySlot : uint32_t { kTryBody = 0, kTryHandler = 1 };

// (try {body} handler): runs body in the current frame; when it raises, calls (handler e) in
// try's place, so an error in the handler propagates like any other.
NativeResult native_try(VM& vm, uint32_t fi, Value resumed) {
  Frame& f = vm.frame(fi);
  if (f.step == 0) {
    f.step = 1;
    Value body = vm.slot(fi, kTryBody);
    if (!is_qexpr(body)) return NativeResult::error(arg_error(vm, "try", kTryBody, "a Q-expression", body));
    Value handler = vm.slot(fi, kTryHandler);
    if (!is_function(handler)) {
      return NativeResult::error(arg_error(vm, "try", kTryHandler, "a Function", handler));
    }
    Value chunk = vm.compile_chunk(body);
    if (!is_error(chunk)) return NativeResult::eval(chunk);
    resumed = chunk;  // a body that does not compile is an error of the body: the handler gets it
  }
  if (!is_error(resumed)) return NativeResult::ret(resumed);
  if (!vm.ensure_stack(2)) return NativeResult::error(vm.error("out of memory: cannot grow the stack"));
  vm.push(vm.slot(fi, kTryHandler));
  vm.push(resumed);
  return NativeResult::tail_call(1);
}

Value builtin_throw(VM& vm, Args a) {
  if (!is_error(a[0])) return arg_error(vm, "throw", 0, "an Error", a[0]);
  return a[0];  // raised as it is: an error raised once keeps its position and trace (raise_at)
}

Value builtin_is_error(VM&, Args a) { return Value::fixnum(is_error(a[0]) ? 1 : 0); }

// The error argument of an error/... reader, or the error to raise when it is not one.
const ErrorObj* error_arg(VM& vm, const char* fn, Args a, Value* problem) {
  if (is_error(a[0])) return a[0].as<ErrorObj>();
  *problem = arg_error(vm, fn, 0, "an Error", a[0]);
  return nullptr;
}

Value builtin_error_message(VM& vm, Args a) {
  Value problem;
  const ErrorObj* e = error_arg(vm, "error/message", a, &problem);
  return e ? e->message : problem;
}

Value builtin_error_data(VM& vm, Args a) {
  Value problem;
  const ErrorObj* e = error_arg(vm, "error/data", a, &problem);
  return e ? e->data : problem;
}

Value builtin_error_trace(VM& vm, Args a) {
  Value problem;
  const ErrorObj* e = error_arg(vm, "error/trace", a, &problem);
  if (e) vm.settle_trace(a[0]);
  return e ? e->frames : problem;
}

const BuiltinInfo kError[] = {
    {.name = "try", .params = "body handler",
     .doc = "Runs the Q-expression `body` in the current frame and returns its value; when it raises an "
            "error, returns (handler e) instead, e being the Error.",
     .min_args = 2, .max_args = 2, .flags = builtinflag::kCatch, .extra_slots = 0, .fn = nullptr,
     .native = native_try},
    {.name = "throw", .params = "e",
     .doc = "Raises the Error `e` again, keeping the position and trace it was first raised with.",
     .min_args = 1, .max_args = 1, .flags = 0, .extra_slots = 0, .fn = builtin_throw, .native = nullptr},
    {.name = "error?", .params = "v", .doc = "1 when `v` is an Error (one caught by try), else 0.",
     .min_args = 1, .max_args = 1, .flags = 0, .extra_slots = 0, .fn = builtin_is_error, .native = nullptr},
    {.name = "error/message", .params = "e", .doc = "The message of the Error `e`, a String.",
     .min_args = 1, .max_args = 1, .flags = 0, .extra_slots = 0, .fn = builtin_error_message,
     .native = nullptr},
    {.name = "error/data", .params = "e",
     .doc = "The value (error \"msg\" data) attached to the Error `e`, or {} when none was.",
     .min_args = 1, .max_args = 1, .flags = 0, .extra_slots = 0, .fn = builtin_error_data, .native = nullptr},
    {.name = "error/trace", .params = "e",
     .doc = "The calls the Error `e` was raised in, innermost first, each {function file line column} "
            "(file \"\" and 0s where unknown; repeated calls folded into one).",
     .min_args = 1, .max_args = 1, .flags = 0, .extra_slots = 0, .fn = builtin_error_trace,
     .native = nullptr},
};

}  // namespace

constinit const std::span<const BuiltinInfo> error_builtins{kError};

}  // namespace valk
