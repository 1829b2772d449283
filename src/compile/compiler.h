// compiler.h: forms to bytecode. A lambda body is compiled once, when the lambda is created
// (literal \ forms: when the code around them is compiled); code run by eval, if and load is
// compiled too, and cached on the list it came from when that list was read from source.
#pragma once

#include <string>

#include "value/object.h"

namespace valk {

class VM;

// Compiles (\ formals body) created at run time: it closes over nothing, so names beyond its
// parameters are looked up by name when it runs. Returns a Proto, or an Error value.
Value compile_lambda(VM& vm, Value formals, Value body);

// How compile_code takes its code.
enum class CodeShape : uint8_t {
  kExpression,  // evaluated as written: a form of a file or of load; a Q-expression is a value
  kList,        // a list run as an S-expression whose single element is not called (eval, if,
                // a REPL line); anything else is its own value
};

// Compiles `code` to run in the frame of whoever runs it. Returns a Proto, or an Error value.
Value compile_code(VM& vm, Value code, ProtoKind kind, SrcPos pos, CodeShape shape = CodeShape::kList);

// "" when `formals` is a valid parameter list (a Q-expression of symbols where & is followed by
// exactly one name), else the error message for it.
std::string check_formals(Value formals);

}  // namespace valk
