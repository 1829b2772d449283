// system.cpp: builtins about the running program: time-us, exit, shutdown, penv, await, doc and
// disasm.
#include <chrono>
#include <cstdlib>

#include "compile/disasm.h"
#include "lib/builtin.h"
#include "lib/check.h"
#include "value/make.h"
#include "value/print.h"
#include "vm/vm.h"

namespace valk {

namespace {

// An exit status is one byte: 256 would wrap to 0 and report success.
constexpr int64_t kMaxExitStatus = 255;

Value builtin_time_us(VM& vm, Args) {
  using namespace std::chrono;
  auto us = duration_cast<microseconds>(steady_clock::now().time_since_epoch()).count();
  return make_int(vm.heap(), int64_t(us));
}

Value exit_with(VM& vm, Args a, const char* fn) {
  int code = 0;
  if (a.n == 1) {
    if (!is_int(a[0])) return arg_error(vm, fn, 0, "an Integer", a[0]);
    int64_t wanted = int_value(a[0]);
    if (wanted < 0 || wanted > kMaxExitStatus) {
      return vm.error(std::string(fn) + ": the exit status must be from 0 to 255, got " + std::to_string(wanted));
    }
    code = int(wanted);
  }
  std::fflush(vm.out());
  std::fflush(vm.err());
  std::exit(code);
}

Value builtin_args(VM& vm, Args) {
  ListBuilder list(vm.heap(), true);
  for (const std::string& arg : vm.program_args()) list.push(make_string(vm.heap(), arg));
  return list.finish();
}

Value builtin_exit(VM& vm, Args a) { return exit_with(vm, a, "exit"); }
Value builtin_shutdown(VM& vm, Args a) { return exit_with(vm, a, "shutdown"); }

Value builtin_penv(VM& vm, Args) {
  std::string out;
  for (Symbol* s : vm.symbols().all()) {
    if (s->global.is_undefined()) continue;
    out += s->name();
    out += ' ';
    print_readable(out, s->global);
    out += '\n';
  }
  std::fwrite(out.data(), 1, out.size(), vm.out());
  return Value::empty_sexpr();
}

// The docstring a lambda's body begins with: a String followed by at least one more form (a body
// that is only a String is the function's value, not its documentation). "" when none.
std::string_view docstring(Value body) {
  if (!is_cons(body) || !is_string(car(body)) || !is_cons(cdr(body))) return {};
  return car(body).as<String>()->view();
}

Value builtin_doc(VM& vm, Args a) { return function_doc(vm, a[0]); }

}  // namespace

Value function_doc(VM& vm, Value f) {
  if (is_partial(f)) f = f.as<Partial>()->fn;
  if (is_builtin(f)) {
    const BuiltinInfo* info = f.as<Builtin>()->info;
    return make_string(vm.heap(), std::string("(") + info->name + (info->params[0] ? " " : "") + info->params +
                                      ")\n" + info->doc);
  }
  if (is_closure(f)) {
    const Proto* p = f.as<Closure>()->proto.as<Proto>();
    std::string name = is_symbol(p->name) ? std::string(p->name.as<Symbol>()->name()) : "lambda";
    std::string_view text = docstring(p->body);
    if (text.empty()) text = "A lambda.";
    return make_string(vm.heap(), "(" + name + " " + readable(p->formals) + ")\n" + std::string(text));
  }
  return arg_error(vm, "doc", 0, "a Function", f);
}

namespace {

Value builtin_disasm(VM& vm, Args a) {
  Value f = a[0];
  if (is_partial(f)) f = f.as<Partial>()->fn;
  if (!is_closure(f)) return arg_error(vm, "disasm", 0, "a lambda", a[0]);
  std::string text = disassemble(f.as<Closure>()->proto.as<Proto>(), vm.files());
  std::fwrite(text.data(), 1, text.size(), vm.out());
  return Value::empty_sexpr();
}

// Helpers of the test module (lib/modules/test.valk).
Value builtin_readable(VM& vm, Args a) { return make_string(vm.heap(), readable(a[0])); }

Value builtin_join_strings(VM& vm, Args a) {
  std::string out;
  for (uint32_t i = 0; i < a.n; ++i) {
    if (!is_string(a[i])) return arg_error(vm, "sys/join-strings", i, "a String", a[i]);
    out += a[i].as<String>()->view();
  }
  return make_string(vm.heap(), out);
}

const BuiltinInfo kSystem[] = {
    {"time-us", "", "Microseconds on a monotonic clock (for measuring durations).", 0, 0,
     builtinflag::kNullary, 0, builtin_time_us, nullptr},
    {"exit", "[code]", "Ends the program with exit status `code` (0 when not given).", 0, 1,
     builtinflag::kCallBare, 0, builtin_exit, nullptr},
    {"shutdown", "[code]", "Stops the runtime and ends the program with exit status `code` (0 when not given).",
     0, 1, builtinflag::kCallBare, 0, builtin_shutdown, nullptr},
    {"sys/args", "", "The program's arguments (those after FILE on valk's command line), as a Q-expression of Strings.",
     0, 0, builtinflag::kNullary, 0, builtin_args, nullptr},
    {"penv", "", "Prints every global binding, one per line. Returns ().", 0, 0, builtinflag::kNullary, 0,
     builtin_penv, nullptr},
    {"doc", "f",
     "The documentation of a function, as a String: its parameters, then a builtin's docstring or the "
     "String a lambda's body begins with (\"A lambda.\" when it has none).", 1, 1, 0, 0, builtin_doc, nullptr},
    {"disasm", "f", "Prints the bytecode of a lambda. Returns ().", 1, 1, 0, 0, builtin_disasm, nullptr},
    {"sys/readable", "x", "The readable form of x, as the REPL prints it, as a String.", 1, 1, 0, 0,
     builtin_readable, nullptr},
    {"sys/join-strings", "& strings", "The Strings joined into one.", 0, -1, 0, 0, builtin_join_strings,
     nullptr},
};

}  // namespace

std::span<const BuiltinInfo> system_builtins() { return kSystem; }

}  // namespace valk
