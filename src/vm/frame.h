// frame.h: one activation record of the VM. Frames live in a heap-allocated array beside the
// value stack, so Valk recursion never recurses in C.
#pragma once

#include <cstdint>

#include "value/value.h"

namespace valk {

class VM;
struct NativeResult;
inline constexpr uint32_t kHeldSlotLimit = 32;  // the bits of Frame::held_slots
// The bit of slot i in Frame::held_slots. A frame with more slots than that holds none (its
// held_slots is 0), so the bit a slot past the limit shares is never set in it.
inline constexpr uint32_t held_bit(uint32_t slot) { return uint32_t(1) << (slot % kHeldSlotLimit); }
// A builtin run as a continuation (lib/builtin.h says how it is called).
using NativeFn = NativeResult (*)(VM& vm, uint32_t frame, Value resumed);

enum class FrameKind : uint8_t {
  kEntry,   // bottom of one VM entry: returning into it ends the run; stands for the global frame
  kLambda,  // a lambda's own frame: a scope holding its parameters
  kChunk,   // code run by eval, if, load or at top level, in the scope of the frame below it
  kNative,  // a builtin running as a continuation (see vm/native.h)
};

namespace frameflag {
inline constexpr uint8_t kCatchErrors = 1;  // errors unwinding to this native frame resume it
inline constexpr uint8_t kScope = 2;        // a native frame that stands for a prelude function's
                                            // frame: it is a scope whose names are proto's params
inline constexpr uint8_t kTailSite = 4;     // a lambda frame running builtin code that the user's
                                            // code reached by a tail call: see tail_proto
inline constexpr uint8_t kTailOfCaller = 8; // a native or chunk frame whose value is the value of
                                            // the frame below it, which only returns it: a lambda
                                            // frame's tail call of a builtin (eval, unpack's apply,
                                            // try's handler), or the chunk such a builtin runs as
                                            // its value. Its tail calls replace that lambda frame.
}  // namespace frameflag

struct Frame {
  const uint32_t* pc;  // where this frame's code continues (saved when it calls)
  uint32_t base;       // stack index of parameter slot 0; the callee (or the chunk's proto) is at base-1
  uint32_t scope;      // index of the frame whose bindings are current here (itself for scopes)
  FrameKind kind;
  uint8_t flags;
  uint16_t step;       // state of a native continuation
  union {
    uint32_t nargs;       // native frames: how many arguments the builtin was called with
    uint32_t held_slots;  // lambda frames: the `=` slots (bit i: slot i, below kHeldSlotLimit)
                          // that, when bound, hold what a self tail call kept of the frame it
                          // replaced (see REPLACE_FRAME): the residue's bindings, not the frame's
  };
  Value proto;         // the Proto being run (for natives standing for a prelude frame: its names)
  Value env;           // this frame on the heap (closed over, or extended by =), or undefined
  Value residue;       // bindings of frames this one replaced by tail calls, or undefined
  uint32_t run_base;   // lambda frames: the last frame of the run of callers binding exactly the
                       // names this frame binds (lookup.cpp skips it whole), or 0 when not yet known
  uint32_t tail_offset;  // with kTailSite: where in tail_proto's code the user's tail call was
  Value tail_proto;      // with kTailSite: the user's code that tail-called into builtin code
  NativeFn native;       // native frames: the builtin's continuation
};

}  // namespace valk
