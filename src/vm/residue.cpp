// residue.cpp: what a tail call must keep of the frame it replaces. In the original every call
// got a new frame, so a callee could see its caller's names (dynamic scoping, LANGUAGE.md 5).
// A tail call drops the caller's frame; the bindings the callee could still have seen are kept
// as the callee frame's residue, looked up after its own frame and closure chain. Names the
// callee binds itself are dropped (they can never be seen), as are repeats, so a loop of tail
// calls keeps at most one binding per name: constant space.
#include <bit>
#include <vector>

#include "compile/proto.h"
#include "vm/vm.h"

namespace valk {

namespace {

struct Entry {
  Symbol* sym;  // null: `value` is an Env the replaced frames had closed over
  Value value;
};

// A new residue link in front of `next`. Does not collect.
Value prepend_link(Heap& heap, Symbol* sym, Value value, Value next) {
  auto* r = static_cast<Residue*>(heap.alloc(sizeof(Residue), ObjType::kResidue));
  r->next = next;
  r->sym = sym;
  r->value = value;
  heap.finish(r);
  return Value::object(r);
}

bool in_chain(Value chain, Value env) {
  for (Value e = chain; !e.is_undefined(); e = e.as<Env>()->parent) {
    if (e == env) return true;
  }
  return false;
}

class ResidueBuilder {
 public:
  // `scratch` is reused from call to call: a loop of tail calls builds one residue per step,
  // and a fresh vector each time made malloc and free a fifth of such a loop's time.
  ResidueBuilder(const Proto* callee, Value callee_env, std::vector<Entry>& scratch)
      : callee_(callee), callee_env_(callee_env), entries_(scratch) {
    entries_.clear();
  }

  void binding(Symbol* s, Value v) {
    if (proto_param_index(callee_, s) >= 0 || seen(s)) return;
    entries_.push_back(Entry{s, v});
  }
  // A binding known to be neither the callee's nor seen before.
  void new_binding(Symbol* s, Value v) { entries_.push_back(Entry{s, v}); }
  void env(Value e) {
    if (in_chain(callee_env_, e)) return;  // the callee looks there first anyway
    for (const Entry& x : entries_) {
      if (!x.sym && x.value == e) return;
    }
    if ((e.obj()->flags & envflag::kFrozen) && (shadowed_by_callees_closure(e) || fully_shadowed(e))) return;
    entries_.push_back(Entry{nullptr, e});
  }
  // The replaced frame's own residue, updated in place, when it holds the same names in the same
  // order (a loop of tail calls that binds with `=` each step): nothing but that frame refers to
  // it, and the frame is being replaced.
  bool reuse(Heap& heap, Value old) const {
    size_t i = 0;
    for (Value r = old; !r.is_undefined(); r = r.as<Residue>()->next, ++i) {
      auto* link = r.as<Residue>();
      if (i >= entries_.size() || link->sym != entries_[i].sym) return false;
      if (!link->sym && link->value != entries_[i].value) return false;
    }
    if (i != entries_.size()) return false;
    i = 0;
    for (Value r = old; !r.is_undefined(); r = r.as<Residue>()->next, ++i) {
      auto* link = r.as<Residue>();
      link->value = entries_[i].value;
      heap.write_barrier(link, link->value);
    }
    return true;
  }
  Value build(Heap& heap) const {
    Value list = Value::undefined();
    for (size_t i = entries_.size(); i-- > 0;) list = prepend_link(heap, entries_[i].sym, entries_[i].value, list);
    return list;
  }

 private:
  bool seen(const Symbol* s) const {
    for (const Entry& x : entries_) {
      if (x.sym == s) return true;
    }
    return false;
  }
  bool hidden(const Symbol* s) const { return proto_param_index(callee_, s) >= 0 || seen(s); }
  // Every name of a frozen env is bound earlier: nothing can ever be found in it.
  bool fully_shadowed(Value env) const {
    auto* e = env.as<Env>();
    const Proto* p = e->proto.as<Proto>();
    for (uint32_t i = 0; i < p->nparams; ++i) {
      if (!hidden(p->params[i])) return false;
    }
    for (Value b = e->extras; !b.is_undefined(); b = b.as<Binding>()->next) {
      if (!hidden(b.as<Binding>()->sym)) return false;
    }
    return true;
  }
  // A frozen env of the function whose frame the callee's closure holds first, whose `=` names
  // that frame binds too: the callee finds each of its names (the same parameters) there before
  // its residue, and names are only ever added to Envs, so nothing can ever be found in it. A
  // chain of continuations is made of these: each closes over a frame of the same function, and
  // without this the residue grew by one Env per call, rebuilt at each call (cubic time).
  bool shadowed_by_callees_closure(Value env) const {
    if (callee_env_.is_undefined()) return false;
    auto* e = env.as<Env>();
    auto* c = callee_env_.as<Env>();
    if (c->proto != e->proto) return false;
    for (Value b = e->extras; !b.is_undefined(); b = b.as<Binding>()->next) {
      bool found = false;
      for (Value x = c->extras; !x.is_undefined() && !found; x = x.as<Binding>()->next) {
        found = x.as<Binding>()->sym == b.as<Binding>()->sym;
      }
      if (!found) return false;
    }
    return true;
  }

