// intrinsic.h: native fast paths of prelude functions. A prelude function keeps its Valk
// definition (what it prints as, what == compares, what runs when the fast path declines); its
// prototype points to an Intrinsic that the VM runs instead while every name the Valk body
// relies on keeps its original meaning (`mask` of watched names, see vm/watched.def).
#pragma once

#include <cstdint>

#include "lib/builtin.h"
#include "lib/check.h"

namespace valk {

struct Intrinsic {
  const char* name;    // the prelude function
  uint64_t mask;       // watched names its Valk body relies on
  BuiltinFn simple;    // computes the result, or returns undefined to run the Valk body
  NativeFn native;     // or: runs as a continuation in a frame standing for the function's own
  uint8_t extra_slots; // state slots of the continuation beyond the parameters
};

// The element `skip` cells into l when l is a Q-expression that long and the element evaluates
// to itself (what fst/snd/trd/nth give without running their Valk body); else undefined (the
// Valk definition then raises or evaluates it). Inline: PICK and NTH run it on every pick.
inline Value pick_plain(Value l, int64_t skip) {
  for (int64_t i = 0; i < skip; ++i) {
    if (!is_qcons(l)) return Value::undefined();
    l = cdr(l);
  }
  if (!is_qcons(l)) return Value::undefined();
  Value e = car(l);
  return self_evaluating(e) ? e : Value::undefined();
}

// Attaches the intrinsics to the prelude's prototypes (after the prelude is loaded).
void attach_intrinsics(VM& vm);

}  // namespace valk
