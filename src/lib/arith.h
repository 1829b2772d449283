// arith.h: number helpers shared by the arithmetic (arith.cpp) and math (math.cpp) builtins.
#pragma once

#include "lib/builtin.h"
#include "value/object.h"

namespace valk {

// The operators of the original say "an Integer" when no argument is a Float: programs and
// suites written before floats match on that text. New builtins say "a Number".
enum class Wording { kOriginal, kNumber };
// undefined when every argument is an Integer or a Float, else the error
// "FN: argument I must be a Number, got TYPE" (or "an Integer", see Wording).
Value check_numbers(VM& vm, const char* fn, Args a, Wording wording);
bool any_float(Args a);

enum class Order { kLess, kEqual, kGreater, kUnordered };
// Exact ordering of two numbers, also between an Integer and a Float; unordered with nan.
Order compare_numbers(Value a, Value b);

}  // namespace valk