  const Proto* callee_;
  Value callee_env_;
  std::vector<Entry>& entries_;
};

// A function tail-calling itself that binds the same names with `=` at every step (a loop with
// `=` counters) carries a residue of exactly those names, in the order of its frame's bindings:
// update the values in place, without building the entries first. Its parameters are the
// callee's and its closure chain is the callee's, so nothing else could enter the residue.
bool refresh_same_names(Heap& heap, Value extras, Value residue) {
  Value b = extras, r = residue;
  for (; !b.is_undefined() && !r.is_undefined(); b = b.as<Binding>()->next, r = r.as<Residue>()->next) {
    if (r.as<Residue>()->sym != b.as<Binding>()->sym) return false;
  }
  if (!b.is_undefined() || !r.is_undefined()) return false;
  for (b = extras, r = residue; !b.is_undefined(); b = b.as<Binding>()->next, r = r.as<Residue>()->next) {
    auto* link = r.as<Residue>();
    link->value = b.as<Binding>()->value;
    heap.write_barrier(link, link->value);
  }
  return true;
}

// The same for a frame whose `=` names live in its slots (Proto::nslots) and that has no env:
// the residue holds exactly the bound slots, in slot order.
bool refresh_same_slots(Heap& heap, const Proto* p, const Value* slots, Value residue) {
  Value r = residue;
  for (uint32_t i = p->nparams; i < p->nslots; ++i) {
    if (slots[i].is_undefined()) continue;
    if (r.is_undefined() || r.as<Residue>()->sym != p->params[i]) return false;
    r = r.as<Residue>()->next;
  }
  if (!r.is_undefined()) return false;
  r = residue;
  for (uint32_t i = p->nparams; i < p->nslots; ++i) {
    if (slots[i].is_undefined()) continue;
    auto* link = r.as<Residue>();
    link->value = slots[i];
    heap.write_barrier(link, link->value);
    r = link->next;
  }
  return true;
}

// The slots of `own` (at most 64) that a tail call to `callee` keeps when bound: those whose
// names the callee does not bind, each name once. Remembered for the caller's last callee, so
// that a loop of tail calls between a few functions computes it once per pair.
inline uint64_t kept_slots(const Proto* own, const Proto* callee) {
  ProtoExtra& x = *own->extra;
  if (x.tail_callee == callee->extra->id) return x.unshadowed_slots;
  uint64_t kept = 0;
  for (uint32_t i = 0; i < own->nslots; ++i) {
    const Symbol* s = own->params[i];
    if (proto_param_index(callee, s) < 0 && proto_slot_index(own, s) == int(i)) kept |= uint64_t(1) << i;
  }
  x.tail_callee = callee->extra->id;
  x.unshadowed_slots = kept;
  return kept;
}

// The shape of most tail calls, without the builder: the frame has no env (its `=` names are all
// in slots), its closure's chain is the callee's or empty (nothing there to keep), and its residue
// holds only names. What it leaves is then its bound kept slots, in slot order, in front of the
// links of its residue the callee does not hide (the builder's order). Done here when the hidden
// links are all in front, so that the rest is shared as it is: nothing but the replaced frame
// refers to its residue.
[[gnu::always_inline]] inline bool leaves_slots_and_residue(Heap& heap, const Proto* own, const Proto* callee, const Value* slots,
                              Value residue, Value* out) {
  uint64_t bound = 0;
  for (uint64_t kept = kept_slots(own, callee); kept; kept &= kept - 1) {
    int i = std::countr_zero(kept);
    if (!slots[i].is_undefined()) bound |= uint64_t(1) << i;
  }
  auto hidden = [&](const Symbol* s) {
    if (proto_param_index(callee, s) >= 0) return true;
    for (uint64_t b = bound; b; b &= b - 1) {
      if (own->params[std::countr_zero(b)] == s) return true;
    }
    return false;
  };
  Value shared = residue;
  bool in_front = true;
  for (Value r = residue; !r.is_undefined(); r = r.as<Residue>()->next) {
    const Symbol* s = r.as<Residue>()->sym;
    if (!s) return false;
    if (!hidden(s)) {
      in_front = false;
    } else if (in_front) {
      shared = r.as<Residue>()->next;
    } else {
      return false;
    }
  }
  Value list = shared;
  for (uint64_t b = bound; b; b &= ~(uint64_t(1) << (63 - std::countl_zero(b)))) {
    int i = 63 - std::countl_zero(b);
    list = prepend_link(heap, own->params[i], slots[i], list);
  }
  *out = list;
  return true;
}

// build_residue never runs inside itself (allocation does not collect): one buffer per thread.
thread_local std::vector<Entry> scratch_entries;

// Every other shape, in order: a self tail call refreshing its residue in place (its `=` names in
// an env, then in slots), the common shape, and the builder.
[[gnu::noinline]] Value residue_of_any_shape(Heap& heap, const Frame* f, const Value* slots, Value own_env,
                                             const Proto* callee, Value callee_env) {
  const Proto* own = f->proto.as<Proto>();
  if (own == callee && !f->env.is_undefined() && !f->residue.is_undefined() && own_env == callee_env &&
      refresh_same_names(heap, f->env.as<Env>()->extras, f->residue)) {
    return f->residue;
  }
  if (own == callee && f->env.is_undefined() && !f->residue.is_undefined() && own_env == callee_env &&
      refresh_same_slots(heap, own, slots, f->residue)) {
    return f->residue;
  }
  Value left;  // the common shape: build_residue tried it already for a call to another function
  if (own == callee && f->env.is_undefined() && (own_env.is_undefined() || own_env == callee_env) &&
      own->nslots <= 64 &&
      leaves_slots_and_residue(heap, own, callee, slots, f->residue, &left)) {
    return left;
  }
  ResidueBuilder b(callee, callee_env, scratch_entries);
  if (own->nslots <= 64) {
    for (uint64_t kept = kept_slots(own, callee); kept; kept &= kept - 1) {
      int i = std::countr_zero(kept);
      if (!slots[i].is_undefined()) b.new_binding(own->params[i], slots[i]);  // unbound `=` slots: none
    }
  } else {
    for (uint32_t i = 0; i < own->nslots; ++i) {
      if (!slots[i].is_undefined()) b.binding(own->params[i], slots[i]);
    }
  }
  if (!f->env.is_undefined()) {
    for (Value x = f->env.as<Env>()->extras; !x.is_undefined(); x = x.as<Binding>()->next) {
      b.binding(x.as<Binding>()->sym, x.as<Binding>()->value);
    }
  }
  for (Value e = own_env; !e.is_undefined(); e = e.as<Env>()->parent) {
    b.env(e);
  }
  for (Value r = f->residue; !r.is_undefined(); r = r.as<Residue>()->next) {
    auto* link = r.as<Residue>();
    if (link->sym) {
      b.binding(link->sym, link->value);
    } else {
      b.env(link->value);
    }
  }
  if (!f->residue.is_undefined() && b.reuse(heap, f->residue)) return f->residue;
  return b.build(heap);
}

}  // namespace

// A tail call between two different functions (a loop through several, a state machine) in the
// common shape is decided here, without the out-of-line paths: a third of orbit's residue cost
// was their entry and exit.
Value VM::build_residue(Frame* f, Proto* callee, Value callee_env) {
  const Proto* own = f->proto.as<Proto>();
  Value own_env = fib_.stack[f->base - 1].as<Closure>()->env;
  const Value* slots = &fib_.stack[f->base];
  Value left;
  if (own != callee && f->env.is_undefined() && (own_env.is_undefined() || own_env == callee_env) &&
      own->nslots <= 64 && leaves_slots_and_residue(heap_, own, callee, slots, f->residue, &left)) {
    return left;
  }
  return residue_of_any_shape(heap_, f, slots, own_env, callee, callee_env);
}

}  // namespace valk
