// equal.h: Valk's structural equality (the builtin ==), without recursion.
#pragma once

#include "value/value.h"

namespace valk {

// Integers by value, strings by bytes, symbols by name, lists element by element and of the
// same kind ({} is not ()), builtins by identity, lambdas by formals and body, errors by message.
bool values_equal(Value a, Value b);

}  // namespace valk
