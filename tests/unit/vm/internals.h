// internals.h: what the unit tests of vm/ read of the VM's frames (VM befriends VmInternals),
// for checks on work that results cannot show: residues kept, frames a lookup steps over.
#pragma once

#include "vm/vm.h"

namespace valk {

struct VmInternals {
  // The index of the topmost lambda frame, or 0 when there is none.
  static uint32_t top_lambda(VM& vm) {
    for (uint32_t s = vm.fib_.nframes; s-- > 1;) {
      if (vm.fib_.frames[s].kind == FrameKind::kLambda) return s;
    }
    return 0;
  }
  // The number of links in the residue of the topmost lambda frame.
  static int64_t top_residue_links(VM& vm) {
    uint32_t s = top_lambda(vm);
    if (!s) return -1;
    int64_t n = 0;
    for (Value r = vm.fib_.frames[s].residue; !r.is_undefined(); r = r.as<Residue>()->next) ++n;
    return n;
  }
  // How many caller frames a lookup from the topmost lambda frame steps over once it has searched
  // that frame (VM::run_base): the rest of a recursion's run of frames binding the same names.
  static int64_t frames_stepped_over(VM& vm) {
    uint32_t s = top_lambda(vm);
    if (!s) return -1;
    return int64_t(s) - int64_t(vm.run_base(s));
  }
};

}  // namespace valk
