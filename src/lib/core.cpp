// core.cpp: the builtins of the language itself: def, =, \, if, eval, error, load and
// sys/catch (the error boundary the test module uses).
#include <array>
#include <string>

#include "compile/compiler.h"
#include "config/limits.h"
#include "lib/builtin.h"
#include "lib/check.h"
#include "lib/embedded.h"
#include "lib/fileio.h"
#include "read/reader.h"
#include "value/make.h"
#include "value/print.h"
#include "vm/vm.h"

namespace valk {

namespace {

// ---- def and = -----------------------------------------------------------------------------

// Checks (NAME {names} values...) and returns "" or the error message.
std::string check_bindings(const char* fn, Args a) {
  Value names = a[0];
  if (!is_qexpr(names)) {
    return std::string(fn) + ": argument 1 must be a Q-expression of names, got " + type_name(names);
  }
  size_t count = 0;
  for (Value n = names; is_cons(n); n = cdr(n), ++count) {
    if (!is_symbol(car(n))) {
      return std::string(fn) + ": names must be symbols, got " + type_name(car(n));
    }
  }
  if (count != a.n - 1) {
    return std::string(fn) + ": the number of names (" + std::to_string(count) +
           ") does not match the number of values (" + std::to_string(a.n - 1) + ")";
  }
  return "";
}

Value builtin_def(VM& vm, Args a) {
  std::string problem = check_bindings("def", a);
  if (!problem.empty()) return vm.error(problem);
  uint32_t i = 1;
  for (Value n = a[0]; is_cons(n); n = cdr(n)) {
    std::string refused = vm.define(car(n).as<Symbol>(), a[i++]);  // a module's code: its own globals
    if (!refused.empty()) return vm.error(refused);
  }
  return Value::empty_sexpr();
}

Value builtin_assign(VM& vm, Args a) {
  std::string problem = check_bindings("=", a);
  if (!problem.empty()) return vm.error(problem);
  uint32_t scope = vm.current_scope();
  uint32_t i = 1;
  for (Value n = a[0]; is_cons(n); n = cdr(n)) {
    std::string refused = vm.assign(car(n).as<Symbol>(), a[i++], scope);
    if (!refused.empty()) return vm.error(refused);
  }
  return Value::empty_sexpr();
}

// ---- lambda ------------------------------------------------------------------------------

Value builtin_lambda(VM& vm, Args a) {
  std::string problem = check_formals(a[0]);
  if (!problem.empty()) return vm.error(problem);
  if (!is_qexpr(a[1])) return arg_error(vm, "\\", 1, "a Q-expression", a[1]);
  Value proto = compile_lambda(vm, a[0], a[1]);
  if (is_error(proto)) return proto;
  return make_closure(vm.heap(), proto, Value::undefined());  // built from values, not written: closes over nothing
}

// ---- eval and if -------------------------------------------------------------------------

// eval and if keep, beside their arguments, two slots for applying a function to arguments
// that need evaluating: the arguments not yet evaluated, and how many were pushed.
constexpr uint32_t kApplyRest = 3;
constexpr uint32_t kApplyCount = 4;
constexpr uint16_t kStepApplying = 1;

// Evaluates the remaining arguments of an application one by one (values as they are, names
// looked up, S-expressions run as cached chunks), pushing each, then calls the function pushed
// first. Used for lists like (id (== n 0)) that unpack and fst build at run time: their
// elements are the program's own code, compiled once.
NativeResult continue_apply(VM& vm, uint32_t fi) {
  for (;;) {
    Value rest = vm.slot(fi, kApplyRest);
    if (!is_cons(rest)) return NativeResult::tail_call(uint32_t(vm.slot(fi, kApplyCount).fixnum_value()));
    Value arg = car(rest);
    vm.slot(fi, kApplyRest) = cdr(rest);
    vm.slot(fi, kApplyCount) = Value::fixnum(vm.slot(fi, kApplyCount).fixnum_value() + 1);
    if (!vm.ensure_stack(4)) return NativeResult::error(vm.error("out of memory: cannot grow the stack"));
    if (self_evaluating(arg)) {
      vm.push(arg);
    } else if (is_symbol(arg)) {
      Value v = vm.lookup(arg.as<Symbol>(), vm.frame(fi).scope, vm.module_of_pos(cell_pos(rest)));
      if (v.is_undefined()) {
        return NativeResult::error(vm.error(vm.unbound_message(arg.as<Symbol>())));
      }
      vm.push(v);
    } else {
      Value chunk = compile_code(vm, arg, ProtoKind::kChunk, cell_pos(rest), CodeShape::kExpression);
      if (is_error(chunk)) return NativeResult::error(chunk);
      return NativeResult::eval(chunk);  // its value comes back to native_eval, which pushes it
    }
  }
}

// Runs `code` in the scope of the frame that called the builtin of frame `fi`, as the builtin's
// value: a Q-expression runs as an S-expression whose single element is not called; anything
// else is its own value. Common shapes skip the compiler.
NativeResult run_as_code(VM& vm, uint32_t fi, Value code) {
  if (!is_qexpr(code)) return NativeResult::ret(code);
  if (code.is_nil()) return NativeResult::ret(Value::empty_sexpr());
  Value head = car(code);
  if (cdr(code).is_nil()) {
    if (self_evaluating(head)) return NativeResult::ret(head);
    if (is_symbol(head)) {
      Value v = vm.lookup(head.as<Symbol>(), vm.frame(fi).scope, vm.module_of_pos(cell_pos(code)));
      if (v.is_undefined()) {
        return NativeResult::error(vm.error(vm.unbound_message(head.as<Symbol>())));
      }
      return NativeResult::ret(v);
    }
    Value chunk = compile_code(vm, head, ProtoKind::kChunk, cell_pos(code), CodeShape::kExpression);
    if (is_error(chunk)) return NativeResult::error(chunk);
    return NativeResult::tail_eval(chunk);
  }
  if (is_function(head)) {
    // A function value applied to the rest, as unpack builds: evaluate the arguments in order.
    if (!vm.ensure_stack(4)) return NativeResult::error(vm.error("out of memory: cannot grow the stack"));
    vm.push(head);
    vm.slot(fi, kApplyRest) = cdr(code);
    vm.slot(fi, kApplyCount) = Value::fixnum(0);
    vm.frame(fi).step = kStepApplying;
    return continue_apply(vm, fi);
  }
  Value chunk = vm.compile_chunk(code);
  if (is_error(chunk)) return NativeResult::error(chunk);
  return NativeResult::tail_eval(chunk);
}

NativeResult native_eval(VM& vm, uint32_t fi, Value resumed) {
  if (vm.frame(fi).step == kStepApplying) {
    vm.push(resumed);  // the value of the argument just evaluated
    return continue_apply(vm, fi);
  }
  return run_as_code(vm, fi, vm.slot(fi, 0));
}

NativeResult native_if(VM& vm, uint32_t fi, Value resumed) {
  if (vm.frame(fi).step == kStepApplying) {
    vm.push(resumed);
    return continue_apply(vm, fi);
  }
  Value cond = vm.slot(fi, 0);
  if (!is_int(cond)) {
    return NativeResult::error(vm.error(std::string("if: condition must be an Integer, got ") + type_name(cond)));
  }
  for (uint32_t i = 1; i <= 2; ++i) {
    if (!is_qexpr(vm.slot(fi, i))) return NativeResult::error(arg_error(vm, "if", i, "a Q-expression", vm.slot(fi, i)));
  }
  return run_as_code(vm, fi, vm.slot(fi, int_value(cond) != 0 ? 1 : 2));
}

// ---- error -------------------------------------------------------------------------------

Value builtin_error(VM& vm, Args a) {
  if (!is_string(a[0])) return arg_error(vm, "error", 0, "a String", a[0]);
  Value e = vm.error(a[0].as<String>()->view());  // the message is used as is, never as a format
  if (a.size() > 1) {
    e.as<ErrorObj>()->data = a[1];
    vm.heap().write_barrier(e.obj(), a[1]);
  }
  return e;
}

// ---- load --------------------------------------------------------------------------------

// Slots: 0 path, 1 forms, 2 next cell.
constexpr uint32_t kLoadForms = 1;
constexpr uint32_t kLoadNext = 2;

// The forms of the file at `path`; undefined when it cannot be opened (`why` says why), or an
// Error when it does not read.
Value read_file_forms(VM& vm, const std::string& path, std::string& why) {
  std::string s;
  why = read_whole_file(path, s);
  if (!why.empty()) return Value::undefined();
  uint32_t file = vm.files().intern(path);
  ReadResult r = read_forms(vm.heap(), vm.symbols(), ReadInput{s, file, 1, false});
  if (!r.ok) {
    Value e = vm.error(r.error.message);
    e.as<ErrorObj>()->pos = r.error.pos;
    return e;
  }
  return r.forms;
}

NativeResult native_load(VM& vm, uint32_t fi, Value resumed) {
  Frame& f = vm.frame(fi);
  if (f.step == 0) {
    Value path = vm.slot(fi, 0);
    if (!is_string(path)) return NativeResult::error(arg_error(vm, "load", 0, "a String", path));
    std::string p(path.as<String>()->view());
    std::string why;
    Value forms = read_file_forms(vm, p, why);
    if (forms.is_undefined()) {
      if (p == embedded_alias(EmbeddedFile::kPrelude)) {
        forms = read_embedded(vm, EmbeddedFile::kPrelude);
      } else if (p == embedded_alias(EmbeddedFile::kTestModule)) {
        forms = read_embedded(vm, EmbeddedFile::kTestModule);
      } else {
        return NativeResult::error(vm.error("load: cannot open " + p + ": " + why));
      }
    }
    if (is_error(forms)) return NativeResult::error(forms);
    vm.slot(fi, kLoadForms) = forms;
    vm.slot(fi, kLoadNext) = forms;
    f.step = 1;
  } else if (is_error(resumed)) {
    // As in the original, an error in a loaded form is printed and loading goes on.
    std::fprintf(vm.err(), "%s\n", vm.show_load_error(resumed).c_str());
  }
  for (;;) {
    Value cell = vm.slot(fi, kLoadNext);
    if (!is_cons(cell)) return NativeResult::ret(Value::empty_sexpr());
    vm.slot(fi, kLoadNext) = cdr(cell);
    Value chunk = compile_code(vm, car(cell), ProtoKind::kTopLevel, cell_pos(cell), CodeShape::kExpression);
    if (!is_error(chunk)) return NativeResult::eval(chunk);
    std::fprintf(vm.err(), "%s\n", vm.show_load_error(chunk).c_str());
  }
}

// ---- sys/catch ---------------------------------------------------------------------------

// (sys/catch {body}): runs body like eval; returns {1 value}, or {0 "message"} when it raised.
NativeResult native_catch(VM& vm, uint32_t fi, Value resumed) {
  Frame& f = vm.frame(fi);
  if (f.step == 0) {
    f.step = 1;
    Value body = vm.slot(fi, 0);
    if (!is_qexpr(body)) {
      Value items[] = {Value::fixnum(1), body};
      return NativeResult::ret(make_list(vm.heap(), items, true));
    }
    Value chunk = vm.compile_chunk(body);
    if (is_error(chunk)) resumed = chunk;
    else return NativeResult::eval(chunk);
  }
  if (is_error(resumed)) {
    Value msg = resumed.as<ErrorObj>()->message;
    Value items[] = {Value::fixnum(0), msg};
    return NativeResult::ret(make_list(vm.heap(), items, true));
  }
  Value items[] = {Value::fixnum(1), resumed};
  return NativeResult::ret(make_list(vm.heap(), items, true));
}

const BuiltinInfo kCore[] = {
    {"def", "names & values",
     "Binds each symbol of the Q-expression `names` to the value in the same place, in the global "
     "frame. (def {a b} 1 2). Returns ().",
     1, -1, 0, 0, builtin_def, nullptr},
    {"=", "names & values",
     "Binds each symbol of `names` to its value in the current frame (the global frame at top "
     "level). Returns ().",
     1, -1, 0, 0, builtin_assign, nullptr},
    {"\\", "formals body",
     "A lambda taking the parameters `formals` (a Q-expression of symbols; `& rest` binds the "
     "remaining arguments as a list) whose code is `body`.",
     2, 2, 0, 0, builtin_lambda, nullptr},
    {"if", "condition then else",
     "Runs the Q-expression `then` when the integer `condition` is not 0, else `else`.", 3, 3, 0, 2,
     nullptr, native_if},
    {"eval", "code",
     "Runs the Q-expression `code` as an S-expression in the current frame; any other value is "
     "returned as it is.",
     1, 1, 0, 4, nullptr, native_eval},
    {"error", "message [data]",
     "Raises an error with the String `message` (never used as a format), carrying the value `data` "
     "when given (error/data).",
     1, 2, 0, 0, builtin_error, nullptr},
    {"load", "path",
     "Runs the forms of the file at `path` in the current frame; an error in a form is printed "
     "and loading goes on. \"src/prelude.valk\" and \"src/modules/test.valk\" load the built-in "
     "prelude and test module when no such file exists. Returns ().",
     1, 1, builtinflag::kCatch, 2, nullptr, native_load},
    {"sys/catch", "body",
     "Runs the Q-expression `body` like eval and returns {1 value}, or {0 message} when it raised "
     "an error.",
     1, 1, builtinflag::kCatch, 0, nullptr, native_catch},
};

}  // namespace

constinit const std::span<const BuiltinInfo> core_builtins{kCore};

}  // namespace valk
