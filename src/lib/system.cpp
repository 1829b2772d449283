// system.cpp: builtins about the running program: time-us, the clocks (time/now, time/mono), the
// environment (env/get, env/set), exit, shutdown, penv, doc and disasm.
#include <chrono>
#include <cstdlib>

#include "compile/disasm.h"
#include "lib/builtin.h"
#include "lib/check.h"
#include "lib/embedded.h"
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

// Wall-clock time: seconds since 1970-01-01 UTC, to the microsecond or better.
Value builtin_time_now(VM& vm, Args) {
  using namespace std::chrono;
  auto ns = duration_cast<nanoseconds>(system_clock::now().time_since_epoch()).count();
  return make_float(vm.heap(), double(ns) / 1e9);
}

// Monotonic nanoseconds (never goes back; its zero is arbitrary): for measuring durations.
Value builtin_time_mono(VM& vm, Args) {
  using namespace std::chrono;
  return make_int(vm.heap(), int64_t(duration_cast<nanoseconds>(steady_clock::now().time_since_epoch()).count()));
}

// A variable name: a non-empty String without '=' or NUL (setenv refuses those).
Value env_name_arg(VM& vm, const char* fn, Value v) {
  if (!is_string(v)) return arg_error(vm, fn, 0, "a String", v);
  std::string_view name = v.as<String>()->view();
  if (name.empty() || name.find_first_of(std::string_view("=\0", 2)) != std::string_view::npos) {
    return vm.error(std::string(fn) + ": not a variable name: " + readable_for_message(v));
  }
  return Value::undefined();
}

Value builtin_env_get(VM& vm, Args a) {
  if (Value e = env_name_arg(vm, "env/get", a[0]); !e.is_undefined()) return e;
  const char* value = std::getenv(std::string(a[0].as<String>()->view()).c_str());
  return value ? make_string(vm.heap(), value) : Value::empty_sexpr();
}

Value builtin_env_set(VM& vm, Args a) {
  if (Value e = env_name_arg(vm, "env/set", a[0]); !e.is_undefined()) return e;
  std::string name(a[0].as<String>()->view());
  if (a[1].is_empty_sexpr()) {
    ::unsetenv(name.c_str());
    return Value::empty_sexpr();
  }
  if (!is_string(a[1])) return arg_error(vm, "env/set", 1, "a String or ()", a[1]);
  std::string value(a[1].as<String>()->view());
  if (value.find('\0') != std::string::npos) return vm.error("env/set: the value contains a NUL byte");
  ::setenv(name.c_str(), value.c_str(), 1);
  return Value::empty_sexpr();
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
    std::string text(docstring(p->body));
    if (text.empty() && (p->pflags & protoflag::kBuiltinCode)) text = embedded_doc(EmbeddedFile::kPrelude, name);
    if (text.empty()) text = "A lambda.";
    return make_string(vm.heap(), "(" + name + " " + readable(p->formals) + ")\n" + text);
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
    {"time/now", "", "Wall-clock time: seconds since 1970-01-01 UTC, as a Float.", 0, 0, builtinflag::kNullary, 0,
     builtin_time_now, nullptr},
    {"time/mono", "", "Nanoseconds on a monotonic clock, as an Integer (for durations; its zero is arbitrary).", 0,
     0, builtinflag::kNullary, 0, builtin_time_mono, nullptr},
    {"env/get", "name", "The value of the environment variable name, as a String; () when it is not set.", 1, 1,
     0, 0, builtin_env_get, nullptr},
    {"env/set", "name value",
     "Sets the environment variable name to the String value (() unsets it), for this program and the "
     "programs it runs. Returns ().",
     2, 2, 0, 0, builtin_env_set, nullptr},
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
     "String a lambda's body begins with (\"A lambda.\" when it has none). At the REPL's prompt it is "
     "shown as text.", 1, 1, builtinflag::kShowsText, 0, builtin_doc, nullptr},
    {"disasm", "f", "Prints the bytecode of a lambda. Returns ().", 1, 1, 0, 0, builtin_disasm, nullptr},
    {"sys/readable", "x", "The readable form of x, as the REPL prints it, as a String.", 1, 1, 0, 0,
     builtin_readable, nullptr},
    {"sys/join-strings", "& strings", "The Strings joined into one.", 0, -1, 0, 0, builtin_join_strings,
     nullptr},
};

}  // namespace

constinit const std::span<const BuiltinInfo> system_builtins{kSystem};

}  // namespace valk
