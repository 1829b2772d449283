// math.cpp: number functions: abs, floor, ceil, round, sqrt, pow, exp, log, min, max, the
// conversions float, int and parse-number, and the predicates int?, float?, number?.
#include <cctype>
#include <cmath>
#include <string>

#include "lib/arith.h"
#include "lib/builtin.h"
#include "lib/check.h"
#include "read/number.h"
#include "value/equal.h"
#include "value/make.h"
#include "value/print.h"
#include "vm/vm.h"

namespace valk {

namespace {

Value check_number(VM& vm, const char* fn, Value v) {
  return is_number(v) ? Value::undefined() : arg_error(vm, fn, 0, "a Number", v);
}

// The one message for a Float with no Integer value (inf, nan, or beyond 64 bits).
Value no_integer_error(VM& vm, const char* fn, double d) {
  std::string text;
  print_float(text, d);
  return vm.error(std::string(fn) + ": " + text + " has no Integer value");
}

// An Integer for d (already integral), or the error above.
Value integral_result(VM& vm, const char* fn, double d) {
  int64_t i;
  if (!double_as_int(d, &i)) return no_integer_error(vm, fn, d);
  return make_int(vm.heap(), i);
}

template <double (*Round)(double)>
Value rounding(VM& vm, const char* fn, Args a) {
  if (Value e = check_number(vm, fn, a[0]); !e.is_undefined()) return e;
  if (!is_float(a[0])) return a[0];
  return integral_result(vm, fn, Round(float_value(a[0])));
}

double round_half_away(double d) { return std::round(d); }
double floor_d(double d) { return std::floor(d); }
double ceil_d(double d) { return std::ceil(d); }
double trunc_d(double d) { return std::trunc(d); }

Value builtin_floor(VM& vm, Args a) { return rounding<floor_d>(vm, "floor", a); }
Value builtin_ceil(VM& vm, Args a) { return rounding<ceil_d>(vm, "ceil", a); }
Value builtin_round(VM& vm, Args a) { return rounding<round_half_away>(vm, "round", a); }
Value builtin_int(VM& vm, Args a) { return rounding<trunc_d>(vm, "int", a); }

Value builtin_abs(VM& vm, Args a) {
  if (Value e = check_number(vm, "abs", a[0]); !e.is_undefined()) return e;
  if (is_float(a[0])) return make_float(vm.heap(), std::fabs(float_value(a[0])));
  int64_t i = int_value(a[0]);
  return i < 0 ? make_int(vm.heap(), int64_t(0 - uint64_t(i))) : a[0];  // wraps at INT64_MIN
}

template <double (*F)(double)>
Value float_fn(VM& vm, const char* fn, Args a) {
  if (a[0].is_flonum()) {  // float code's usual case: no check, no box
    Value r = Value::flonum_or_undefined(F(a[0].flonum_value()));
    if (!r.is_undefined()) return r;
  }
  if (Value e = check_number(vm, fn, a[0]); !e.is_undefined()) return e;
  return make_float(vm.heap(), F(number_as_double(a[0])));
}

double sqrt_d(double d) { return std::sqrt(d); }
double exp_d(double d) { return std::exp(d); }
double log_d(double d) { return std::log(d); }
double id_d(double d) { return d; }

Value builtin_sqrt(VM& vm, Args a) { return float_fn<sqrt_d>(vm, "sqrt", a); }
Value builtin_exp(VM& vm, Args a) { return float_fn<exp_d>(vm, "exp", a); }
Value builtin_log(VM& vm, Args a) { return float_fn<log_d>(vm, "log", a); }
Value builtin_float(VM& vm, Args a) { return float_fn<id_d>(vm, "float", a); }

// Integer to a non-negative Integer power: exact (wrapping), by squaring. Otherwise a Float.
Value builtin_pow(VM& vm, Args a) {
  if (Value e = check_numbers(vm, "pow", a, Wording::kNumber); !e.is_undefined()) return e;
  if (!any_float(a) && int_value(a[1]) >= 0) {
    uint64_t base = uint64_t(int_value(a[0])), acc = 1;
    for (int64_t n = int_value(a[1]); n > 0; n >>= 1) {
      if (n & 1) acc *= base;
      base *= base;
    }
    return make_int(vm.heap(), int64_t(acc));
  }
  return make_float(vm.heap(), std::pow(number_as_double(a[0]), number_as_double(a[1])));
}

// The argument itself (its type kept) that is least (min) or greatest (max); nan loses.
template <Order Wanted>
Value extreme(VM& vm, const char* fn, Args a) {
  if (Value e = check_numbers(vm, fn, a, Wording::kNumber); !e.is_undefined()) return e;
  Value best = a[0];
  for (uint32_t i = 1; i < a.n; ++i) {
    Order o = compare_numbers(a[i], best);
    if (o == Wanted || (o == Order::kUnordered && is_float(best) && std::isnan(float_value(best)))) best = a[i];
  }
  return best;
}

Value builtin_min(VM& vm, Args a) { return extreme<Order::kLess>(vm, "min", a); }
Value builtin_max(VM& vm, Args a) { return extreme<Order::kGreater>(vm, "max", a); }

// The non-finite Float that text names as Python's float() reads it (inf, infinity or nan in any
// case, with an optional sign), so that what print writes for one reads back; false for others.
bool non_finite(std::string_view text, double& d) {
  bool negative = !text.empty() && text[0] == '-';
  if (!text.empty() && (text[0] == '-' || text[0] == '+')) text.remove_prefix(1);
  std::string word(text);
  for (char& c : word) c = char(std::tolower(static_cast<unsigned char>(c)));
  if (word == "nan") {
    d = std::nan("");
    return true;
  }
  d = negative ? -HUGE_VAL : HUGE_VAL;
  return word == "inf" || word == "infinity";
}

// The number a String holds, written as in code (surrounding whitespace allowed), or a
// non-finite Float by name.
Value builtin_parse_number(VM& vm, Args a) {
  if (!is_string(a[0])) return arg_error(vm, "parse-number", 0, "a String", a[0]);
  std::string_view s = a[0].as<String>()->view();
  constexpr std::string_view kSpace = " \t\n\r\v\f";
  size_t b = s.find_first_not_of(kSpace);
  s = b == std::string_view::npos ? std::string_view() : s.substr(b, s.find_last_not_of(kSpace) - b + 1);
  NumberSyntax syntax = classify_number(s);
  if (double d; syntax == NumberSyntax::kNotNumber && non_finite(s, d)) return make_float(vm.heap(), d);
  if (syntax == NumberSyntax::kNotNumber)
    return vm.error("parse-number: not a number: " + readable_for_message(a[0]));
  std::string error;
  Value n = parse_number(vm.heap(), s, syntax, &error);
  return n.is_undefined() ? vm.error("parse-number: " + error) : n;
}

Value builtin_is_int(VM&, Args a) { return Value::fixnum(is_int(a[0]) ? 1 : 0); }
Value builtin_is_float(VM&, Args a) { return Value::fixnum(is_float(a[0]) ? 1 : 0); }
Value builtin_is_number(VM&, Args a) { return Value::fixnum(is_number(a[0]) ? 1 : 0); }

const BuiltinInfo kMath[] = {
    {"abs", "x", "The absolute value of the number x (an Integer wraps at the most negative one).", 1, 1, 0,
     0, builtin_abs, nullptr},
    {"floor", "x", "The greatest Integer at most x; an error for inf, nan and Floats beyond 64 bits.", 1, 1,
     0, 0, builtin_floor, nullptr},
    {"ceil", "x", "The least Integer at least x; an error for inf, nan and Floats beyond 64 bits.", 1, 1, 0,
     0, builtin_ceil, nullptr},
    {"round", "x",
     "The Integer nearest x, halves away from zero ((round 2.5) is 3); an error for inf, nan and Floats "
     "beyond 64 bits.",
     1, 1, 0, 0, builtin_round, nullptr},
    {"int", "x", "The number x as an Integer, truncated toward zero; an error for inf, nan and Floats beyond 64 bits.",
     1, 1, 0, 0, builtin_int, nullptr},
    {"float", "x", "The number x as a Float.", 1, 1, 0, 0, builtin_float, nullptr},
    {"sqrt", "x", "The square root of x as a Float (nan for negative x).", 1, 1, 0, 0, builtin_sqrt, nullptr},
    {"exp", "x", "e to the power x, as a Float.", 1, 1, 0, 0, builtin_exp, nullptr},
    {"log", "x", "The natural logarithm of x, as a Float (-inf for 0, nan below).", 1, 1, 0, 0, builtin_log,
     nullptr},
    {"pow", "x y",
     "x to the power y: an Integer (exact, 64-bit wrapping) when both are Integers and y >= 0, else a "
     "Float.",
     2, 2, 0, 0, builtin_pow, nullptr},
    {"min", "x & xs", "The least of the numbers (the argument itself, Integer or Float).", 1, -1, 0, 0,
     builtin_min, nullptr},
    {"max", "x & xs", "The greatest of the numbers (the argument itself, Integer or Float).", 1, -1, 0, 0,
     builtin_max, nullptr},
    {"parse-number", "s",
     "The Integer or Float the String s holds, written as in code (\"12\", \"-0.5\", \"1e9\"; spaces "
     "around allowed), or inf, -inf, nan as print writes them (also +inf and infinity, in any case, as "
     "Python's float reads); anything else is an error.",
     1, 1, 0, 0, builtin_parse_number, nullptr},
    {"int?", "x", "1 when x is an Integer, else 0.", 1, 1, 0, 0, builtin_is_int, nullptr},
    {"float?", "x", "1 when x is a Float, else 0.", 1, 1, 0, 0, builtin_is_float, nullptr},
    {"number?", "x", "1 when x is an Integer or a Float, else 0.", 1, 1, 0, 0, builtin_is_number, nullptr},
};

}  // namespace

constinit const std::span<const BuiltinInfo> math_builtins{kMath};

}  // namespace valk
