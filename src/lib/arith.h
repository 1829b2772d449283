// arith.h: number helpers shared by the arithmetic (arith.cpp) and math (math.cpp) builtins.
#pragma once

#include <cstdint>

#include "lib/builtin.h"
#include "value/make.h"
#include "value/object.h"

namespace valk {

// The operators of the original say "an Integer" when no argument is a Float: programs and
// suites written before floats match on that text. New builtins say "a Number".
enum class Wording { kOriginal, kNumber };
// undefined when every argument is an Integer or a Float, else the error
// "FN: argument I must be a Number, got TYPE" (or "an Integer", see Wording).
Value check_numbers(VM& vm, const char* fn, Args a, Wording wording);
bool any_float(Args a);

// The folds of + - * /. The builtins compute with fold_numbers, and so do the VM's n-ary
// instructions (ADDN ... DIVN, vm/interp.cpp): an inlined form gives the builtin's value by
// construction.
enum class Fold : uint8_t { kAdd, kSub, kMul, kDiv };

// The fold of n operands that are all flonums (float code's usual case: no boxed operand to
// read, no Integer to convert) whose result is one; else undefined. (* from 1 as below: 1.0 * x
// is x.)
template <Fold F>
inline Value fold_flonums(const Value* a, uint32_t n) {
  double acc = a[0].flonum_value();
  for (uint32_t i = 1; i < n; ++i) {
    if (!a[i].is_flonum()) return Value::undefined();
    double x = a[i].flonum_value();
    if constexpr (F == Fold::kAdd) acc += x;
    if constexpr (F == Fold::kSub) acc -= x;
    if constexpr (F == Fold::kMul) acc *= x;
    if constexpr (F == Fold::kDiv) acc /= x;
  }
  return Value::flonum_or_undefined(acc);
}

// + - * / over the n operands at a, as the builtins compute them: all Integers give an Integer
// (64-bit, wrapping; / truncates toward zero and INT64_MIN / -1 is INT64_MIN); with any Float,
// every operand is converted to a double and folded left (* from 1, the others from the first
// operand). (- x) alone is a negation, which the builtin computes itself. Undefined when an
// operand is not a number or an Integer is divided by 0: the builtin raises the error.
template <Fold F>
inline Value fold_numbers(Heap& heap, const Value* a, uint32_t n) {
  if (a[0].is_flonum()) {
    Value r = fold_flonums<F>(a, n);
    if (!r.is_undefined()) return r;
  }
  bool floats = false;
  for (uint32_t i = 0; i < n; ++i) {
    if (a[i].is_fixnum()) continue;
    if (is_float(a[i])) {
      floats = true;
    } else if (!is_int(a[i])) {
      return Value::undefined();
    }
  }
  if (floats) {
    // + from the first operand, not from 0: 0 + -0.0 would lose the sign of (+ -0.0 -0.0).
    double acc = F == Fold::kMul ? 1.0 : number_as_double(a[0]);
    for (uint32_t i = F == Fold::kMul ? 0 : 1; i < n; ++i) {
      double x = number_as_double(a[i]);
      if constexpr (F == Fold::kAdd) acc += x;
      if constexpr (F == Fold::kSub) acc -= x;
      if constexpr (F == Fold::kMul) acc *= x;
      if constexpr (F == Fold::kDiv) acc /= x;
    }
    return make_float(heap, acc);
  }
  if constexpr (F == Fold::kDiv) {
    int64_t acc = int_value(a[0]);
    for (uint32_t i = 1; i < n; ++i) {
      int64_t d = int_value(a[i]);
      if (d == 0) return Value::undefined();
      acc = (acc == INT64_MIN && d == -1) ? INT64_MIN : acc / d;  // truncates toward zero
    }
    return make_int(heap, acc);
  } else {
    // Wrapping arithmetic is done on unsigned words: C++20 converts back modulo 2^64.
    uint64_t acc = F == Fold::kMul ? 1 : F == Fold::kAdd ? 0 : uint64_t(int_value(a[0]));
    for (uint32_t i = F == Fold::kSub ? 1 : 0; i < n; ++i) {
      uint64_t x = uint64_t(int_value(a[i]));
      if constexpr (F == Fold::kAdd) acc += x;
      if constexpr (F == Fold::kSub) acc -= x;
      if constexpr (F == Fold::kMul) acc *= x;
    }
    return make_int(heap, int64_t(acc));
  }
}

// The same with the fold chosen at run time (vm/interp.cpp's arith_generic).
inline Value fold_numbers(Fold f, Heap& heap, const Value* a, uint32_t n) {
  switch (f) {
    case Fold::kAdd: return fold_numbers<Fold::kAdd>(heap, a, n);
    case Fold::kSub: return fold_numbers<Fold::kSub>(heap, a, n);
    case Fold::kMul: return fold_numbers<Fold::kMul>(heap, a, n);
    case Fold::kDiv: return fold_numbers<Fold::kDiv>(heap, a, n);
  }
  __builtin_unreachable();
}

enum class Order { kLess, kEqual, kGreater, kUnordered };
// Exact ordering of two numbers, also between an Integer and a Float; unordered with nan.
Order compare_numbers(Value a, Value b);

}  // namespace valk
