// check.h: argument checks shared by the builtins, with the one wording every type error uses:
// "NAME: argument I must be A TYPE, got TYPE".
#pragma once

#include <string>

#include "value/object.h"
#include "value/types.h"
#include "vm/vm.h"

namespace valk {

inline Value arg_error(VM& vm, const char* fn, uint32_t index, const char* expected, Value got) {
  return vm.error(std::string(fn) + ": argument " + std::to_string(index + 1) + " must be " + expected +
                  ", got " + type_name(got));
}

// True for values that evaluate to themselves (so fst & co. may return them unevaluated).
inline bool self_evaluating(Value v) {
  if (v.is_fixnum() || v.is_empty_list()) return true;
  if (!v.is_object()) return false;
  if (is_cons(v)) return (v.obj()->flags & consflag::kQuoted) != 0;
  return type_info(v.obj()->type).self_evaluating;
}

// True when v is a Q-expression all of whose cells are quoted, ending in {}.
inline bool proper_qlist(Value v) {
  for (; is_cons(v); v = cdr(v)) {
    if (!(v.obj()->flags & consflag::kQuoted)) return false;
  }
  return v.is_nil();
}

}  // namespace valk
