// check.h: argument checks shared by the builtins, with the one wording every type error uses:
// "NAME: argument I must be A TYPE, got TYPE".
#pragma once

#include <string>
#include <unistd.h>

#include "value/object.h"
#include "value/types.h"
#include "vm/vm.h"

namespace valk {

inline Value arg_error(VM& vm, const char* fn, uint32_t index, const char* expected, Value got) {
  return vm.error(std::string(fn) + ": argument " + std::to_string(index + 1) + " must be " + expected +
                  ", got " + type_name(got));
}

// Bytes one value may take at most: the heap limit when set, else the machine's memory. A builtin
// asked for more (range, str/repeat) answers "out of memory" instead of failing to allocate.
inline uint64_t memory_limit(VM& vm) {
  if (vm.heap().config().heap_limit) return vm.heap().config().heap_limit;
  long pages = sysconf(_SC_PHYS_PAGES);
  long page = sysconf(_SC_PAGESIZE);
  return pages > 0 && page > 0 ? uint64_t(pages) * uint64_t(page) : UINT64_MAX;
}

// True for values that evaluate to themselves (so fst & co. may return them unevaluated).
inline bool self_evaluating(Value v) {
  if (v.is_fixnum() || v.is_flonum() || v.is_empty_list()) return true;
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

// True when desc is a record type's descriptor {name field ...}: symbols, at least one field
// (docs/STRUCTURE.md). The sys/record-* builtins are callable by anyone and unmarshal reads
// descriptors from bytes, so both check this before reading a name or a field from one.
inline bool is_record_type(Value desc) {
  if (!proper_qlist(desc) || desc.is_nil() || cdr(desc).is_nil()) return false;
  for (; is_cons(desc); desc = cdr(desc)) {
    if (!is_symbol(car(desc))) return false;
  }
  return true;
}

}  // namespace valk
