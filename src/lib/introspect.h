// introspect.h: what a program can ask about values and bindings: the type of a value, the
// predicate of each type, the global names (vm/names, and the REPL's completion through it).
#pragma once

#include <span>
#include <string_view>
#include <vector>

#include "value/object.h"

namespace valk {

class VM;

// The name (type v) gives: the name of v's row in value/types.cpp ("Integer", "Q-expression" ...).
const char* type_symbol_name(Value v);

// One predicate per type a program can meet: its name and the type name it answers 1 for.
struct TypePredicate {
  const char* type;       // as (type v) names it
  const char* predicate;  // the builtin answering 1 for exactly that type
};
std::span<const TypePredicate> type_predicates();

// The symbols bound in the global frame whose names start with `prefix`, sorted by name.
std::vector<Symbol*> global_names(VM& vm, std::string_view prefix);

}  // namespace valk
