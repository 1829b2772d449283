// proto.h: storage behind a compiled prototype (instructions, constants, parameter names, the
// line table and the inline sites) and the queries the VM makes of it.
#pragma once

#include <cstdint>
#include <vector>

#include "gc/heap.h"
#include "value/object.h"

namespace valk {

// A place where the compiler inlined a builtin or prelude function. The VM uses it on the slow
// path (the name was rebound) to call what the name means now, and to find forms in flight.
struct InlineSite {
  uint32_t op_pc;       // the instruction standing for the call
  uint32_t form_start;  // first instruction of the whole form
  uint32_t end_pc;      // where execution continues with the form's value
  Symbol* sym;          // the name inlined
  // Constant indices (constants are what the collector traces):
  uint32_t form;        // the form as written
  uint32_t extra1;      // if: the then-branch; \: the formals
  uint32_t extra2;      // if: the else-branch; \: the body
  bool tail;            // the form is in tail position
};

struct LineEntry {
  uint32_t pc;
  SrcPos pos;
};

// An inlined try (compiler.cpp inline_try): nothing runs for it but TRY (or TRYFN) until an error
// unwinds to a frame standing inside its body, which then goes on at `handler` with the stack cut
// to `height`, the handler (from frame slot `slot`, or made then) and the error pushed.
inline constexpr uint32_t kNoLambda = UINT32_MAX;
struct TryRange {
  uint32_t open;     // the TRY or TRYFN (the body follows it)
  uint32_t close;    // just past the body
  uint32_t handler;  // the handler's call, placed after the prototype's code
  uint32_t height;   // operand stack slots in use when the body starts (the try's value goes there)
  uint32_t slot;     // the frame slot holding the handler (Proto::ntry)
  uint32_t lambda;   // TRYFN: constant index of the handler's prototype, made over the frame when
                     // an error comes while the slot is empty; else kNoLambda
  uint32_t eager;    // TRYFN: the code making the handler first, for when try or \ changed
};

// Code placed at the end of a prototype for an instruction of its body (a fused instruction's
// unfused form, a guarded form's call): an error raised in it is raised at `origin`.
struct StubRange {
  uint32_t start;
  uint32_t end;
  uint32_t origin;
};

struct ProtoExtra {
  std::vector<uint32_t> code;
  std::vector<Value> consts;
  std::vector<Symbol*> params;   // the parameters, then the names of the `=` slots
  std::vector<LineEntry> lines;  // sorted by pc
  std::vector<InlineSite> sites; // sorted by op_pc
  std::vector<TryRange> tries;   // in the order their bodies close
  std::vector<StubRange> stubs;  // sorted by start
  SrcPos pos;                    // where the code starts
  // Unique in the process (make_proto), so that a memo keyed by it never takes a new prototype
  // for a dead one at the same address.
  uint64_t id = 0;
  // vm/residue.cpp's memo for tail calls from this prototype: the slots whose names the callee
  // with id `tail_callee` does not bind (bit i: slot i), as long as there are at most 64 slots.
  uint64_t tail_callee = 0;
  uint64_t unshadowed_slots = 0;
};

// Allocates a prototype in the old space that takes ownership of `extra`.
Proto* make_proto(Heap& heap, ProtoKind kind, ProtoExtra* extra, uint32_t max_stack);

// Source position of the instruction at pc (the nearest entry at or before it).
SrcPos proto_pos_at(const Proto* p, uint32_t pc);
// The inline site whose instruction is at op_pc, or null.
const InlineSite* proto_site_at(const Proto* p, uint32_t op_pc);
// Calls visit(const TryRange&) for each try open where a frame of p stands, innermost first, until
// visit returns true. `at` is the frame's saved pc (just past its current instruction); a pc in a
// stub stands at the instruction the stub is for.
template <class F>
void proto_open_tries(const Proto* p, uint32_t at, F&& visit) {
  const ProtoExtra& x = *p->extra;
  for (;;) {
    // Bodies nest, so the tries holding `at` are innermost first in the order of their opens.
    uint32_t opened_before = UINT32_MAX;
    for (;;) {
      const TryRange* inner = nullptr;
      for (const TryRange& t : x.tries) {
        bool holds = t.open + 1 < at && at <= t.close && t.open < opened_before;
        if (holds && (!inner || t.open > inner->open)) inner = &t;
      }
      if (!inner) break;
      if (visit(*inner)) return;
      opened_before = inner->open;
    }
    const StubRange* stub = nullptr;
    for (const StubRange& s : x.stubs) {
      if (s.start < at && at <= s.end) stub = &s;
    }
    if (!stub) return;
    at = stub->origin + 1;
  }
}
// The try opened by the TRY or TRYFN at op_pc.
inline const TryRange& proto_try_at(const Proto* p, uint32_t op_pc) {
  for (const TryRange& t : p->extra->tries) {
    if (t.open == op_pc) return t;
  }
  __builtin_unreachable();
}
// Index of sym among the parameters, or -1.
inline int proto_param_index(const Proto* p, const Symbol* sym) {
  for (uint32_t i = 0; i < p->nparams; ++i) {
    if (p->params[i] == sym) return int(i);
  }
  return -1;
}
// Index of sym among the parameters and `=` slots (Proto::nslots), or -1.
inline int proto_slot_index(const Proto* p, const Symbol* sym) {
  for (uint32_t i = 0; i < p->nslots; ++i) {
    if (p->params[i] == sym) return int(i);
  }
  return -1;
}
// True when none of the frame's `=` slots (at `slots`, its parameter slot 0) is bound.
inline bool proto_slots_unset(const Proto* p, const Value* slots) {
  for (uint32_t i = p->nparams; i < p->nslots; ++i) {
    if (!slots[i].is_undefined()) return false;
  }
  return true;
}

// Frees a collected prototype's storage (whoever owns the heap gives it to Heap::set_finalizer).
size_t finalize_proto(Object* o);

}  // namespace valk
