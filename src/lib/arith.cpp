// arith.cpp: integer arithmetic (wrapping, 64-bit) and comparisons.
#include "lib/builtin.h"
#include "lib/check.h"
#include "value/equal.h"
#include "value/make.h"
#include "vm/vm.h"

namespace valk {

namespace {

Value check_integers(VM& vm, const char* fn, Args a) {
  for (uint32_t i = 0; i < a.n; ++i) {
    if (!is_int(a[i])) return arg_error(vm, fn, i, "an Integer", a[i]);
  }
  return Value::undefined();
}

// Wrapping arithmetic is done on unsigned words: C++20 converts back modulo 2^64.
Value builtin_add(VM& vm, Args a) {
  if (Value e = check_integers(vm, "+", a); !e.is_undefined()) return e;
  uint64_t acc = 0;
  for (uint32_t i = 0; i < a.n; ++i) acc += uint64_t(int_value(a[i]));
  return make_int(vm.heap(), int64_t(acc));
}

Value builtin_sub(VM& vm, Args a) {
  if (Value e = check_integers(vm, "-", a); !e.is_undefined()) return e;
  if (a.n == 1) return make_int(vm.heap(), int64_t(0 - uint64_t(int_value(a[0]))));
  uint64_t acc = uint64_t(int_value(a[0]));
  for (uint32_t i = 1; i < a.n; ++i) acc -= uint64_t(int_value(a[i]));
  return make_int(vm.heap(), int64_t(acc));
}

Value builtin_mul(VM& vm, Args a) {
  if (Value e = check_integers(vm, "*", a); !e.is_undefined()) return e;
  uint64_t acc = 1;
  for (uint32_t i = 0; i < a.n; ++i) acc *= uint64_t(int_value(a[i]));
  return make_int(vm.heap(), int64_t(acc));
}

Value builtin_div(VM& vm, Args a) {
  if (Value e = check_integers(vm, "/", a); !e.is_undefined()) return e;
  int64_t acc = int_value(a[0]);
  for (uint32_t i = 1; i < a.n; ++i) {
    int64_t d = int_value(a[i]);
    if (d == 0) return vm.error("Division By Zero");
    acc = (acc == INT64_MIN && d == -1) ? INT64_MIN : acc / d;  // truncates toward zero
  }
  return make_int(vm.heap(), acc);
}

template <bool (*Cmp)(int64_t, int64_t)>
Value compare(VM& vm, const char* fn, Args a) {
  if (Value e = check_integers(vm, fn, a); !e.is_undefined()) return e;
  return Value::fixnum(Cmp(int_value(a[0]), int_value(a[1])) ? 1 : 0);
}

bool lt(int64_t x, int64_t y) { return x < y; }
bool gt(int64_t x, int64_t y) { return x > y; }
bool le(int64_t x, int64_t y) { return x <= y; }
bool ge(int64_t x, int64_t y) { return x >= y; }

Value builtin_lt(VM& vm, Args a) { return compare<lt>(vm, "<", a); }
Value builtin_gt(VM& vm, Args a) { return compare<gt>(vm, ">", a); }
Value builtin_le(VM& vm, Args a) { return compare<le>(vm, "<=", a); }
Value builtin_ge(VM& vm, Args a) { return compare<ge>(vm, ">=", a); }
Value builtin_eq(VM&, Args a) { return Value::fixnum(values_equal(a[0], a[1]) ? 1 : 0); }
Value builtin_ne(VM&, Args a) { return Value::fixnum(values_equal(a[0], a[1]) ? 0 : 1); }

const BuiltinInfo kArith[] = {
    {"+", "x & xs", "The sum of the integers (64-bit, wrapping).", 1, -1, 0, 0, builtin_add, nullptr},
    {"-", "x & xs", "(- x) is -x; (- x y z) is x - y - z (64-bit, wrapping).", 1, -1, 0, 0, builtin_sub,
     nullptr},
    {"*", "x & xs", "The product of the integers (64-bit, wrapping).", 1, -1, 0, 0, builtin_mul, nullptr},
    {"/", "x & xs",
     "x divided by each following integer, truncating toward zero; dividing by 0 is the error "
     "\"Division By Zero\".",
     1, -1, 0, 0, builtin_div, nullptr},
    {"<", "x y", "1 when the integer x is less than y, else 0.", 2, 2, 0, 0, builtin_lt, nullptr},
    {">", "x y", "1 when the integer x is greater than y, else 0.", 2, 2, 0, 0, builtin_gt, nullptr},
    {"<=", "x y", "1 when the integer x is at most y, else 0.", 2, 2, 0, 0, builtin_le, nullptr},
    {">=", "x y", "1 when the integer x is at least y, else 0.", 2, 2, 0, 0, builtin_ge, nullptr},
    {"==", "x y",
     "1 when x and y are equal in structure (integers by value, strings by bytes, lists element by "
     "element and of the same kind), else 0.",
     2, 2, 0, 0, builtin_eq, nullptr},
    {"!=", "x y", "0 when x and y are equal in structure, else 1.", 2, 2, 0, 0, builtin_ne, nullptr},
};

}  // namespace

std::span<const BuiltinInfo> arith_builtins() { return kArith; }

}  // namespace valk
