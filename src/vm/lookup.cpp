// lookup.cpp: names at run time (LANGUAGE.md 5). A name is looked up in the frame's own
// bindings, then the frames its lambda closed over, then the frames replaced by its tail calls,
// then its caller's frame looked up the same way, and last the global frame. Also def, = and
// the capture of a frame by closures.
#include "compile/proto.h"
#include "value/make.h"
#include "vm/vm.h"

namespace valk {

namespace {

bool is_scope_frame(const Frame& f) {
  return f.kind == FrameKind::kLambda || (f.kind == FrameKind::kNative && (f.flags & frameflag::kScope));
}

// True when every `=` binding of a frame's env is one of its bound slots (a captured frame keeps
// them there too, lookup.cpp capture_env), so the frame binds no name outside its slots.
bool extras_in_slots(const Proto* p, const Value* slots, Value env) {
  if (env.is_undefined()) return true;
  for (Value b = env.as<Env>()->extras; !b.is_undefined(); b = b.as<Binding>()->next) {
    int i = proto_slot_index(p, b.as<Binding>()->sym);
    if (i < int(p->nparams) || slots[i].is_undefined()) return false;
  }
  return true;
}

}  // namespace

// True when frame `c` binds exactly the names lambda frame `f` binds: the same parameters, the
// same closed-over frames, the same `=` slots bound, and nothing else of its own (no `=` bindings
// outside its slots, no tail-call residue). A recursion whose every level binds a local with `=`
// is a run too; the values differ, the names do not, so a name neither frame binds is in neither.
bool VM::binds_same_names(const Frame& f, const Frame& c) const {
  if (c.kind != FrameKind::kLambda || c.proto != f.proto || !c.residue.is_undefined() ||
      fib_.stack[c.base - 1].as<Closure>()->env != fib_.stack[f.base - 1].as<Closure>()->env) {
    return false;
  }
  const Proto* p = f.proto.as<Proto>();
  const Value* fs = &fib_.stack[f.base];
  const Value* cs = &fib_.stack[c.base];
  for (uint32_t i = p->nparams; i < p->nslots; ++i) {
    if (fs[i].is_undefined() != cs[i].is_undefined()) return false;
  }
  return extras_in_slots(p, fs, f.env) && extras_in_slots(p, cs, c.env);
}

// A recursion leaves a run of caller frames that all bind the same names. Once a lookup has
// searched the top frame of a run, the rest of the run can be stepped over: without this a
// name that falls back to the globals would cost O(depth) at every level of a deep recursion.
uint32_t VM::run_base(uint32_t s) {
  if (fib_.frames[s].run_base) return fib_.frames[s].run_base;
  uint32_t base = s, stop = s;
  for (uint32_t t = s;; t = fib_.frames[t - 1].scope) {
    if (t != s && fib_.frames[t].run_base) {
      base = fib_.frames[t].run_base;
      stop = t;
      break;
    }
    if (!binds_same_names(fib_.frames[t], fib_.frames[fib_.frames[t - 1].scope])) {
      base = stop = t;
      break;
    }
  }
  for (uint32_t u = s; u != stop; u = fib_.frames[u - 1].scope) fib_.frames[u].run_base = base;
  fib_.frames[stop].run_base = base;
  return base;
}

void VM::forget_runs_above(uint32_t k) {
  for (uint32_t j = k + 1; j < fib_.nframes; ++j) {
    if (fib_.frames[j].run_base && fib_.frames[j].run_base <= k) fib_.frames[j].run_base = 0;
  }
}

Value VM::lookup_in_env(Value env, Symbol* sym, bool* found) {
  auto* e = env.as<Env>();
  int i = proto_param_index(e->proto.as<Proto>(), sym);
  if (i >= 0) {
    *found = true;
    return e->slots()[i];
  }
  return find_binding(e->extras, sym, found);
}

Value VM::lookup(Symbol* sym, uint32_t scope, uint16_t ns) {
  if (sym->scope_flags == 0) return global_in(sym, ns);  // no frame can bind it
  for (uint32_t s = scope;;) {
    const Frame& f = fib_.frames[s];
    if (f.kind == FrameKind::kEntry) break;
    bool found = false;
    if (is_scope_frame(f)) {
      const Proto* p = f.proto.as<Proto>();
      int i = f.kind == FrameKind::kLambda ? proto_slot_index(p, sym) : proto_param_index(p, sym);
      if (i >= 0) {
        Value v = fib_.stack[f.base + i];
        if (uint32_t(i) < p->nparams || !v.is_undefined()) return v;  // an unbound `=` slot: on
      }
      if (!f.env.is_undefined()) {
        Value v = find_binding(f.env.as<Env>()->extras, sym, &found);
        if (found) return v;
      }
      for (Value e = fib_.stack[f.base - 1].as<Closure>()->env; !e.is_undefined(); e = e.as<Env>()->parent) {
        Value v = lookup_in_env(e, sym, &found);
        if (found) return v;
      }
      for (Value r = f.residue; !r.is_undefined(); r = r.as<Residue>()->next) {
        auto* link = r.as<Residue>();
        if (link->sym == sym) return link->value;
        if (!link->sym) {
          Value v = lookup_in_env(link->value, sym, &found);
          if (found) return v;
        }
      }
      if (f.kind == FrameKind::kLambda) s = run_base(s);  // its callers in the run bind the same
    }
    s = fib_.frames[s - 1].scope;  // the caller's frame
  }
  return global_in(sym, ns);
}

void VM::define_global(Symbol* sym, Value value) {
  if (sym->watch >= 0 && !means_original(sym, value)) pin_forms_in_flight(sym);
  sym->global = value;
  if (Heap::is_young(value) && !(sym->flags & symflag::kYoungGlobal)) {
    sym->flags |= symflag::kYoungGlobal;  // minor collections scan only these globals
    young_globals_.push_back(sym);
  }
  // A lambda is named after the first name it is defined as (for error traces).
  if (is_closure(value)) {
    Proto* p = value.as<Closure>()->proto.as<Proto>();
    if (p->name.is_undefined()) p->name = Value::object(sym);
  }
  if (sym->watch >= 0) refresh_watch(sym);
}

Value VM::capture_env(uint32_t scope) {
  Frame& f = fib_.frames[scope];
  if (f.kind == FrameKind::kEntry) return Value::undefined();  // the global frame is not captured
  if (!f.env.is_undefined()) return f.env;
  touch_frame(scope);
  const Proto* p = f.proto.as<Proto>();
  uint32_t n = p->nparams;
  auto* e = static_cast<Env*>(heap_.alloc(sizeof(Env) + 8 * size_t(n), ObjType::kEnv));
  e->aux = n;
  e->proto = f.proto;
  e->parent = fib_.stack[f.base - 1].as<Closure>()->env;
  e->extras = Value::undefined();
  for (uint32_t i = 0; i < n; ++i) e->slots()[i] = fib_.stack[f.base + i];
  heap_.finish(e);
  f.env = Value::object(e);
  // Bound `=` slots join the env as bindings (an env holds only the parameters in its slots):
  // code that closed over the frame finds them there after the frame is gone. Held slots are
  // the residue's, which an env does not hold.
  if (f.kind == FrameKind::kLambda) {
    for (uint32_t i = n; i < p->nslots; ++i) {
      Value v = fib_.stack[f.base + i];
      bool held = f.held_slots & held_bit(i);
      if (!v.is_undefined() && !held) set_env_binding(e, p->params[i], v);
    }
  }
  return f.env;
}

// Binds sym in env `e`'s own bindings (not its parameter slots); true when it was not there.
bool VM::set_env_binding(Env* e, Symbol* sym, Value value) {
  for (Value b = e->extras; !b.is_undefined(); b = b.as<Binding>()->next) {
    auto* binding = b.as<Binding>();
    if (binding->sym == sym) {
      binding->value = value;
      heap_.write_barrier(binding, value);
      return false;
    }
  }
  Value env = Value::object(e);
  auto* binding = static_cast<Binding*>(heap_.alloc(sizeof(Binding), ObjType::kBinding));
  e = env.as<Env>();
  binding->sym = sym;
  binding->value = value;
  binding->next = e->extras;
  heap_.finish(binding);
  e->extras = Value::object(binding);
  heap_.write_barrier(e, e->extras);
  return true;
}

void VM::bind_in_scope(Symbol* sym, Value value, uint32_t scope) {
  Frame& f = fib_.frames[scope];
  if (f.kind == FrameKind::kEntry) {
    define_global(sym, value);
    return;
  }
  if (sym->watch >= 0) pin_forms_in_flight(sym);
  touch_frame(scope);
  int i = proto_param_index(f.proto.as<Proto>(), sym);
  if (i >= 0) {
    fib_.stack[f.base + i] = value;
    if (!f.env.is_undefined()) {
      auto* e = f.env.as<Env>();
      e->slots()[i] = value;
      heap_.write_barrier(e, value);
    }
    return;
  }
  if (f.kind == FrameKind::kLambda) {
    const Proto* p = f.proto.as<Proto>();
    int j = proto_slot_index(p, sym);
    if (j >= 0) {  // one of the frame's `=` slots (compile/compiler.cpp)
      bind_frame_slot(f, &fib_.stack[f.base], uint32_t(j), p->nparams, value);
      if (!f.env.is_undefined()) set_env_binding(f.env.as<Env>(), sym, value);
      return;
    }
  }
  Value env = capture_env(scope);
  if (set_env_binding(env.as<Env>(), sym, value)) {
    forget_runs_through(scope);
    note_scope_binding(sym, symflag::kEqBound);
  }
}

void VM::freeze_env(Value env) { env.obj()->flags |= envflag::kFrozen; }

}  // namespace valk
