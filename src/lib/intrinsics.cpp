// intrinsics.cpp: native fast paths of prelude functions (see vm/intrinsic.h). Each gives
// exactly the result of the Valk definition in lib/prelude.valk, or declines (returns
// undefined) and lets that definition run: the definition stays the single source of truth.
#include "vm/intrinsic.h"

#include "lib/check.h"
#include "value/make.h"
#include "vm/vm.h"

namespace valk {

namespace {

constexpr uint64_t bits(std::initializer_list<WatchId> ids) {
  uint64_t m = 0;
  for (WatchId id : ids) m |= watch_bit(id);
  return m;
}

// What fst, snd and trd (eval (head ...)) and the recursion of select (unpack) rely on.
constexpr uint64_t kPickMask = bits({WatchId::Unpack, WatchId::Id, WatchId::Head, WatchId::Tail,
                                     WatchId::Eval, WatchId::Join, WatchId::List});
constexpr uint64_t kSelectMask = kPickMask | bits({WatchId::If, WatchId::Eq, WatchId::Nil, WatchId::Error,
                                                   WatchId::Fst, WatchId::Snd, WatchId::Select});
constexpr uint64_t kNthMask = kSelectMask | bits({WatchId::Le, WatchId::Otherwise, WatchId::Nth, WatchId::Sub});

Value pick(Value l, int64_t skip) { return pick_plain(l, skip); }

Value fst_fast(VM&, Args a) { return pick(a[0], 0); }
Value snd_fast(VM&, Args a) { return pick(a[0], 1); }
Value trd_fast(VM&, Args a) { return pick(a[0], 2); }

Value nth_fast(VM&, Args a) {
  if (!a[0].is_fixnum() || a[0].fixnum_value() < 1) return Value::undefined();
  return pick(a[1], a[0].fixnum_value() - 1);
}

Value not_fast(VM& vm, Args a) {
  if (!is_int(a[0])) return Value::undefined();
  return make_int(vm.heap(), int64_t(uint64_t(1) - uint64_t(int_value(a[0]))));
}

// ---- map, filter, foldl ------------------------------------------------------------------
//
// These run in a native frame that stands for the prelude function's own frame (its slots are
// the parameters f, l ...), so a callback that looks names up dynamically sees the same frame
// the Valk definition would give it. Each element's callback is a real call. After every call
// the intrinsic checks that nothing it relies on changed (a watched name, the frame's own
// bindings); if something did, it finishes exactly as the Valk definition would from that
// point: it looks the names up and calls what they mean now.

constexpr uint64_t kMapMask = kPickMask | bits({WatchId::If, WatchId::Eq, WatchId::Nil, WatchId::Fst,
                                                WatchId::Map});
constexpr uint64_t kFilterMask = kPickMask | bits({WatchId::If, WatchId::Eq, WatchId::Nil, WatchId::Fst,
                                                   WatchId::Filter});
constexpr uint64_t kFoldlMask = kPickMask | bits({WatchId::If, WatchId::Eq, WatchId::Nil, WatchId::Fst,
                                                  WatchId::Foldl});

// A cell of a Q-expression whose element evaluates to itself (so fst needs no evaluation).
// The fast paths check each cell as they reach it; at the first cell that is not plain they run
// the Valk definition from there on (at the start they decline; further on they call the
// function by name on the rest of the list, as the definition's recursive call would).
bool plain_cell(Value l) {
  return is_cons(l) && (l.obj()->flags & consflag::kQuoted) && self_evaluating(car(l));
}

// Appends x to the list kept in slots head/last of frame fi (cells may be old by now: barrier).
void append(VM& vm, uint32_t fi, uint32_t head, uint32_t last, Value x) {
  Value cell = make_cons(vm.heap(), x, Value::nil(), true);
  if (vm.slot(fi, head).is_undefined()) {
    vm.slot(fi, head) = cell;
  } else {
    Value prev = vm.slot(fi, last);
    prev.as<Cons>()->cdr = cell;
    vm.heap().write_barrier(prev.obj(), cell);
  }
  vm.slot(fi, last) = cell;
}

// The list in slots head/last followed by `rest` (a Q-expression), as join would build it.
Value finish_list(VM& vm, uint32_t fi, uint32_t head, uint32_t last, Value rest) {
  if (vm.slot(fi, head).is_undefined()) return rest;
  Value prev = vm.slot(fi, last);
  prev.as<Cons>()->cdr = rest;
  vm.heap().write_barrier(prev.obj(), rest);
  return vm.slot(fi, head);
}

// Pushes what `name` means seen from frame fi; false (with *error set) when unbound.
bool push_meaning(VM& vm, uint32_t fi, Symbol* s, Value* error) {
  Value v = vm.lookup(s, fi);
  if (v.is_undefined()) {
    *error = vm.error(vm.unbound_message(s));
    return false;
  }
  vm.push(v);
  return true;
}
bool push_meaning(VM& vm, uint32_t fi, WatchId name, Value* error) {
  return push_meaning(vm, fi, vm.watched_symbol(name), error);
}

Symbol* param(VM& vm, uint32_t fi, uint32_t i) { return vm.frame(fi).proto.as<Proto>()->params[i]; }

// Something the fast path relies on changed during the last callback.
bool disturbed(VM& vm, uint32_t fi, uint64_t mask, uint32_t l_slot, uint32_t saved_l_slot) {
  return (vm.broken_watches() & mask) || !vm.frame(fi).env.is_undefined() ||
         vm.slot(fi, l_slot) != vm.slot(fi, saved_l_slot);
}

// Pushes (NAME f l) with the meanings of the names seen from frame fi: the definition's own
// recursive call, made on the rest of the list the fast path has not taken.
bool push_self_call(VM& vm, uint32_t fi, Symbol* self, std::initializer_list<uint32_t> params, Value* err) {
  if (!vm.ensure_stack(8)) {
    *err = vm.error("out of memory: cannot grow the stack");
    return false;
  }
  if (!push_meaning(vm, fi, self, err)) return false;
  for (uint32_t i : params) {
    if (!push_meaning(vm, fi, param(vm, fi, i), err)) return false;
  }
  return true;
}

// Pushes (NAME f (tail l)) so far as to call tail: NAME and f are pushed, then tail and l.
NativeResult call_tail_of_l(VM& vm, uint32_t fi, Symbol* self, uint32_t l_param) {
  Value err;
  if (!vm.ensure_stack(8)) return NativeResult::error(vm.error("out of memory: cannot grow the stack"));
  if (!push_meaning(vm, fi, self, &err) || !push_meaning(vm, fi, param(vm, fi, 0), &err) ||
      !push_meaning(vm, fi, WatchId::Tail, &err) || !push_meaning(vm, fi, param(vm, fi, l_param), &err)) {
    return NativeResult::error(err);
  }
  return NativeResult::call(1);
}

Value join_error(VM& vm, uint32_t index, Value got) {
  return arg_error(vm, "join", index, "a Q-expression", got);
}

// map: slots 0 f, 1 l; 2 result head, 3 result last, 4 the l of the current element.
enum MapStep : uint16_t { kMapStart, kMapAfterF, kMapAfterTail, kMapAfterRest };

NativeResult map_native(VM& vm, uint32_t fi, Value resumed) {
  Frame& fr = vm.frame(fi);
  switch (fr.step) {
    case kMapStart:
      if (!plain_cell(vm.slot(fi, 1)) && !vm.slot(fi, 1).is_nil()) return NativeResult::decline();
      break;
    case kMapAfterF:
      append(vm, fi, 2, 3, resumed);
      if (disturbed(vm, fi, kMapMask, 1, 4)) {
        vm.frame(fi).step = kMapAfterTail;
        return call_tail_of_l(vm, fi, vm.watched_symbol(WatchId::Map), 1);
      }
      vm.slot(fi, 1) = cdr(vm.slot(fi, 1));
      break;
    case kMapAfterTail:
      vm.push(resumed);
      fr.step = kMapAfterRest;
      return NativeResult::call(2);
    case kMapAfterRest:
      if (!is_qexpr(resumed)) return NativeResult::error(join_error(vm, 1, resumed));
      return NativeResult::ret(finish_list(vm, fi, 2, 3, resumed));
  }
  Value l = vm.slot(fi, 1);
  if (l.is_nil()) return NativeResult::ret(finish_list(vm, fi, 2, 3, vm.watched_symbol(WatchId::Nil)->global));
  if (!plain_cell(l)) {  // (map f (tail l)) of the definition, on the rest
    Value err;
    if (!push_self_call(vm, fi, vm.watched_symbol(WatchId::Map), {0, 1}, &err)) return NativeResult::error(err);
    vm.frame(fi).step = kMapAfterRest;
    return NativeResult::call(2);
  }
  vm.slot(fi, 4) = l;
  vm.push(vm.slot(fi, 0));
  vm.push(car(l));
  vm.frame(fi).step = kMapAfterF;
  return NativeResult::call(1);
}

// filter: slots 0 f, 1 l; 2 result head, 3 result last, 4 the l of the current element,
// 5 the kept part of the current element (slow path).
enum FilterStep : uint16_t { kFilterStart, kFilterAfterF, kFilterAfterHead, kFilterAfterTail, kFilterAfterRest };

NativeResult filter_rest(VM& vm, uint32_t fi) {
  vm.frame(fi).step = kFilterAfterTail;
  return call_tail_of_l(vm, fi, vm.watched_symbol(WatchId::Filter), 1);
}

NativeResult filter_native(VM& vm, uint32_t fi, Value resumed) {
  Frame& fr = vm.frame(fi);
  switch (fr.step) {
    case kFilterStart:
      if (!plain_cell(vm.slot(fi, 1)) && !vm.slot(fi, 1).is_nil()) return NativeResult::decline();
      break;
    case kFilterAfterF: {
      if (!is_int(resumed)) {
        return NativeResult::error(vm.error(std::string("if: condition must be an Integer, got ") + type_name(resumed)));
      }
      bool keep = int_value(resumed) != 0;
      if (disturbed(vm, fi, kFilterMask, 1, 4)) {
        // The if already chose its branch; the branch is evaluated with today's names.
        Value err;
        if (!keep) {
          Symbol* nil_name = vm.watched_symbol(WatchId::Nil);
          Value nil = vm.lookup(nil_name, fi);
          if (nil.is_undefined()) return NativeResult::error(vm.error(vm.unbound_message(nil_name)));
          vm.slot(fi, 5) = nil;
          return filter_rest(vm, fi);
        }
        if (!vm.ensure_stack(4)) return NativeResult::error(vm.error("out of memory: cannot grow the stack"));
        if (!push_meaning(vm, fi, WatchId::Head, &err) || !push_meaning(vm, fi, param(vm, fi, 1), &err)) {
          return NativeResult::error(err);
        }
        fr.step = kFilterAfterHead;
        return NativeResult::call(1);
      }
      if (keep) append(vm, fi, 2, 3, car(vm.slot(fi, 1)));
      vm.slot(fi, 1) = cdr(vm.slot(fi, 1));
      break;
    }
    case kFilterAfterHead:
      vm.slot(fi, 5) = resumed;
      return filter_rest(vm, fi);
    case kFilterAfterTail:
      vm.push(resumed);
      fr.step = kFilterAfterRest;
      return NativeResult::call(2);
    case kFilterAfterRest: {
      Value kept = vm.slot(fi, 5);
      if (!is_qexpr(kept)) return NativeResult::error(join_error(vm, 0, kept));
      if (!is_qexpr(resumed)) return NativeResult::error(join_error(vm, 1, resumed));
      for (Value c = kept; is_cons(c); c = cdr(c)) append(vm, fi, 2, 3, car(c));
      return NativeResult::ret(finish_list(vm, fi, 2, 3, resumed));
    }
  }
  Value l = vm.slot(fi, 1);
  if (l.is_nil()) return NativeResult::ret(finish_list(vm, fi, 2, 3, vm.watched_symbol(WatchId::Nil)->global));
  if (!plain_cell(l)) {  // (filter f (tail l)) of the definition, on the rest
    Value err;
    if (!push_self_call(vm, fi, vm.watched_symbol(WatchId::Filter), {0, 1}, &err)) return NativeResult::error(err);
    vm.slot(fi, 5) = Value::nil();  // nothing of this element kept yet
    vm.frame(fi).step = kFilterAfterRest;
    return NativeResult::call(2);
  }
  vm.slot(fi, 4) = l;
  vm.push(vm.slot(fi, 0));
  vm.push(car(l));
  vm.frame(fi).step = kFilterAfterF;
  return NativeResult::call(1);
}

// foldl: slots 0 f, 1 z, 2 l; 3 the l of the current element, 4 the f called with it.
enum FoldStep : uint16_t { kFoldStart, kFoldAfterF, kFoldAfterTail };

NativeResult foldl_native(VM& vm, uint32_t fi, Value resumed) {
  Frame& fr = vm.frame(fi);
  switch (fr.step) {
    case kFoldStart:
      if (!plain_cell(vm.slot(fi, 2)) && !vm.slot(fi, 2).is_nil()) return NativeResult::decline();
      break;
    case kFoldAfterF:
      if (disturbed(vm, fi, kFoldlMask, 2, 3)) {
        // (foldl f (f z (fst l)) (tail l)): foldl and f were looked up before the call of f;
        // tail and l are looked up now.
        Value err;
        if (!vm.ensure_stack(8)) return NativeResult::error(vm.error("out of memory: cannot grow the stack"));
        vm.push(vm.frame_callee(fi));
        vm.push(vm.slot(fi, 4));
        vm.push(resumed);
        if (!push_meaning(vm, fi, WatchId::Tail, &err) || !push_meaning(vm, fi, param(vm, fi, 2), &err)) {
          return NativeResult::error(err);
        }
        fr.step = kFoldAfterTail;
        return NativeResult::call(1);
      }
      vm.slot(fi, 0) = vm.slot(fi, 4);  // the next call's own f: the value passed to it
      vm.slot(fi, 1) = resumed;
      vm.slot(fi, 2) = cdr(vm.slot(fi, 2));
      break;
    case kFoldAfterTail:
      vm.push(resumed);
      return NativeResult::tail_call(3);
  }
  Value l = vm.slot(fi, 2);
  if (l.is_nil()) return NativeResult::ret(vm.slot(fi, 1));
  if (!plain_cell(l)) {  // (foldl f z (tail l)) of the definition, on the rest
    Value err;
    if (!push_self_call(vm, fi, vm.watched_symbol(WatchId::Foldl), {0, 1, 2}, &err)) return NativeResult::error(err);
    return NativeResult::tail_call(3);
  }
  vm.slot(fi, 3) = l;
  vm.slot(fi, 4) = vm.slot(fi, 0);
  vm.push(vm.slot(fi, 0));
  vm.push(vm.slot(fi, 1));
  vm.push(car(l));
  vm.frame(fi).step = kFoldAfterF;
  return NativeResult::call(2);
}

const Intrinsic kIntrinsics[] = {
    {"fst", kPickMask, fst_fast, nullptr, 0},
    {"snd", kPickMask, snd_fast, nullptr, 0},
    {"trd", kPickMask, trd_fast, nullptr, 0},
    {"nth", kNthMask, nth_fast, nullptr, 0},
    {"not", bits({WatchId::Sub}), not_fast, nullptr, 0},
    {"map", kMapMask, nullptr, map_native, 3},
    {"filter", kFilterMask, nullptr, filter_native, 4},
    {"foldl", kFoldlMask, nullptr, foldl_native, 2},
};

}  // namespace

void attach_intrinsics(VM& vm) {
  for (const Intrinsic& in : kIntrinsics) {
    Value f = vm.sym(in.name)->global;
    if (!is_closure(f)) continue;
    Proto* p = f.as<Closure>()->proto.as<Proto>();
    p->intrinsic = &in;
    p->update_direct_nargs();
  }
}

}  // namespace valk
