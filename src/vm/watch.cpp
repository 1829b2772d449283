// watch.cpp: watched names. While a watched name keeps its original meaning, the compiler inlines
// it and the prelude's intrinsics run; when it is rebound or some frame may bind it, the
// instructions standing for it switch to their slow handlers (which look it up and call whatever
// it means), intrinsics that rely on it decline, and forms already in flight keep the meaning
// they started with (pins).
#include <algorithm>
#include <string_view>

#include "compile/proto.h"
#include "vm/intrinsic.h"
#include "vm/vm.h"

namespace valk {

const char kWatchOrigins[int(WatchId::kCount)] = {
#define WATCH(id, name, origin) #origin[0],
#include "vm/watched.def"
#undef WATCH
};

constexpr char kWatchNames[int(WatchId::kCount)][kWatchNameBytes] = {
#define WATCH(id, name, origin) name,
#include "vm/watched.def"
#undef WATCH
};

namespace {

// The mask of an instruction's space-separated watched names (opcodes.def), worked out by the
// compiler: a bit per watched name, every bit for a name that is not watched.
constexpr uint64_t watch_mask(std::string_view list) {
  uint64_t mask = 0;
  while (!list.empty()) {
    size_t space = list.find(' ');
    std::string_view name = list.substr(0, space);
    uint64_t bit = ~uint64_t(0);
    for (int i = 0; i < int(WatchId::kCount); ++i) {
      if (std::string_view(kWatchNames[i]) == name) bit = uint64_t(1) << i;
    }
    mask |= bit;
    list = space == std::string_view::npos ? std::string_view() : list.substr(space + 1);
  }
  return mask;
}

}  // namespace

constexpr uint64_t kOpWatchMasks[kOpCount] = {
#define OP(name, format, watched, doc) watch_mask(watched),
#include "compile/opcodes.def"
#undef OP
};

void VM::init_watches() {
  for (int id = 0; id < int(WatchId::kCount); ++id) {
    Symbol* s = sym(kWatchNames[id]);
    s->watch = id;
    watched_syms_[id] = s;
  }
  broken_ = ~uint64_t(0);
}

bool VM::means_original(const Symbol* s, Value v) const {
  if (s->watch < 0) return false;
  Value expected = watch_expected_[s->watch];
  if (expected.is_undefined()) return false;
  if (v == expected) return true;
  // A prelude function defined again from the same source (e.g. the prelude loaded again) is
  // the same function: same compiled body, closing over nothing.
  return is_closure(v) && is_closure(expected) &&
         v.as<Closure>()->proto == expected.as<Closure>()->proto &&
         v.as<Closure>()->env.is_undefined() && expected.as<Closure>()->env.is_undefined();
}

void VM::set_watch_expected(WatchId id, Value value) {
  watch_expected_[int(id)] = value;
  refresh_watch(watched_syms_[int(id)]);
}

void VM::refresh_watch(Symbol* s) {
  if (s->watch < 0) return;
  uint64_t bit = uint64_t(1) << s->watch;
  bool intact = s->scope_flags == 0 && means_original(s, s->global);
  uint64_t before = broken_;
  broken_ = intact ? (broken_ & ~bit) : (broken_ | bit);
  if (broken_ != before) update_dispatch();
}

void VM::update_dispatch() {
  for (int op = 0; op < kOpCount; ++op) {
    bool slow = (broken_ & kOpWatchMasks[op]) != 0;
    op_slow_[op] = slow;
    if (handlers_known_) dispatch_[op] = slow ? slow_handlers_[op] : fast_handlers_[op];
  }
}

void VM::note_scope_binding(Symbol* s, uint32_t flag) {
  if (s->scope_flags & flag) return;
  s->scope_flags |= flag;
  refresh_watch(s);
}

// Before a watched name changes meaning for running code: every inlined form of that name whose
// evaluation has started (its operands are being computed in some frame) keeps the meaning the
// name had when the form started, as the original looked the operator up first.
void VM::pin_forms_in_flight(Symbol* s) {
  for (uint32_t i = 0; i < fib_.nframes; ++i) {
    const Frame& f = fib_.frames[i];
    if ((f.kind != FrameKind::kLambda && f.kind != FrameKind::kChunk) || !f.pc) continue;
    const Proto* p = f.proto.as<Proto>();
    uint32_t at = uint32_t(f.pc - p->code);
    for (const InlineSite& site : p->extra->sites) {
      if (site.sym != s || !(site.form_start < at && at <= site.op_pc)) continue;
      bool already = std::any_of(pins_.begin(), pins_.end(),
                                 [&](const Pin& pin) { return pin.frame == i && pin.pc == site.op_pc; });
      if (!already) pins_.push_back(Pin{i, site.op_pc, lookup(s, f.scope)});
    }
  }
}

Value VM::pinned_value(uint32_t frame, uint32_t pc) {
  for (size_t i = 0; i < pins_.size(); ++i) {
    if (pins_[i].frame == frame && pins_[i].pc == pc) {
      Value v = pins_[i].value;
      pins_.erase(pins_.begin() + long(i));
      return v;
    }
  }
  return Value::undefined();
}

void VM::drop_pins_above(uint32_t frame) {
  if (pins_.empty()) return;
  pins_.erase(std::remove_if(pins_.begin(), pins_.end(), [&](const Pin& p) { return p.frame >= frame; }),
              pins_.end());
}

Value VM::watched_meaning(const InlineSite* site, Frame* fr) {
  uint32_t index = uint32_t(fr - fib_.frames);
  if (!pins_.empty()) {
    Value pinned = pinned_value(index, site->op_pc);
    if (!pinned.is_undefined()) return pinned;
  }
  return lookup(site->sym, fr->scope);
}

}  // namespace valk
