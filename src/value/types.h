// types.h: one row of hooks per heap object type (Janet's JanetAbstractType as the model), so
// that adding a type means one line in value/types.def, one row in value/types.cpp and the case
// the compiler asks for in gc/trace.h (switches over ObjType have no default: and -Werror=switch).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "value/object.h"

namespace valk {

class Encoder;  // lib/marshal.h

// Pairs of values still to compare (equality walks nested values without recursion). A pair
// (key, collision node of a dict) is a search, and the pair below it holds the key's value:
// dict_equal pushes them, values_equal searches (value/equal.cpp).
using EqualWork = std::vector<std::pair<Value, Value>>;

struct TypeInfo {
  ObjType type;      // the row's own type (checked against its index at compile time)
  const char* name;  // as shown in error messages ("String")
  // Bytes the object takes in the heap; null for objects that never move (symbols, builtins).
  size_t (*size)(const Object* o);
  // Appends the printed form; `display` shows strings without quotes. Null: lists and the
  // containers with print_parts, which the printer walks itself.
  void (*print)(std::string& out, Value v, bool display);
  // Containers other than lists (dicts, records): appends the opening text to `out` and the
  // components to print (readable, separated by spaces) to `parts`, and returns the closing
  // text. The printer walks them with its own stack, so deep nesting never uses the C stack.
  const char* (*print_parts)(std::string& out, Value v, std::vector<Value>& parts) = nullptr;
  // a and b are of this type and not identical: false when they differ, else true after pushing
  // onto `work` the pairs of components that must also be equal. Null: equal only if identical.
  bool (*equal)(Value a, Value b, EqualWork& work) = nullptr;
  // Hash consistent with equal (equal values hash alike); `depth` bounds the walk into nested
  // values (hash_value_at in value/equal.h). Null: hashed by identity.
  uint64_t (*hash)(Value v, int depth) = nullptr;
  bool self_evaluating = false;  // evaluates to itself (fst & co. may return it unevaluated)
  // Writes the object for marshal (lib/marshal.h): its tag, its fields, its components queued.
  // Null: the type cannot be marshalled (a future, a fiber, a string builder), an error naming it.
  void (*marshal)(Encoder& e, Value v) = nullptr;
};

// Defined with exactly one row per type, in enum order (both checked at compile time).
extern const TypeInfo kTypeInfo[size_t(ObjType::kCount)];

inline const TypeInfo& type_info(ObjType t) { return kTypeInfo[size_t(t)]; }

// Shared by the rows: the readable form of a string ("a\n" with its escapes).
void print_string_literal(std::string& out, std::string_view s);

}  // namespace valk
