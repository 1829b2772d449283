// io.cpp: output builtins: print and printf.
#include <string>

#include "lib/builtin.h"
#include "lib/check.h"
#include "value/print.h"
#include "vm/vm.h"

namespace valk {

namespace {

void write_out(VM& vm, const std::string& s) { std::fwrite(s.data(), 1, s.size(), vm.out()); }

Value builtin_print(VM& vm, Args a) {
  std::string s;
  for (uint32_t i = 0; i < a.n; ++i) {
    if (i > 0) s += ' ';
    print_display(s, a[i]);
  }
  s += '\n';
  write_out(vm, s);
  return Value::empty_sexpr();
}

// Formats `fmt` with the arguments after it: %s (any value, strings without quotes), %d and %ld
// (integers), %% (a percent sign). Returns "" and fills `out`, or the error message.
std::string format(Args a, std::string& out) {
  std::string_view fmt = a[0].as<String>()->view();
  uint32_t next = 1;
  for (size_t i = 0; i < fmt.size(); ++i) {
    char c = fmt[i];
    if (c != '%') {
      out += c;
      continue;
    }
    size_t j = i + 1;
    if (j < fmt.size() && fmt[j] == '%') {
      out += '%';
      i = j;
      continue;
    }
    if (j < fmt.size() && fmt[j] == 'l') ++j;
    if (j >= fmt.size() || (fmt[j] != 's' && fmt[j] != 'd') || (fmt[j] == 's' && j != i + 1)) {
      return "printf: unknown directive " + std::string(fmt.substr(i, j < fmt.size() ? j - i + 1 : j - i)) +
             " (use %s, %d, %ld or %%)";
    }
    if (next >= a.n) return "printf: the format needs more arguments than the " + std::to_string(a.n - 1) + " given";
    Value v = a[next++];
    if (fmt[j] == 'd') {
      if (!is_int(v)) return "printf: argument " + std::to_string(next) + " must be an Integer for " +
                             std::string(fmt.substr(i, j - i + 1)) + ", got " + type_name(v);
      out += std::to_string(int_value(v));
    } else {
      print_display(out, v);
    }
    i = j;
  }
  if (next < a.n) return "printf: " + std::to_string(a.n - next) + " argument(s) left over by the format";
  return "";
}

Value builtin_printf(VM& vm, Args a) {
  if (!is_string(a[0])) return arg_error(vm, "printf", 0, "a String", a[0]);
  std::string out;
  std::string problem = format(a, out);
  if (!problem.empty()) return vm.error(problem);
  write_out(vm, out);
  return Value::empty_sexpr();
}

const BuiltinInfo kIo[] = {
    {"print", "& xs",
     "Writes the values separated by one space, then a newline; strings without quotes. Returns ().",
     0, -1, 0, 0, builtin_print, nullptr},
    {"printf", "format & xs",
     "Writes `format` with %s (any value), %d or %ld (an integer) and %% replaced; adds no "
     "newline. Returns ().",
     1, -1, 0, 0, builtin_printf, nullptr},
};

}  // namespace

constinit const std::span<const BuiltinInfo> io_builtins{kIo};

}  // namespace valk
