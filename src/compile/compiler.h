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

// Compiles `code` to run in the frame of whoever runs it: a Q-expression runs as an
// S-expression whose single element is not called (eval, if branches); an S-expression, symbol
// or atom runs as written (top-level forms, the REPL). Returns a Proto, or an Error value.
Value compile_code(VM& vm, Value code, ProtoKind kind, SrcPos pos);

// "" when `formals` is a valid parameter list (a Q-expression of symbols where & is followed by
// exactly one name), else the error message for it.
std::string check_formals(Value formals);

}  // namespace valk
