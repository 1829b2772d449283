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

// What (unpack id (head ...)) relies on: fst, snd and trd evaluate the element they pick.
constexpr uint64_t kPickMask = bits({WatchId::Unpack, WatchId::Id, WatchId::Head, WatchId::Tail,
                                     WatchId::Eval, WatchId::Join, WatchId::List});
constexpr uint64_t kSelectMask = kPickMask | bits({WatchId::If, WatchId::Eq, WatchId::Nil, WatchId::Error,
                                                   WatchId::Fst, WatchId::Snd, WatchId::Select});
constexpr uint64_t kNthMask = kSelectMask | bits({WatchId::Le, WatchId::Otherwise, WatchId::Nth, WatchId::Sub});

// The element `skip` cells into l when l is a Q-expression that long and the element evaluates
// to itself; else undefined (the Valk definition then raises or evaluates it).
Value pick(Value l, int64_t skip) {
  for (int64_t i = 0; i < skip; ++i) {
    if (!is_qcons(l)) return Value::undefined();
    l = cdr(l);
  }
  if (!is_qcons(l)) return Value::undefined();
  Value e = car(l);
  return self_evaluating(e) ? e : Value::undefined();
}

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

const Intrinsic kIntrinsics[] = {
    {"fst", kPickMask, fst_fast, nullptr, 0},
    {"snd", kPickMask, snd_fast, nullptr, 0},
    {"trd", kPickMask, trd_fast, nullptr, 0},
    {"nth", kNthMask, nth_fast, nullptr, 0},
    {"not", bits({WatchId::Sub}), not_fast, nullptr, 0},
};

}  // namespace

void attach_intrinsics(VM& vm) {
  for (const Intrinsic& in : kIntrinsics) {
    Value f = vm.sym(in.name)->global;
    if (is_closure(f)) f.as<Closure>()->proto.as<Proto>()->intrinsic = &in;
  }
}

}  // namespace valk
