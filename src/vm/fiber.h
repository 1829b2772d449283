// fiber.h: the stacks of one fiber (a Valk computation that can be suspended and resumed): its
// value stack and its frames, both heap-allocated and grown on demand. The VM runs one fiber at a
// time with its stacks loaded in VM::fib_; switching fibers swaps this struct (vm/vm.cpp).
#pragma once

#include <cstddef>
#include <cstdint>

#include "value/value.h"
#include "vm/frame.h"

namespace valk {

struct Fiber {
  Value* stack = nullptr;
  size_t stack_cap = 0;
  uint32_t sp = 0;  // next free stack slot, kept in step with the interpreter at safe points
  Frame* frames = nullptr;
  uint32_t nframes = 0;
  uint32_t frames_cap = 0;
  uint32_t call_cap = 0;    // calls beyond this need growing or overflow: min(frames_cap, kMaxCallDepth)
  uint32_t young_from = 0;  // see VM::touch_frame

  // Allocates the stacks at the given sizes; false when memory is short.
  [[nodiscard]] bool allocate(size_t stack_slots, uint32_t frame_count);
  void release();
  // Every Value the fiber holds (stack slots below sp, frame fields), for the collector.
  template <class F>
  void trace(F&& f, uint32_t from_frame = 0) {
    uint32_t stack_from = from_frame == 0 ? 0 : frames[from_frame].base - 1;
    for (uint32_t i = stack_from; i < sp; ++i) f(stack[i]);
    for (uint32_t i = from_frame; i < nframes; ++i) {
      f(frames[i].proto);
      f(frames[i].env);
      f(frames[i].residue);
      if (frames[i].flags & frameflag::kTailSite) f(frames[i].tail_proto);
    }
  }
};

class Heap;
// Frees a collected fiber's stacks (a FiberObj owns them; the VM gives it to Heap::set_finalizer).
size_t finalize_fiber(Object* o);

}  // namespace valk
