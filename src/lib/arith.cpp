// arith.cpp: arithmetic on Integers (64-bit, wrapping) and Floats (IEEE doubles), comparisons.
// An operation on Integers only gives an Integer (so / of two Integers divides them as
// integers); as soon as one operand is a Float the others are converted and the result is a
// Float. The compiler inlines these for fixnums; every other case comes here (vm/interp.cpp's
// arith_generic).
#include <cmath>

#include "lib/arith.h"
#include "lib/builtin.h"
#include "lib/check.h"
#include "value/equal.h"
#include "value/make.h"
#include "vm/vm.h"

namespace valk {

Value check_numbers(VM& vm, const char* fn, Args a, Wording wording) {
  for (uint32_t i = 0; i < a.n; ++i) {
    if (is_number(a[i])) continue;
    bool original = wording == Wording::kOriginal && !any_float(a);
    return arg_error(vm, fn, i, original ? "an Integer" : "a Number", a[i]);
  }
  return Value::undefined();
}

bool any_float(Args a) {
  for (uint32_t i = 0; i < a.n; ++i) {
    if (is_float(a[i])) return true;
  }
  return false;
}

Order compare_numbers(Value a, Value b) {
  if (!is_float(a) && !is_float(b)) {
    int64_t x = int_value(a), y = int_value(b);
    return x < y ? Order::kLess : x > y ? Order::kGreater : Order::kEqual;
  }
  if (is_float(a) && is_float(b)) {
    double x = float_value(a), y = float_value(b);
    if (x != x || y != y) return Order::kUnordered;
    return x < y ? Order::kLess : x > y ? Order::kGreater : Order::kEqual;
  }
  // Integer against Float, exactly: rounding an integer to a double is monotonic, so a strict
  // difference after rounding is the answer; a tie is settled in integers.
  bool flip = is_float(a);
  int64_t i = int_value(flip ? b : a);
  double d = float_value(flip ? a : b);
  Order r;
  if (d != d) return Order::kUnordered;
  double di = double(i);
  if (di != d) {
    r = di < d ? Order::kLess : Order::kGreater;
  } else if (d >= 9223372036854775808.0) {
    r = Order::kLess;
  } else {
    int64_t j = int64_t(d);
    r = i < j ? Order::kLess : i > j ? Order::kGreater : Order::kEqual;
  }
  if (!flip || r == Order::kEqual) return r;
  return r == Order::kLess ? Order::kGreater : Order::kLess;
}

namespace {

// + - * /: the numbers checked, then fold_numbers (arith.h), which the VM's n-ary instructions
// share; (- x) alone negates. Float division follows IEEE (1.0 / 0 is inf); only integer
// division by 0 is an error.
template <Fold F>
Value fold_builtin(VM& vm, const char* fn, Args a) {
  if (Value e = check_numbers(vm, fn, a, Wording::kOriginal); !e.is_undefined()) return e;
  if (F == Fold::kSub && a.n == 1) {
    if (is_float(a[0])) return make_float(vm.heap(), -float_value(a[0]));
    return make_int(vm.heap(), int64_t(0 - uint64_t(int_value(a[0]))));
  }
  Value r = fold_numbers<F>(vm.heap(), a.v, a.n);
  return r.is_undefined() ? vm.error("Division By Zero") : r;
}

Value builtin_add(VM& vm, Args a) { return fold_builtin<Fold::kAdd>(vm, "+", a); }
Value builtin_sub(VM& vm, Args a) { return fold_builtin<Fold::kSub>(vm, "-", a); }
Value builtin_mul(VM& vm, Args a) { return fold_builtin<Fold::kMul>(vm, "*", a); }
Value builtin_div(VM& vm, Args a) { return fold_builtin<Fold::kDiv>(vm, "/", a); }

// Floored modulo, as in Lua and Python: the result has the sign of the divisor.
Value builtin_mod(VM& vm, Args a) {
  if (Value e = check_numbers(vm, "%", a, Wording::kNumber); !e.is_undefined()) return e;
  if (any_float(a)) {
    double x = number_as_double(a[0]), y = number_as_double(a[1]);
    double r = std::fmod(x, y);
    if (r != 0 && ((r < 0) != (y < 0))) r += y;
    if (r == 0) r = std::copysign(0.0, y);  // a zero has the divisor's sign too, as in Python
    return make_float(vm.heap(), r);
  }
  int64_t x = int_value(a[0]), y = int_value(a[1]);
  if (y == 0) return vm.error("Division By Zero");
  if (y == -1) return Value::fixnum(0);  // INT64_MIN % -1 overflows in C++
  int64_t r = x % y;
  if (r != 0 && ((r < 0) != (y < 0))) r += y;
  return make_int(vm.heap(), r);
}

template <bool (*Holds)(Order)>
Value compare(VM& vm, const char* fn, Args a) {
  if (Value e = check_numbers(vm, fn, a, Wording::kOriginal); !e.is_undefined()) return e;
  return Value::fixnum(Holds(compare_numbers(a[0], a[1])) ? 1 : 0);
}

bool lt(Order o) { return o == Order::kLess; }
bool gt(Order o) { return o == Order::kGreater; }
bool le(Order o) { return o == Order::kLess || o == Order::kEqual; }
bool ge(Order o) { return o == Order::kGreater || o == Order::kEqual; }

Value builtin_lt(VM& vm, Args a) { return compare<lt>(vm, "<", a); }
Value builtin_gt(VM& vm, Args a) { return compare<gt>(vm, ">", a); }
Value builtin_le(VM& vm, Args a) { return compare<le>(vm, "<=", a); }
Value builtin_ge(VM& vm, Args a) { return compare<ge>(vm, ">=", a); }
Value builtin_eq(VM&, Args a) { return Value::fixnum(values_equal(a[0], a[1]) ? 1 : 0); }
Value builtin_ne(VM&, Args a) { return Value::fixnum(values_equal(a[0], a[1]) ? 0 : 1); }

const BuiltinInfo kArith[] = {
    {"+", "x & xs", "The sum of the numbers: an Integer (64-bit, wrapping) when all are Integers, else a Float.",
     1, -1, 0, 0, builtin_add, nullptr},
    {"-", "x & xs",
     "(- x) is -x; (- x y z) is x - y - z: an Integer (64-bit, wrapping) when all are Integers, else a "
     "Float.",
     1, -1, 0, 0, builtin_sub, nullptr},
    {"*", "x & xs", "The product of the numbers: an Integer (64-bit, wrapping) when all are Integers, else a Float.",
     1, -1, 0, 0, builtin_mul, nullptr},
    {"/", "x & xs",
     "x divided by each following number. Integers only: integer division truncating toward zero, and "
     "dividing by 0 is the error \"Division By Zero\"; with a Float: float division (1.0 / 0 is inf).",
     1, -1, 0, 0, builtin_div, nullptr},
    {"%", "x y",
     "x modulo y, floored (the result has the sign of y): (% -7 3) is 2. An Integer when both are, "
     "else a Float; an Integer y of 0 is the error \"Division By Zero\".",
     2, 2, 0, 0, builtin_mod, nullptr},
    {"<", "x y", "1 when the number x is less than y, else 0 (0 when either is nan).", 2, 2, 0, 0, builtin_lt,
     nullptr},
    {">", "x y", "1 when the number x is greater than y, else 0 (0 when either is nan).", 2, 2, 0, 0,
     builtin_gt, nullptr},
    {"<=", "x y", "1 when the number x is at most y, else 0 (0 when either is nan).", 2, 2, 0, 0, builtin_le,
     nullptr},
    {">=", "x y", "1 when the number x is at least y, else 0 (0 when either is nan).", 2, 2, 0, 0,
     builtin_ge, nullptr},
    {"==", "x y",
     "1 when x and y are equal in structure (numbers by value, so (== 1 1.0) is 1, and nan equals nan; "
     "strings by bytes; lists element by element and of the same kind; dictionaries by entries), else 0.",
     2, 2, 0, 0, builtin_eq, nullptr},
    {"!=", "x y", "0 when x and y are equal in structure, else 1.", 2, 2, 0, 0, builtin_ne, nullptr},
};

}  // namespace

constinit const std::span<const BuiltinInfo> arith_builtins{kArith};

}  // namespace valk
