// interp.cpp: the interpreter loop. One function, with small macros for fetch and dispatch
// (computed goto where the compiler has it, else a switch); everything slow is called out of it.
// Registers: pc (next instruction), sp (next free slot), bp (parameter slot 0 of the frame),
// K (constants of the running prototype), code0 (its first instruction), fr (the frame).
#include <cmath>
#include <cstring>
#include <functional>
#include <optional>

#include "compile/compiler.h"
#include "compile/opcodes.h"
#include "compile/proto.h"
#include "lib/arith.h"
#include "lib/check.h"
#include "value/equal.h"
#include "value/make.h"
#include "value/table.h"
#include "vm/intrinsic.h"
#include "vm/vm.h"

#if defined(__GNUC__) && !defined(VALK_SWITCH_DISPATCH)
#define VALK_COMPUTED_GOTO 1
#else
#define VALK_COMPUTED_GOTO 0
#endif

#define LIKELY(x) __builtin_expect(!!(x), 1)
#define UNLIKELY(x) __builtin_expect(!!(x), 0)

namespace valk {

namespace {
// The one text of a lambda called with more arguments than it has parameters left.
std::string too_many_arguments(uint32_t actual, uint32_t expected) {
  return "More arguments were given than required. Actual: " + std::to_string(actual) +
         ", Expected: " + std::to_string(expected);
}

// The one text of an if (or a select clause) whose condition is no integer.
std::string condition_error(Value c) { return std::string("if: condition must be an Integer, got ") + type_name(c); }

// How many operands an inlined operator takes off the stack (arith_generic hands them to the builtin).
constexpr uint32_t op_arity(uint32_t ins) {
  Op op = op_of(ins);
  return op_nary(op) ? operand(ins) : op == Op::NEG || op == Op::SQRT || op == Op::LEN ? 1 : op == Op::TSET ? 3 : 2;
}

// The fold an arithmetic instruction computes (ADD and ADDN: +, ...), or none (the others).
std::optional<Fold> fold_of(Op op) {
  switch (op) {
    case Op::ADD: case Op::ADDN: return Fold::kAdd;
    case Op::SUB: case Op::SUBN: return Fold::kSub;
    case Op::MUL: case Op::MULN: return Fold::kMul;
    case Op::DIV: case Op::DIVN: return Fold::kDiv;
    default: return std::nullopt;  // an opcode, not a value type: the others fold nothing
  }
}

// ---- the fast results of + - * and the comparisons: the builtins' values for the common
// operands, computed in the handler; undefined (or -1 for a comparison) sends the rest (a boxed
// number, an overflow, not a number) to the builtin, which computes it or raises.

// Two numbers as the doubles the builtins would compute with: two flonums, or a flonum and a
// fixnum within 2^53 (converted exactly, so a comparison with it stays exact).
constexpr int64_t kExactInDouble = int64_t(1) << 53;  // every integer up to it is a double
[[gnu::always_inline]] inline bool as_doubles(Value a, Value b, double* x, double* y) {
  auto one = [](Value v, double* d) {
    if (v.is_flonum()) {
      *d = v.flonum_value();
      return true;
    }
    if (v.is_fixnum() && v.fixnum_value() >= -kExactInDouble && v.fixnum_value() <= kExactInDouble) {
      *d = double(v.fixnum_value());
      return true;
    }
    return false;
  };
  return (a.is_flonum() || b.is_flonum()) && one(a, x) && one(b, y);
}

// Tagged fixnums (low bit 1) add and subtract as words, less or plus the one tag bit.
[[gnu::always_inline]] inline Value fast_add(Value a, Value b) {
  int64_t r;
  if (LIKELY(a.is_fixnum() && b.is_fixnum() &&
             !__builtin_add_overflow(int64_t(a.bits()), int64_t(b.bits()) - 1, &r))) {
    return Value::from_bits(uint64_t(r));
  }
  double x, y;
  return as_doubles(a, b, &x, &y) ? Value::flonum_or_undefined(x + y) : Value::undefined();
}
[[gnu::always_inline]] inline Value fast_sub(Value a, Value b) {
  int64_t r;
  if (LIKELY(a.is_fixnum() && b.is_fixnum() &&
             !__builtin_sub_overflow(int64_t(a.bits()), int64_t(b.bits()) - 1, &r))) {
    return Value::from_bits(uint64_t(r));
  }
  double x, y;
  return as_doubles(a, b, &x, &y) ? Value::flonum_or_undefined(x - y) : Value::undefined();
}
[[gnu::always_inline]] inline Value fast_mul(Value a, Value b) {
  int64_t r;
  if (LIKELY(a.is_fixnum() && b.is_fixnum() && !__builtin_mul_overflow(a.fixnum_value(), b.fixnum_value(), &r) &&
             Value::fits_fixnum(r))) {
    return Value::fixnum(r);
  }
  double x, y;
  return as_doubles(a, b, &x, &y) ? Value::flonum_or_undefined(x * y) : Value::undefined();
}
[[gnu::always_inline]] inline Value fast_div(Value a, Value b) {
  if (LIKELY(a.is_fixnum() && b.is_fixnum() && b.fixnum_value() != 0)) {
    int64_t r = a.fixnum_value() / b.fixnum_value();
    if (LIKELY(Value::fits_fixnum(r))) return Value::fixnum(r);
  }
  double x, y;  // Integer / Integer stays Integer division: as_doubles needs a flonum
  return as_doubles(a, b, &x, &y) ? Value::flonum_or_undefined(x / y) : Value::undefined();
}
// Floored, as the builtin (the result has the sign of the divisor); Integers only, and the
// remainder of two fixnums is one. Floats, and a divisor of 0, go to the builtin.
[[gnu::always_inline]] inline Value fast_mod(Value a, Value b) {
  if (LIKELY(a.is_fixnum() && b.is_fixnum() && b.fixnum_value() != 0)) {
    int64_t y = b.fixnum_value(), r = a.fixnum_value() % y;
    if (r != 0 && (r < 0) != (y < 0)) r += y;
    return Value::fixnum(r);
  }
  return Value::undefined();
}
// 1 or 0, or -1 when the builtin must decide. Tagged fixnums order as the integers they hold;
// no flonum is nan.
template <typename Cmp>
[[gnu::always_inline]] inline int fast_compare(Value a, Value b, Cmp cmp) {
  if (LIKELY(a.is_fixnum() && b.is_fixnum())) return cmp(int64_t(a.bits()), int64_t(b.bits())) ? 1 : 0;
  double x, y;
  return as_doubles(a, b, &x, &y) ? (cmp(x, y) ? 1 : 0) : -1;
}
// The comparisons as the value they push (1 or 0), or undefined for the builtin: the plain
// and the integer-operand instructions take them as they take fast_add (ARITH2, ARITH_K).
[[gnu::always_inline]] inline Value compare_value(int c) { return c >= 0 ? Value::fixnum(c) : Value::undefined(); }
[[gnu::always_inline]] inline Value fast_lt(Value a, Value b) { return compare_value(fast_compare(a, b, std::less<>())); }
[[gnu::always_inline]] inline Value fast_gt(Value a, Value b) { return compare_value(fast_compare(a, b, std::greater<>())); }
[[gnu::always_inline]] inline Value fast_le(Value a, Value b) { return compare_value(fast_compare(a, b, std::less_equal<>())); }
[[gnu::always_inline]] inline Value fast_ge(Value a, Value b) { return compare_value(fast_compare(a, b, std::greater_equal<>())); }
// ==, the same value or two fixnums without a call (EQ, NE, BREQ, BRNE, CASEJMP, CASEK).
[[gnu::always_inline]] inline bool fast_equal(Value a, Value b) {
  return a == b || (!(a.is_fixnum() && b.is_fixnum()) && values_equal(a, b));
}

// The comparisons of the top value with a small integer k (either written first). Each answers
// for a count n of k + 1 or more as it answers for k + 1, so LEN counts a list only that far
// when one of them follows: `(> (len l) 0)` in a recursion over l stays linear.
constexpr bool compares_with_k(Op op) {
  switch (op) {
    case Op::LT_K: case Op::GT_K: case Op::LE_K: case Op::GE_K: case Op::EQ_K: case Op::NE_K:
    case Op::BRLT_K: case Op::BRGT_K: case Op::BRLE_K: case Op::BRGE_K: case Op::BREQ_K: case Op::BRNE_K:
      return true;
    default: return false;  // an opcode, not a value type
  }
}

// Moves a call (callee and arguments) down the stack, word by word: a libc memmove of a few
// words writes them with wide stores that the loads of the next instructions cannot forward from.
// Calls of up to eight words are moved without a loop, every word loaded before the first store
// (to < from, and the two ranges may overlap).
template <uint32_t N>
[[gnu::always_inline]] inline void move_words(Value* to, const Value* from) {
  Value w[N];
  for (uint32_t i = 0; i < N; ++i) w[i] = from[i];
  for (uint32_t i = 0; i < N; ++i) to[i] = w[i];
}
[[gnu::always_inline]] inline void move_down(Value* to, const Value* from, uint32_t n) {
  switch (n) {
    case 1: return move_words<1>(to, from);
    case 2: return move_words<2>(to, from);
    case 3: return move_words<3>(to, from);
    case 4: return move_words<4>(to, from);
    case 5: return move_words<5>(to, from);
    case 6: return move_words<6>(to, from);
    case 7: return move_words<7>(to, from);
    case 8: return move_words<8>(to, from);
    default: for (uint32_t i = 0; i < n; ++i) to[i] = from[i];
  }
}

// A self tail call of a top-level function (no closure env, its frame not captured) holds the
// frame's bound `=` slots in place instead of moving them into a residue: with no closure env
// between a frame's slots and its residue, lookup finds them first either way, and a loop that
// binds the same names with `=` at every step (`(= {ins} ...)` in a `let`) pays nothing per
// call. They are held, not the new frame's own: Frame::held_slots marks them for capture_env,
// which leaves them out of the frame's env as it leaves out the residue (lookup.cpp).
inline bool holds_slots_through_self_tail_call(const Frame* fr, const Proto* own, const Proto* callee, const Value* bp,
                                              Value callee_env) {
  return own == callee && callee_env.is_undefined() && fr->env.is_undefined() &&
         bp[-1].as<Closure>()->env.is_undefined() && own->nslots <= kHeldSlotLimit;
}

// A tail call from `from` to `to` replaces the frame. When the user's code tail-calls into the
// prelude, the frame remembers the call (and a frame entering the prelude by a tail call from
// the prelude remembers the first prelude function it ran), so that an error raised there is
// still placed at the user's call and its trace names the function the user called.
inline void note_tail_site(Frame* fr, const Proto* from, const Proto* to, const uint32_t* pc) {
  if (LIKELY(!((from->pflags | to->pflags) & protoflag::kBuiltinCode))) return;  // user code only
  if (!(to->pflags & protoflag::kBuiltinCode)) {
    fr->flags &= uint8_t(~frameflag::kTailSite);
    return;
  }
  if ((from->pflags & protoflag::kBuiltinCode) && (fr->flags & frameflag::kTailSite)) return;
  fr->flags |= frameflag::kTailSite;
  fr->tail_proto = Value::object(const_cast<Proto*>(from));
  fr->tail_offset = uint32_t(pc - from->code);
}
// The flag of a builtin's frame entered by a call from `caller`: a tail call from a lambda frame,
// or from a frame that is its lambda frame's value, makes the builtin's value that lambda's.
inline uint8_t tail_call_of_caller(const Frame* caller, bool tail_call) {
  if (!tail_call) return 0;
  return caller->kind == FrameKind::kLambda ? frameflag::kTailOfCaller : caller->flags & frameflag::kTailOfCaller;
}
// Pushes the frame of a call above `caller` (one place sets a frame's fields; luaD_precall's role).
// `base` is the stack index of parameter slot 0, `scope` the frame whose bindings are current,
// `nargs` a native frame's argument count (a lambda frame starts with no held slots instead).
inline Frame* push_frame(Frame* caller, uint32_t& nframes, FrameKind kind, uint32_t base, uint32_t scope,
                         Value proto, uint32_t nargs) {
  Frame* nf = caller + 1;
  ++nframes;
  nf->kind = kind;
  nf->flags = 0;
  nf->base = base;
  nf->scope = kind == FrameKind::kLambda ? nframes - 1 : scope;
  if (kind == FrameKind::kLambda) {
    nf->held_slots = 0;
  } else {
    nf->nargs = nargs;
  }
  nf->step = 0;
  nf->proto = proto;
  nf->env = Value::undefined();
  nf->residue = Value::undefined();
  nf->run_base = 0;
  return nf;
}
// The innermost inlined try open where frame f stands, or null: a try costs nothing until an
// error unwinds to a frame whose saved pc is in its body (compile/proto.h proto_open_tries).
const TryRange* innermost_try(const Frame& f) {
  if ((f.kind != FrameKind::kLambda && f.kind != FrameKind::kChunk) || !f.pc) return nullptr;
  const Proto* p = f.proto.as<Proto>();
  const TryRange* found = nullptr;
  if (p->extra->tries.empty()) return found;
  proto_open_tries(p, uint32_t(f.pc - p->code), [&](const TryRange& t) {
    found = &t;
    return true;
  });
  return found;
}
}  // namespace

// The one room check of every call: a new frame (when `new_frame`) and `slots` stack slots above
// sp plus limits::kStackSlack. Returns undefined, or the error to raise (stack overflow, memory).
Value VM::make_room(uint32_t slots, bool new_frame) {
  if (new_frame && fib_.nframes >= fib_.call_cap) {
    if (fib_.nframes >= limits::kMaxCallDepth) {
      return error("stack overflow: more than " + std::to_string(limits::kMaxCallDepth) + " nested calls");
    }
    if (!grow_frames()) return error("out of memory: cannot grow the stack");
  }
  if (!grow_stack(size_t(fib_.sp) + slots + limits::kStackSlack)) return error("out of memory: cannot grow the stack");
  return Value::undefined();
}

Value VM::execute(uint32_t entry) {
#if VALK_COMPUTED_GOTO
  static const void* const kFast[kOpCount] = {
#define OP(name, format, watched, doc) &&L_##name,
#include "compile/opcodes.def"
#undef OP
  };
  static const void* const kSlow[kOpCount] = {
#define OP(name, format, watched, doc) &&S_##name,
#include "compile/opcodes.def"
#undef OP
  };
  if (!handlers_known_) {
    for (int i = 0; i < kOpCount; ++i) {
      fast_handlers_[i] = kFast[i];
      slow_handlers_[i] = kSlow[i];
    }
    handlers_known_ = true;
    update_dispatch();
  }
  const void* const* dispatch = dispatch_;
#define DISPATCH()                   \
  do {                               \
    ins = *pc++;                     \
    goto* dispatch[ins & 0xff];      \
  } while (0)
#define HANDLER(name) L_##name : S_##name:
#define WATCHED(name) L_##name:
#define SLOW(name) S_##name:
#else
#define DISPATCH() goto dispatch_top
#define HANDLER(name) case Op::name: L_##name : S_##name:
#define WATCHED(name)                              \
  case Op::name:                                   \
    if (op_slow_[int(Op::name)]) goto S_##name;    \
    L_##name:
#define SLOW(name) S_##name:
#endif

  Frame* fr;
  const uint32_t* pc = nullptr;
  const uint32_t* code0 = nullptr;
  const Value* K = nullptr;
  Value* bp;
  Value* sp;
  Value* stack_end;
  uint32_t ins = 0;
  uint32_t nargs = 0;      // operand of the call being made
  bool tail_call = false;  // call_generic: the call is in tail position
  Proto* callee = nullptr; // replace_caller: the lambda tail-called
  Value resumed;           // value handed to a native continuation
  Value err;               // error being raised
  Proto* proto = nullptr;
  const uint32_t* site_pc = nullptr;  // a watched instruction whose name was rebound (its site)

#define SAVE()                        \
  do {                                \
    fr->pc = pc;                      \
    fib_.sp = uint32_t(sp - fib_.stack);      \
  } while (0)
#define RELOAD_STACK()                         \
  do {                                         \
    sp = fib_.stack + fib_.sp;                         \
    bp = fib_.stack + fr->base;                    \
    stack_end = fib_.stack + fib_.stack_cap;           \
  } while (0)
#define ENTER_PROTO(p)      \
  do {                      \
    proto = (p);            \
    K = proto->consts;      \
    code0 = proto->code;    \
  } while (0)
// A frame entered with its arguments in place (and, after a self tail call that held them, its
// `=` slots): the slots from sp on start unbound, its try slots empty.
#define INIT_SLOTS(p)                                                                    \
  do {                                                                                   \
    for (Value* end_ = bp + (p)->nslots + (p)->ntry; sp < end_;) *sp++ = Value::undefined(); \
  } while (0)
#define TOP_FRAME() (fr = &fib_.frames[fib_.nframes - 1])
// Makes room for a new frame (new_frame) and `slots` more stack slots, or raises.
#define ROOM(slots, new_frame)                                                              \
  do {                                                                                      \
    if (UNLIKELY(((new_frame) && fib_.nframes >= fib_.call_cap) ||                          \
                 sp + (slots) + limits::kStackSlack > stack_end)) {                         \
      SAVE();                                                                               \
      err = make_room((slots), (new_frame));                                                \
      if (!err.is_undefined()) goto raise;                                                  \
      TOP_FRAME();                                                                          \
      RELOAD_STACK();                                                                       \
    }                                                                                       \
  } while (0)
#define RAISE(e)  \
  do {            \
    err = (e);    \
    goto raise;   \
  } while (0)
#define RAISE_MSG(msg) RAISE(error(msg))
// A tail call to lambda `p` (its arguments on top of the stack) replaces this frame, keeping what
// dynamic lookup could still see of it (residue.cpp) and where the user's code made the call
// (`site` at `site_pc`: this frame's code, or the chunk it ran by a tail eval).
// A self tail call that holds its slots (holds_slots_through_self_tail_call) leaves the frame's
// `=` slots and residue as they are; INIT_SLOTS then starts after the slots.
#define REPLACE_FRAME(p, callee_env, site, site_pc)                                                     \
  do {                                                                                      \
    Value callee_env_ = (callee_env);                                                       \
    if (holds_slots_through_self_tail_call(fr, proto, (p), bp, callee_env_)) {              \
      fr->held_slots = proto->held_mask;                                                    \
      /* the callee apart: move_down's unrolled cases then cover three arguments, not two  \
         (interp's 3-argument `run`: 1.38 G instructions against 1.44 G) */                \
      bp[-1] = sp[-int(nargs) - 1];                                                         \
      move_down(bp, sp - nargs, nargs);                                                     \
      sp = bp + proto->nslots;                                                              \
    } else {                                                                                \
      Value residue_ = Value::undefined();                                                  \
      bool plain_ = proto == (p) && fr->residue.is_undefined() && bp[-1].as<Closure>()->env == callee_env_ && \
                    (fr->env.is_undefined() || fr->env.as<Env>()->extras.is_undefined()) && \
                    proto_slots_unset(proto, bp);                                           \
      if (UNLIKELY(!plain_)) {                                                              \
        SAVE();                                                                             \
        residue_ = build_residue(fr, (p), callee_env_);                                    \
      }                                                                                     \
      if (UNLIKELY(!fr->env.is_undefined())) freeze_env(fr->env);                           \
      move_down(bp - 1, sp - nargs - 1, nargs + 1);                                         \
      sp = bp + nargs;                                                                      \
      fr->env = Value::undefined();                                                         \
      fr->residue = residue_;                                                               \
      fr->held_slots = 0;                                                                   \
    }                                                                                       \
    note_tail_site(fr, (site), (p), (site_pc));                                             \
    fr->proto = Value::object(p);                                                           \
    fr->run_base = 0;                                                                       \
  } while (0)
// Returns `result` from this frame to its caller.
#define RETURN_VALUE(result)                                                                           \
  do {                                                                                                 \
    Value result_ = (result);                                                                          \
    if (UNLIKELY(!fr->env.is_undefined())) freeze_env(fr->env);                                        \
    sp = bp - 1;                                                                                       \
    --fib_.nframes;                                                                                        \
    touch_frame(fib_.nframes - 1);                                                                         \
    --fr;                                                                                              \
    *sp++ = result_;                                                                                   \
    if (UNLIKELY(fr->kind == FrameKind::kNative || fr->kind == FrameKind::kEntry)) goto returned_special; \
    pc = fr->pc;                                                                                       \
    bp = fib_.stack + fr->base;                                                                            \
    ENTER_PROTO(fr->proto.as<Proto>());                                                                \
    DISPATCH();                                                                                        \
  } while (0)
// After a call produced its value on the stack without a frame: go on in the caller.
#define CONTINUE_CALLER()                                                            \
  do {                                                                               \
    if (LIKELY(fr->kind == FrameKind::kLambda || fr->kind == FrameKind::kChunk)) {   \
      pc = fr->pc;                                                                   \
      DISPATCH();                                                                    \
    }                                                                                \
    goto returned;                                                                   \
  } while (0)

  TOP_FRAME();
  RELOAD_STACK();
  if (UNLIKELY(!resume_raise_.is_undefined())) {  // a suspended fiber resumed with an error (cancel)
    err = resume_raise_;
    resume_raise_ = Value::undefined();
    goto raise;
  }
  if (fr->kind == FrameKind::kNative) {  // a suspended native (await) resumed with a value
    resumed = resume_value_;
    resume_value_ = Value::undefined();
    goto run_native;
  }
  ENTER_PROTO(fr->proto.as<Proto>());
  pc = fr->pc;
  DISPATCH();

#if !VALK_COMPUTED_GOTO
dispatch_top:
  ins = *pc++;
  switch (op_of(ins)) {
#endif

  HANDLER(CONST) {
    *sp++ = K[operand(ins)];
    DISPATCH();
  }
  HANDLER(INT) {
    *sp++ = Value::fixnum(signed_operand(ins));
    DISPATCH();
  }
  HANDLER(NIL) {
    *sp++ = Value::nil();
    DISPATCH();
  }
  HANDLER(EMPTY) {
    *sp++ = Value::empty_sexpr();
    DISPATCH();
  }
  HANDLER(LOCAL) {
    *sp++ = bp[operand(ins)];
    DISPATCH();
  }
  // The binding of s looked up by name from this frame (LANGUAGE.md 5), pushed; unbound raises.
#define PUSH_LOOKED_UP(s)                                   \
  {                                                         \
    SAVE();                                                 \
    Value found_ = lookup((s), fr->scope, proto->module);   \
    if (found_.is_undefined()) RAISE_MSG(unbound_message(s)); \
    *sp++ = found_;                                         \
    DISPATCH();                                             \
  }
  HANDLER(SLOT) {
    Value v = bp[operand(ins)];
    if (LIKELY(!v.is_undefined())) {
      *sp++ = v;
      DISPATCH();
    }
    // Not bound in this frame yet: the name as NAME would find it (a caller's, a global).
    PUSH_LOOKED_UP(proto->params[operand(ins)]);
  }
  HANDLER(UPVAL) {
    uint32_t a = operand(ins);
    Symbol* s = K[*pc++].as<Symbol>();
    Value env = enclosing_env(*fr, bp[-1].as<Closure>()->env, a >> 12, s);
    if (LIKELY(!env.is_undefined())) {
      *sp++ = env.as<Env>()->slots()[a & 0xfff];
      DISPATCH();
    }
    PUSH_LOOKED_UP(s);  // `=` bound the name in between
  }
  HANDLER(UPEQ) {
    Symbol* s = K[*pc++].as<Symbol>();
    Value env = enclosing_env(*fr, bp[-1].as<Closure>()->env, operand(ins), s);
    if (LIKELY(!env.is_undefined())) {
      bool found = false;
      Value v = find_binding(env.as<Env>()->extras, s, &found);
      if (LIKELY(found)) {
        *sp++ = v;
        DISPATCH();
      }
    }
    PUSH_LOOKED_UP(s);  // bound in between, or not bound there yet
  }
#undef PUSH_LOOKED_UP
  HANDLER(NAME) {
    Symbol* s = K[operand(ins)].as<Symbol>();
    if (LIKELY(s->scope_flags == 0)) {
      Value v = s->global;
      if (LIKELY(!v.is_undefined())) {
        *sp++ = v;
        DISPATCH();
      }
      SAVE();
      RAISE_MSG(unbound_message(s));
    }
    SAVE();
    Value v = lookup(s, fr->scope);
    if (v.is_undefined()) RAISE_MSG(unbound_message(s));
    *sp++ = v;
    DISPATCH();
  }
  HANDLER(MNAME) {
    // A module's code: the frames as NAME, then the module's globals before the global frame.
    Symbol* s = K[operand(ins)].as<Symbol>();
    SAVE();
    Value v = lookup(s, fr->scope, fr->proto.as<Proto>()->module);
    if (v.is_undefined()) RAISE_MSG(unbound_message(s));
    *sp++ = v;
    DISPATCH();
  }
  HANDLER(POP) {
    --sp;
    DISPATCH();
  }

  HANDLER(CALL) {
    nargs = operand(ins);
    Value f = sp[-int(nargs) - 1];
    if (LIKELY(is_closure(f))) {
      Proto* p = f.as<Closure>()->proto.as<Proto>();
      if (LIKELY(p->direct_nargs == nargs)) {
        fr->pc = pc;
        if (UNLIKELY(fib_.nframes >= fib_.call_cap || sp + p->max_stack > stack_end)) { tail_call = false; goto call_generic; }
        fr = push_frame(fr, fib_.nframes, FrameKind::kLambda, uint32_t(sp - fib_.stack) - nargs, 0,
                        Value::object(p), nargs);
        bp = sp - nargs;
        ENTER_PROTO(p);
        INIT_SLOTS(p);
        pc = code0;
        if (UNLIKELY(poll_.load(std::memory_order_relaxed))) goto safepoint;
        DISPATCH();
      }
    }
    fr->pc = pc;
    { tail_call = false; goto call_generic; }
  }

  HANDLER(TAILCALL) {
    nargs = operand(ins);
    Value f = sp[-int(nargs) - 1];
    if (LIKELY(is_closure(f) && fr->kind == FrameKind::kLambda)) {
      Proto* p = f.as<Closure>()->proto.as<Proto>();
      if (LIKELY(p->direct_nargs == nargs && bp + nargs + p->max_stack <= stack_end)) {
        REPLACE_FRAME(p, f.as<Closure>()->env, proto, pc);
        ENTER_PROTO(p);
        INIT_SLOTS(p);
        pc = code0;
        if (UNLIKELY(poll_.load(std::memory_order_relaxed))) goto safepoint;
        DISPATCH();
      }
    }
    fr->pc = pc;
    goto tail_generic;
  }

  HANDLER(CALL0) {
    fr->pc = pc;
    nargs = 0;
    if (callable_without_arguments(sp[-1])) { tail_call = false; goto call_generic; }
    DISPATCH();
  }
  HANDLER(TAILCALL0) {
    fr->pc = pc;
    nargs = 0;
    if (callable_without_arguments(sp[-1])) goto tail_generic;
    DISPATCH();
  }

  HANDLER(RET) { RETURN_VALUE(sp[-1]); }

  HANDLER(JMP) {
    pc = code0 + operand(ins);
    DISPATCH();
  }
  HANDLER(JMPFN) {
    if (is_function(sp[-1])) pc = code0 + operand(ins);
    DISPATCH();
  }

  WATCHED(IF) {
    Value c = *--sp;
    if (LIKELY(c.is_fixnum())) {
      if (c.fixnum_value() == 0) pc = code0 + operand(ins);
      DISPATCH();
    }
    if (is_obj(c, ObjType::kInt)) DISPATCH();  // a boxed integer is never 0
    SAVE();
    RAISE_MSG(condition_error(c));
  }
  SLOW(IF) {
    SAVE();
    const InlineSite* site = proto_site_at(proto, uint32_t(pc - 1 - code0));
    Value meaning = watched_meaning(site, fr);
    if (meaning.is_undefined()) RAISE_MSG(unbound_message(site->sym));
    if (means_original(site->sym, meaning)) goto L_IF;
    // if was rebound: call what it means now with the condition and both branches.
    Value cond = sp[-1];
    sp[-1] = meaning;
    *sp++ = cond;
    *sp++ = K[site->extra1];
    *sp++ = K[site->extra2];
    nargs = 3;
    pc = code0 + site->end_pc;
    fr->pc = pc;
    { tail_call = false; goto call_generic; }
  }

  WATCHED(CLOSURE) {
    SAVE();
    Value env = capture_env(fr->scope);
    *sp++ = make_closure(heap_, K[operand(ins)], env);
    DISPATCH();
  }
  SLOW(CLOSURE) {
    SAVE();
    const InlineSite* site = proto_site_at(proto, uint32_t(pc - 1 - code0));
    Value meaning = watched_meaning(site, fr);
    if (meaning.is_undefined()) RAISE_MSG(unbound_message(site->sym));
    if (means_original(site->sym, meaning)) goto L_CLOSURE;
    *sp++ = meaning;
    *sp++ = K[site->extra1];
    *sp++ = K[site->extra2];
    nargs = 2;
    { tail_call = false; goto call_generic; }
  }

  WATCHED(DO) {
    // (do a b c) inlined: a, b and c were evaluated in order; the value is c.
    uint32_t n = operand(ins);
    Value last = sp[-1];
    sp -= n - 1;
    sp[-1] = last;
    DISPATCH();
  }
  SLOW(DO) {
    // do, or a name its definition relies on, means something else now: call do with the
    // values, as the original did once it had evaluated them.
    SAVE();
    const InlineSite* site = proto_site_at(proto, uint32_t(pc - 1 - code0));
    Value meaning = watched_meaning(site, fr);
    if (meaning.is_undefined()) RAISE_MSG(unbound_message(site->sym));
    if (!(broken_ & kOpWatchMasks[int(Op::DO)]) && means_original(site->sym, meaning)) goto L_DO;
    nargs = operand(ins);
    std::memmove(sp - nargs + 1, sp - nargs, sizeof(Value) * nargs);
    sp[-int(nargs)] = meaning;
    ++sp;
    { tail_call = false; goto call_generic; }
  }
  WATCHED(DOTAILCALL) { goto L_TAILCALL; }
  SLOW(DOTAILCALL) { goto L_CALL; }
  WATCHED(DOTAILCALL0) { goto L_TAILCALL0; }
  SLOW(DOTAILCALL0) { goto L_CALL0; }
  // A tail exit inside the last form of an inlined do: while do is intact the frame returns the
  // value; once it changed, the value goes to the do's DO (operand), which calls what do means
  // with all the values, as the original did.
  WATCHED(DORET) { RETURN_VALUE(sp[-1]); }
  SLOW(DORET) {
    pc = code0 + operand(ins);
    DISPATCH();
  }

#define ARITH_SLOW(name, arity)                                                  \
  SLOW(name) {                                                                   \
    SAVE();                                                                      \
    const InlineSite* site = proto_site_at(proto, uint32_t(pc - 1 - code0));     \
    Value meaning = watched_meaning(site, fr);                                   \
    if (meaning.is_undefined()) RAISE_MSG(unbound_message(site->sym));           \
    if (means_original(site->sym, meaning)) goto L_##name;                       \
    std::memmove(sp - (arity) + 1, sp - (arity), sizeof(Value) * (arity));       \
    sp[-(arity)] = meaning;                                                      \
    ++sp;                                                                        \
    nargs = (arity);                                                             \
    tail_call = false;                                                           \
    goto call_generic;                                                           \
  }

  // + - * / % < > <= >= of two operands: fast_add ... fast_ge, else the builtin (or the fold).
#define ARITH2(name, fast)                 \
  WATCHED(name) {                          \
    Value r = fast(sp[-2], sp[-1]);        \
    if (LIKELY(!r.is_undefined())) {       \
      sp[-2] = r;                          \
      --sp;                                \
      DISPATCH();                          \
    }                                      \
    goto arith_generic;                    \
  }                                        \
  ARITH_SLOW(name, 2)

  ARITH2(ADD, fast_add)
  ARITH2(SUB, fast_sub)
  ARITH2(MUL, fast_mul)
  ARITH2(DIV, fast_div)
  ARITH2(MOD, fast_mod)
  WATCHED(NEG) {
    Value a = sp[-1];
    if (LIKELY(a.is_fixnum() && a.fixnum_value() != Value::kFixnumMin)) {
      sp[-1] = Value::fixnum(-a.fixnum_value());
      DISPATCH();
    }
    if (a.is_flonum()) {  // the negation of a flonum is one, but for +0.0 (-0.0 is boxed)
      Value r = Value::flonum_or_undefined(-a.flonum_value());
      if (LIKELY(!r.is_undefined())) {
        sp[-1] = r;
        DISPATCH();
      }
    }
    goto arith_generic;
  }
  ARITH_SLOW(NEG, 1)
  // (sqrt x): float code's usual case without the call; the builtin takes every other operand.
  WATCHED(SQRT) {
    if (LIKELY(sp[-1].is_flonum())) {
      Value r = Value::flonum_or_undefined(std::sqrt(sp[-1].flonum_value()));
      if (LIKELY(!r.is_undefined())) {
        sp[-1] = r;
        DISPATCH();
      }
    }
    goto arith_builtin;
  }
  ARITH_SLOW(SQRT, 1)
  // (len x) of a list or a String without the call. A list's length compared with a small
  // integer right after, (== (len l) 0) or (> (len l) 2), only decides that comparison: counting
  // stops past k + 1 (compares_with_k), so the usual test for an empty list does not walk the
  // list (the comparison's fast path only: a rebound == or > would see the count).
  WATCHED(LEN) {
    Value v = sp[-1];
    if (LIKELY(is_list(v))) {
      Op next = op_of(*pc);
      uint64_t limit = UINT64_MAX;
      if (compares_with_k(next) && !(broken_ & kOpWatchMasks[int(next)]) && small_k(*pc) >= 0) {
        limit = uint64_t(small_k(*pc)) + 1;
      }
      uint64_t n = 0;
      for (; is_cons(v) && n < limit; v = cdr(v)) ++n;
      sp[-1] = Value::fixnum(int64_t(n));
      DISPATCH();
    }
    if (is_string(v)) {
      sp[-1] = Value::fixnum(int64_t(v.as<String>()->length));
      DISPATCH();
    }
    goto arith_builtin;
  }
  ARITH_SLOW(LEN, 1)

  ARITH2(LT, fast_lt)
  ARITH2(GT, fast_gt)
  ARITH2(LE, fast_le)
  ARITH2(GE, fast_ge)

  // An operator with a small integer in the instruction (ADD_K ... NE_K, opcodes.def): the fast
  // path over the top value and k; else k goes on the stack where it was written and the plain
  // instruction's out-of-line path (fast: the fold or the builtin) or slow handler runs.
#define UNFOLD_K(plain)                       \
  do {                                        \
    Value k_ = Value::fixnum(small_k(ins));   \
    if (small_first(ins)) {                   \
      sp[0] = sp[-1];                         \
      sp[-1] = k_;                            \
    } else {                                  \
      sp[0] = k_;                             \
    }                                         \
    ++sp;                                     \
    ins = encode(Op::plain, 0);               \
  } while (0)
// A changed operator or if: k put back, the plain instruction's slow handler runs at this pc.
#define K_SLOW(name, plain) \
  SLOW(name) {              \
    UNFOLD_K(plain);        \
    goto S_##plain;         \
  }
#define ARITH_K(name, fast, plain) /* fast: fast_add ... fast_ge */ \
  WATCHED(name) {                                            \
    Value r = fast(sp[-1], Value::fixnum(small_k(ins)));     \
    if (LIKELY(!r.is_undefined())) {                         \
      sp[-1] = r;                                            \
      DISPATCH();                                            \
    }                                                        \
    UNFOLD_K(plain);                                         \
    goto arith_generic;                                      \
  }                                                          \
  K_SLOW(name, plain)

  ARITH_K(ADD_K, fast_add, ADD)
  ARITH_K(SUB_K, fast_sub, SUB)
  ARITH_K(MUL_K, fast_mul, MUL)
  ARITH_K(DIV_K, fast_div, DIV)
  ARITH_K(MOD_K, fast_mod, MOD)
  ARITH_K(LT_K, fast_lt, LT)
  ARITH_K(GT_K, fast_gt, GT)
  ARITH_K(LE_K, fast_le, LE)
  ARITH_K(GE_K, fast_ge, GE)
  // == and != answer for any operand (fast_equal): no builtin but when the name changed.
#define EQUAL_K(name, equal, plain)                                                              \
  WATCHED(name) {                                                                                \
    sp[-1] = Value::fixnum(fast_equal(sp[-1], Value::fixnum(small_k(ins))) == (equal) ? 1 : 0);  \
    DISPATCH();                                                                                  \
  }                                                                                              \
  K_SLOW(name, plain)
  EQUAL_K(EQ_K, true, EQ)
  EQUAL_K(NE_K, false, NE)
#undef EQUAL_K

  // (+ a b c ...) with n >= 3 operands (the operand): the builtin's own fold (lib/arith.h), in
  // place; an operand that is no number, or an Integer division by 0, goes to the builtin, which
  // raises its error.
#define ARITHN(name, fold)                                  \
  WATCHED(name) {                                           \
    uint32_t n = operand(ins);                              \
    Value r = sp[-int(n)].is_flonum() ? fold_flonums<fold>(sp - n, n) : Value::undefined(); \
    if (r.is_undefined()) r = fold_numbers<fold>(heap_, sp - n, n); \
    if (LIKELY(!r.is_undefined())) {                        \
      sp -= n - 1;                                          \
      sp[-1] = r;                                           \
      DISPATCH();                                           \
    }                                                       \
    goto arith_builtin;                                     \
  }                                                         \
  ARITH_SLOW(name, int(operand(ins))) /* signed: the slow path indexes sp[-arity] */

  ARITHN(ADDN, Fold::kAdd)
  ARITHN(SUBN, Fold::kSub)
  ARITHN(MULN, Fold::kMul)
  ARITHN(DIVN, Fold::kDiv)

#define EQUAL(name, equal)                                                   \
  WATCHED(name) {                                                            \
    sp[-2] = Value::fixnum(fast_equal(sp[-2], sp[-1]) == (equal) ? 1 : 0);   \
    --sp;                                                                    \
    DISPATCH();                                                              \
  }                                                                          \
  ARITH_SLOW(name, 2)
  EQUAL(EQ, true)
  EQUAL(NE, false)
#undef EQUAL

  // A comparison and the IF or JMPF after it (BRLT ... BRNE, BRLT_K ... BRNE_K, opcodes.def),
  // whose operand is the target: jump there when the comparison is false, else step over the
  // branch. Operands the fast path does not take go to the plain comparison's out-of-line path, a
  // changed operator or if to its slow handler (its site is at this pc; the _K ones put k back
  // first, as ARITH_K does); the branch then runs on its own.
#define BRANCH_ON(operands, holds)                     \
  do {                                                 \
    bool holds_ = (holds); /* may read the operands */ \
    sp -= (operands);                                  \
    pc = holds_ ? pc + 1 : code0 + operand(*pc);       \
    DISPATCH();                                        \
  } while (0)
#define PLAIN_SLOW(name, plain)     \
  SLOW(name) {                      \
    ins = encode(Op::plain, 0);     \
    goto S_##plain;                 \
  }
#define COMPARE_BRANCH(name, cmp, plain)                                           \
  WATCHED(name) {                                                                  \
    int c = fast_compare(sp[-2], sp[-1], [](auto x, auto y) { return x cmp y; });  \
    if (LIKELY(c >= 0)) BRANCH_ON(2, c);                                           \
    ins = encode(Op::plain, 0);                                                    \
    goto arith_generic;                                                            \
  }                                                                                \
  PLAIN_SLOW(name, plain)
#define EQUAL_BRANCH(name, equal, plain)                                           \
  WATCHED(name) {                                                                  \
    BRANCH_ON(2, fast_equal(sp[-2], sp[-1]) == (equal));                           \
  }                                                                                \
  PLAIN_SLOW(name, plain)

  COMPARE_BRANCH(BRLT, <, LT)
  COMPARE_BRANCH(BRGT, >, GT)
  COMPARE_BRANCH(BRLE, <=, LE)
  COMPARE_BRANCH(BRGE, >=, GE)
  EQUAL_BRANCH(BREQ, true, EQ)
  EQUAL_BRANCH(BRNE, false, NE)
#define COMPARE_K_BRANCH(name, cmp, plain)                                                         \
  WATCHED(name) {                                                                                  \
    int c = fast_compare(sp[-1], Value::fixnum(small_k(ins)), [](auto x, auto y) { return x cmp y; }); \
    if (LIKELY(c >= 0)) BRANCH_ON(1, c);                                                           \
    UNFOLD_K(plain);                                                                               \
    goto arith_generic;                                                                            \
  }                                                                                                \
  K_SLOW(name, plain)
  COMPARE_K_BRANCH(BRLT_K, <, LT)
  COMPARE_K_BRANCH(BRGT_K, >, GT)
  COMPARE_K_BRANCH(BRLE_K, <=, LE)
  COMPARE_K_BRANCH(BRGE_K, >=, GE)
#define EQUAL_K_BRANCH(name, equal, plain)                                           \
  WATCHED(name) {                                                                  \
    BRANCH_ON(1, fast_equal(sp[-1], Value::fixnum(small_k(ins))) == (equal));      \
  }                                                                                \
  K_SLOW(name, plain)
  EQUAL_K_BRANCH(BREQ_K, true, EQ)
  EQUAL_K_BRANCH(BRNE_K, false, NE)
#undef EQUAL_K_BRANCH
#undef COMPARE_K_BRANCH
#undef COMPARE_BRANCH
#undef EQUAL_BRANCH
#undef PLAIN_SLOW
#undef BRANCH_ON

  WATCHED(TAIL) {
    Value l = sp[-1];
    if (LIKELY(is_qcons(l))) {
      sp[-1] = cdr(l);
      DISPATCH();
    }
    // Not a non-empty Q-expression: the builtin raises its own error.
    sp[0] = l;
    sp[-1] = original(WatchId::Tail);
    ++sp;
    nargs = 1;
    fr->pc = pc;
    { tail_call = false; goto call_generic; }
  }
  ARITH_SLOW(TAIL, 1)

  // (= {names} values...) checked by the compiler: A values under the top, the names first.
  WATCHED(ASSIGN) {
    uint32_t n = operand(ins);
    SAVE();
    Value* args = sp - n;
    uint32_t i = 1;
    // In a lambda frame no closure has captured, a name with a slot is bound by one store.
    bool own_slots = fr->kind == FrameKind::kLambda && fr->env.is_undefined();
    for (Value c = args[0]; is_cons(c); c = cdr(c)) {
      Symbol* s = car(c).as<Symbol>();
      int j = own_slots && s->watch < 0 ? proto_slot_index(proto, s) : -1;
      if (LIKELY(j >= 0)) {
        bind_running_slot(*fr, bp, uint32_t(j), args[i++]);
        continue;
      }
      std::string refused = assign(s, args[i++], fr->scope);
      if (UNLIKELY(!refused.empty())) RAISE_MSG(refused);
    }
    sp = args;
    *sp++ = Value::empty_sexpr();
    DISPATCH();
  }
  SLOW(ASSIGN) {
    site_pc = pc - 1;
  assign_rebound:
    SAVE();
    const InlineSite* site = proto_site_at(proto, uint32_t(site_pc - code0));
    Value meaning = watched_meaning(site, fr);
    if (meaning.is_undefined()) RAISE_MSG(unbound_message(site->sym));
    if (means_original(site->sym, meaning)) goto L_ASSIGN;
    nargs = operand(ins);
    std::memmove(sp - nargs + 1, sp - nargs, sizeof(Value) * nargs);
    sp[-int(nargs)] = meaning;
    ++sp;
    { tail_call = false; goto call_generic; }
  }
  // (= {name} v) where the name is a slot of this lambda, v on the stack: in its own frame, no
  // closure having captured it, one store (the running frame is the top one: no run of frames
  // above reaches it, VM::bind_running_slot); anywhere else, ASSIGN 2 with the names (the extra
  // word's constant) put back under the value.
#define NAMES_UNDER_VALUE()  \
  do {                       \
    sp[0] = sp[-1];          \
    sp[-1] = K[*pc++];       \
    ++sp;                    \
    ins = encode(Op::ASSIGN, 2); \
  } while (0)
  WATCHED(ASSIGN_SLOT) {
    if (LIKELY(fr->kind == FrameKind::kLambda && fr->env.is_undefined())) {
      bind_running_slot(*fr, bp, operand(ins), sp[-1]);
      sp[-1] = Value::empty_sexpr();
      ++pc;
      DISPATCH();
    }
    NAMES_UNDER_VALUE();
    goto L_ASSIGN;
  }
  SLOW(ASSIGN_SLOT) {
    site_pc = pc - 1;
    NAMES_UNDER_VALUE();
    goto assign_rebound;
  }
#undef NAMES_UNDER_VALUE
  // Tables: a Table operand is read or written here; anything else (not a Table, a missing key)
  // goes to the builtin through arith_generic, which raises its own messages.
  WATCHED(TGET) {
    Value k = sp[-1], t = sp[-2];
    if (LIKELY(is_table(t))) {
      Value v = table_get(t, k);
      if (LIKELY(!v.is_undefined())) {
        sp[-2] = v;
        --sp;
        DISPATCH();
      }
    }
    goto arith_generic;
  }
  ARITH_SLOW(TGET, 2)
  WATCHED(TSET) {
    Value t = sp[-3];
    if (LIKELY(is_table(t))) {
      table_set(heap_, t, sp[-2], sp[-1]);
      sp -= 2;
      sp[-1] = Value::empty_sexpr();
      DISPATCH();
    }
    goto arith_generic;
  }
  ARITH_SLOW(TSET, 3)

  // ---- fused instructions (see opcodes.def): the slow handler, and the fast one when the fast
  // result is undefined (see fast_add), run the unfused stub instead. Operand b is the integer
  // (_LK) or the parameter slot (_LL) held in the instruction.
#define FUSED_SLOW(name)                 \
  SLOW(name) {                           \
    pc = code0 + fused_stub(*pc);        \
    DISPATCH();                          \
  }
#define FUSED_ARITH(name, fast, second)                                             \
  WATCHED(name) {                                                                   \
    uint32_t extra = *pc++;                                                         \
    Value r = fast(bp[fused_a(ins)], second);                                       \
    if (LIKELY(!r.is_undefined())) {                                                \
      *sp++ = r;                                                                    \
      DISPATCH();                                                                   \
    }                                                                               \
    pc = code0 + fused_stub(extra);                                                 \
    DISPATCH();                                                                     \
  }                                                                                 \
  FUSED_SLOW(name)
#define FUSED_K Value::fixnum(fused_b(ins))
#define FUSED_L bp[fused_b(ins)]

  FUSED_ARITH(ADD_LK, fast_add, FUSED_K)
  FUSED_ARITH(SUB_LK, fast_sub, FUSED_K)
  FUSED_ARITH(MUL_LK, fast_mul, FUSED_K)
  FUSED_ARITH(DIV_LK, fast_div, FUSED_K)
  FUSED_ARITH(MOD_LK, fast_mod, FUSED_K)
  FUSED_ARITH(ADD_LL, fast_add, FUSED_L)
  FUSED_ARITH(SUB_LL, fast_sub, FUSED_L)
  FUSED_ARITH(MUL_LL, fast_mul, FUSED_L)
  FUSED_ARITH(DIV_LL, fast_div, FUSED_L)
  FUSED_ARITH(MOD_LL, fast_mod, FUSED_L)

#define FUSED_IF(name, cmp, second)                                                 \
  WATCHED(name) {                                                                   \
    uint32_t extra = *pc++;                                                         \
    int c = fast_compare(bp[fused_a(ins)], second, [](auto x, auto y) { return x cmp y; }); \
    if (LIKELY(c >= 0)) {                                                           \
      if (!c) pc = code0 + fused_target(extra);                                     \
      DISPATCH();                                                                   \
    }                                                                               \
    pc = code0 + fused_stub(extra);                                                 \
    DISPATCH();                                                                     \
  }                                                                                 \
  FUSED_SLOW(name)

  FUSED_IF(IFLT_LK, <, FUSED_K)
  FUSED_IF(IFGT_LK, >, FUSED_K)
  FUSED_IF(IFLE_LK, <=, FUSED_K)
  FUSED_IF(IFGE_LK, >=, FUSED_K)
  FUSED_IF(IFEQ_LK, ==, FUSED_K)
  FUSED_IF(IFNE_LK, !=, FUSED_K)
  FUSED_IF(IFLT_LL, <, FUSED_L)
  FUSED_IF(IFGT_LL, >, FUSED_L)
  FUSED_IF(IFLE_LL, <=, FUSED_L)
  FUSED_IF(IFGE_LL, >=, FUSED_L)
  FUSED_IF(IFEQ_LL, ==, FUSED_L)
  FUSED_IF(IFNE_LL, !=, FUSED_L)

  // ---- the prelude's control flow compiled inline (compiler.cpp): guards, clause jumps, picks
#define GUARD(name)                      \
  WATCHED(name) {                        \
    ++pc;                                \
    DISPATCH();                          \
  }                                      \
  SLOW(name) {                           \
    pc = code0 + *pc;                    \
    DISPATCH();                          \
  }
  GUARD(SELECT)
  GUARD(CASE)
  GUARD(LET)

  // An inlined try (compiler.cpp inline_try): the handler is checked and put in its slot; nothing
  // else runs for the try unless an error unwinds into its body (raise, below, finds it by the
  // frame's pc).
  WATCHED(TRY) {
    Value handler = sp[-1];
    if (UNLIKELY(!is_function(handler))) {
      SAVE();
      RAISE(arg_error(*this, "try", 1, "a Function", handler));
    }
    bp[operand(ins)] = handler;
    --sp;
    DISPATCH();
  }
  WATCHED(TRYFN) {
    bp[operand(ins)] = Value::undefined();
    DISPATCH();
  }
  SLOW(TRYFN) {
    pc = code0 + proto_try_at(proto, uint32_t(pc - 1 - code0)).eager;
    DISPATCH();
  }
  SLOW(TRY) {
    SAVE();
    const InlineSite* site = proto_site_at(proto, uint32_t(pc - 1 - code0));
    Value meaning = watched_meaning(site, fr);
    if (meaning.is_undefined()) RAISE_MSG(unbound_message(site->sym));
    if (means_original(site->sym, meaning)) goto L_TRY;
    // try means something else here now: call that with the body and the handler.
    Value handler = sp[-1];
    sp[-1] = meaning;
    sp[0] = car(cdr(K[site->form]));
    sp[1] = handler;
    sp += 2;
    nargs = 2;
    pc = code0 + site->end_pc;
    fr->pc = pc;
    { tail_call = false; goto call_generic; }
  }
  HANDLER(JMPF) {
    Value c = *--sp;
    if (LIKELY(c.is_fixnum())) {
      if (c.fixnum_value() == 0) pc = code0 + operand(ins);
      DISPATCH();
    }
    if (is_obj(c, ObjType::kInt)) DISPATCH();
    SAVE();
    RAISE_MSG(condition_error(c));
  }
  HANDLER(CASEJMP) {
    Value k = *--sp, x = sp[-1];
    bool eq = fast_equal(x, k);
    if (!eq) pc = code0 + operand(ins);
    DISPATCH();
  }
  HANDLER(CASEK) {
    Value k = K[*pc++], x = sp[-1];
    if (fast_equal(x, k)) {
      --sp;
      DISPATCH();
    }
    pc = code0 + operand(ins);
    DISPATCH();
  }
  HANDLER(FAIL) {
    SAVE();
    RAISE_MSG(K[operand(ins)].as<String>()->view());
  }

  WATCHED(PICK) {
    Value r = pick_plain(sp[-1], operand(ins));
    if (LIKELY(!r.is_undefined())) {
      sp[-1] = r;
      DISPATCH();
    }
    // Not a plain element: the prelude's definition runs (it evaluates it, or raises), by a tail
    // call when the pick is in tail position (a RET follows), so a loop through it runs in place.
    sp[0] = sp[-1];
    sp[-1] = original(operand(ins) == 0 ? WatchId::Fst : operand(ins) == 1 ? WatchId::Snd : WatchId::Trd);
    ++sp;
    nargs = 1;
    fr->pc = pc;
    { tail_call = op_of(*pc) == Op::RET; goto call_generic; }
  }
  SLOW(PICK) {
    SAVE();
    const InlineSite* site = proto_site_at(proto, uint32_t(pc - 1 - code0));
    Value meaning = watched_meaning(site, fr);
    if (meaning.is_undefined()) RAISE_MSG(unbound_message(site->sym));
    uint64_t own = watch_bit(WatchId::Fst) | watch_bit(WatchId::Snd) | watch_bit(WatchId::Trd);
    if (!(broken_ & kOpWatchMasks[int(Op::PICK)] & ~own) && means_original(site->sym, meaning)) goto L_PICK;
    sp[0] = sp[-1];
    sp[-1] = meaning;
    ++sp;
    nargs = 1;
    { tail_call = false; goto call_generic; }
  }
  WATCHED(NTH) {
    Value n = sp[-2];
    if (LIKELY(n.is_fixnum() && n.fixnum_value() >= 1)) {
      Value r = pick_plain(sp[-1], n.fixnum_value() - 1);
      if (LIKELY(!r.is_undefined())) {
        sp[-2] = r;
        --sp;
        DISPATCH();
      }
    }
    sp[0] = sp[-1];
    sp[-1] = sp[-2];
    sp[-2] = original(WatchId::Nth);
    ++sp;
    nargs = 2;
    fr->pc = pc;
    { tail_call = op_of(*pc) == Op::RET; goto call_generic; }  // as PICK's
  }
  SLOW(NTH) {
    SAVE();
    const InlineSite* site = proto_site_at(proto, uint32_t(pc - 1 - code0));
    Value meaning = watched_meaning(site, fr);
    if (meaning.is_undefined()) RAISE_MSG(unbound_message(site->sym));
    if (!(broken_ & kOpWatchMasks[int(Op::NTH)] & ~watch_bit(WatchId::Nth)) && means_original(site->sym, meaning)) {
      goto L_NTH;
    }
    sp[0] = sp[-1];
    sp[-1] = sp[-2];
    sp[-2] = meaning;
    ++sp;
    nargs = 2;
    { tail_call = false; goto call_generic; }
  }

  HANDLER(RETL) { RETURN_VALUE(bp[operand(ins)]); }

#if !VALK_COMPUTED_GOTO
    case Op::kCount: break;
  }
#endif
  // Not reached: every handler dispatches.
  __builtin_unreachable();

  // ---- out-of-line paths ------------------------------------------------------------------

arith_generic : {
  // An inlined operator met operands its handler does not compute. + - * / are folded here as
  // their builtins fold them (fold_numbers: a boxed Float or Integer, an Integer with a Float, a
  // fixnum overflow), without the call; comparisons only between two Floats (an Integer against
  // a Float is compared exactly by the builtin). Everything else goes to the builtin.
  Op op = op_of(ins);
  if (std::optional<Fold> fold = fold_of(op)) {
    uint32_t arity = op_arity(ins);
    Value r = fold_numbers(*fold, heap_, sp - arity, arity);
    if (r.is_undefined()) goto arith_builtin;
    sp -= arity;
    *sp++ = r;
    DISPATCH();
  }
  if (op >= Op::LT && op <= Op::GE && is_float(sp[-2]) && is_float(sp[-1])) {
    double x = float_value(sp[-2]), y = float_value(sp[-1]);
    bool holds = op == Op::LT ? x < y : op == Op::GT ? x > y : op == Op::LE ? x <= y : x >= y;
    sp[-2] = Value::fixnum(holds ? 1 : 0);
    --sp;
    DISPATCH();
  }
  goto arith_builtin;
}

arith_builtin : {
  // The operator's builtin (wrong types, division by zero: its own messages).
  SAVE();
  uint32_t arity = op_arity(ins);
  Value r = apply_operator(op_of(ins), Args{sp - arity, arity});
  if (is_error(r)) RAISE(r);
  sp -= arity;
  *sp++ = r;
  DISPATCH();
}

tail_generic:
  // A tail call the fast path did not take: call_generic replaces the frame once it has the
  // lambda's arguments ready (a partial application expanded, the rest list made), or makes an
  // ordinary call whose value the RET after it returns (builtins, and calls from chunk frames,
  // which are kept so that an error still shows where the chunk was run).
  tail_call = true;
  goto call_generic;

call_generic : {
  // The general call: the callee is at sp[-nargs-1] and the caller's pc is saved in fr->pc.
  Value f = sp[-int(nargs) - 1];
  if (is_closure(f)) {
    Proto* p = f.as<Closure>()->proto.as<Proto>();
    const Intrinsic* in = p->intrinsic;
    bool run_native_intrinsic = false;
    if (in && !(broken_ & in->mask) && nargs == p->nparams) {
      if (in->simple) {
        SAVE();
        Value r = in->simple(*this, Args{sp - nargs, nargs});
        if (!r.is_undefined()) {
          if (is_error(r)) RAISE(r);
          sp -= nargs + 1;
          *sp++ = r;
          CONTINUE_CALLER();
        }
      } else {
        run_native_intrinsic = true;
      }
    }
    if (nargs < p->nrequired) {
      SAVE();
      Value partial = make_partial(f, Args{sp - nargs, nargs});
      sp -= nargs + 1;
      *sp++ = partial;
      CONTINUE_CALLER();
    }
    if (!(p->pflags & protoflag::kVariadic) && nargs > p->nparams) {
      SAVE();
      RAISE_MSG(too_many_arguments(nargs, p->nparams));
    }
    if (p->pflags & protoflag::kVariadic) {
      SAVE();
      Value rest = make_list(heap_, std::span<const Value>(sp - nargs + p->nrequired, nargs - p->nrequired), true);
      sp = sp - nargs + p->nrequired;
      *sp++ = rest;
      nargs = p->nparams;
    }
    if (tail_call && !run_native_intrinsic &&
        (fr->kind == FrameKind::kLambda || (fr->flags & frameflag::kTailOfCaller))) {
      callee = p;
      goto replace_caller;
    }
    uint32_t extra = run_native_intrinsic ? in->extra_slots : 0;
    uint8_t of_caller = tail_call_of_caller(fr, tail_call);
    ROOM(p->max_stack + extra, true);
    fr = push_frame(fr, fib_.nframes, FrameKind::kLambda, uint32_t(sp - fib_.stack) - nargs, 0,
                    sp[-int(nargs) - 1].as<Closure>()->proto, nargs);
    bp = sp - nargs;
    if (run_native_intrinsic) {
      fr->kind = FrameKind::kNative;
      fr->flags = frameflag::kScope | of_caller;
      fr->nargs = nargs;
      fr->native = in->native;
      for (uint32_t i = 0; i < extra; ++i) *sp++ = Value::undefined();
      resumed = Value::undefined();
      goto run_native;
    }
    ENTER_PROTO(p);
    INIT_SLOTS(p);
    pc = code0;
    if (UNLIKELY(poll_.load(std::memory_order_relaxed))) goto safepoint;
    DISPATCH();
  }
  if (is_partial(f)) {
    // Put the bound arguments before the new ones and call the function they were bound to.
    auto* part = f.as<Partial>();
    uint32_t bound = part->aux;
    if (is_closure(part->fn)) {
      // As the original: too many arguments are counted against the parameters left.
      const Proto* p = part->fn.as<Closure>()->proto.as<Proto>();
      if (!(p->pflags & protoflag::kVariadic) && bound + nargs > p->nparams) {
        SAVE();
        RAISE_MSG(too_many_arguments(nargs, p->nparams - bound));
      }
    } else if (bound == 1 && is_builtin_with(part->fn, builtinflag::kMultimethod)) {
      // A multimethod whose method is known without running its dispatch function: call the
      // method in its place, as sys/multi-call would; in tail position a tail call, so a loop
      // through a multimethod runs in constant space.
      SAVE();
      Value method = multi_fast_method(*this, part->args()[0], Args{sp - nargs, nargs});
      TOP_FRAME();
      RELOAD_STACK();
      if (!method.is_undefined()) {
        sp[-int(nargs) - 1] = method;
        goto call_generic;  // keeps tail_call
      }
    }
    ROOM(bound, false);
    part = sp[-int(nargs) - 1].as<Partial>();
    std::memmove(sp - nargs + bound, sp - nargs, sizeof(Value) * nargs);
    for (uint32_t i = 0; i < bound; ++i) sp[-int(nargs) + int(i)] = part->args()[i];
    sp[-int(nargs) - 1] = part->fn;
    sp += bound;
    nargs += bound;
    goto call_generic;  // keeps tail_call
  }
  if (is_builtin(f)) {
    const BuiltinInfo* info = f.as<Builtin>()->info;
    if ((info->flags & builtinflag::kDummyArg) && nargs == 1) {
      --sp;  // the original's dummy argument, as in (time-us {})
      nargs = 0;
    }
    if (int(nargs) < info->min_args) {
      SAVE();
      RAISE_MSG(std::string(info->name) + ": Fewer arguments were given than required. Actual: " +
                std::to_string(nargs) + ", Expected: " + std::to_string(info->min_args));
    }
    if (info->max_args >= 0 && int(nargs) > info->max_args) {
      SAVE();
      RAISE_MSG(std::string(info->name) + ": More arguments were given than required. Actual: " +
                std::to_string(nargs) + ", Expected: " + std::to_string(info->max_args));
    }
    if (info->fn) {
      SAVE();
      Value r;
      try {
        r = info->fn(*this, Args{sp - nargs, nargs});
      } catch (const std::bad_alloc&) {  // a std::string the machine refused: an error, not an abort
        r = error(std::string(info->name) + ": out of memory");
      }
      if (is_error(r)) RAISE(r);
      TOP_FRAME();
      RELOAD_STACK();
      sp -= nargs + 1;
      *sp++ = r;
      // A builtin that built a large value (str/codepoints, json/decode) collects here, so that
      // passing the heap limit is raised at its call, not at whatever allocates next.
      if (UNLIKELY(poll_.load(std::memory_order_relaxed)) &&
          (fr->kind == FrameKind::kLambda || fr->kind == FrameKind::kChunk)) {
        pc = fr->pc;
        goto safepoint;
      }
      CONTINUE_CALLER();
    }
    // A native builtin runs as a continuation in a frame of its own.
    uint8_t of_caller = tail_call_of_caller(fr, tail_call);
    ROOM(info->extra_slots + limits::kStackSlack, true);
    fr = push_frame(fr, fib_.nframes, FrameKind::kNative, uint32_t(sp - fib_.stack) - nargs, fr->scope,
                    Value::undefined(), nargs);
    fr->flags = ((info->flags & builtinflag::kCatch) ? frameflag::kCatchErrors : 0) | of_caller;
    fr->native = info->native;
    bp = sp - nargs;
    for (uint32_t i = 0; i < info->extra_slots; ++i) *sp++ = Value::undefined();
    resumed = Value::undefined();
    goto run_native;
  }
  // Not a function: the value of an S-expression is its last element (LANGUAGE.md 4.2).
  if (nargs > 0) {
    Value last = sp[-1];
    sp -= nargs + 1;
    *sp++ = last;
  }
  CONTINUE_CALLER();
}

run_native : {
  // fr is a native frame: run its continuation with `resumed`.
  SAVE();
  uint32_t index = fib_.nframes - 1;
  NativeResult r = fr->native(*this, index, resumed);
  TOP_FRAME();
  RELOAD_STACK();
  switch (r.action) {
    case NativeAction::kReturn:
      sp = bp - 1;
      --fib_.nframes;
      touch_frame(fib_.nframes - 1);
      --fr;
      *sp++ = r.value;
      goto returned;
    case NativeAction::kCall:
      nargs = r.nargs;
      fr->pc = nullptr;
      { tail_call = false; goto call_generic; }
    case NativeAction::kTailCall: {
      nargs = r.nargs;
      tail_call = fr->flags & frameflag::kTailOfCaller;
      move_down(bp - 1, sp - nargs - 1, nargs + 1);
      sp = bp + nargs;
      --fib_.nframes;
      touch_frame(fib_.nframes - 1);
      --fr;
      pc = fr->pc;
      if (fr->kind != FrameKind::kNative && fr->kind != FrameKind::kEntry) {
        bp = fib_.stack + fr->base;
        ENTER_PROTO(fr->proto.as<Proto>());
      } else {
        bp = fib_.stack + fr->base;
      }
      goto call_generic;  // keeps tail_call
    }
    case NativeAction::kEval:
      resumed = r.value;
      fr->pc = nullptr;
      goto push_chunk;
    case NativeAction::kTailEval: {
      // The chunk takes the native frame's place: its value is the builtin's value. An eval in
      // tail position of a chunk run so takes that chunk's place (both are the lambda's value).
      Proto* p = r.value.as<Proto>();
      uint8_t of_caller = fr->flags & frameflag::kTailOfCaller;
      if (of_caller && fr[-1].kind == FrameKind::kChunk && (fr[-1].flags & frameflag::kTailOfCaller)) {
        --fib_.nframes;
        touch_frame(fib_.nframes - 1);
        --fr;
        bp = fib_.stack + fr->base;
      }
      bp[-1] = r.value;
      sp = bp;
      ROOM(p->max_stack, false);
      fr->kind = FrameKind::kChunk;
      fr->flags = of_caller;
      fr->scope = fib_.frames[fib_.nframes - 2].scope;
      fr->proto = r.value;
      INIT_SLOTS(p);
      ENTER_PROTO(p);
      pc = code0;
      if (UNLIKELY(poll_.load(std::memory_order_relaxed))) goto safepoint;
      DISPATCH();
    }
    case NativeAction::kDecline: {
      // An intrinsic declined: run the prelude function's own Valk body in this frame, or, when
      // it was tail-called, in place of its caller's frame as that tail call would have.
      Proto* p = fr->proto.as<Proto>();
      if (fr->flags & frameflag::kTailOfCaller) {
        nargs = p->nparams;
        sp = bp + nargs;
        --fib_.nframes;
        touch_frame(fib_.nframes - 1);
        --fr;
        bp = fib_.stack + fr->base;
        pc = fr->pc;
        ENTER_PROTO(fr->proto.as<Proto>());
        callee = p;
        goto replace_caller;
      }
      fr->kind = FrameKind::kLambda;
      fr->flags = 0;
      fr->held_slots = 0;
      sp = bp + p->nparams;
      ENTER_PROTO(p);
      INIT_SLOTS(p);
      pc = code0;
      DISPATCH();
    }
    case NativeAction::kError:
      fr->flags &= uint8_t(~frameflag::kCatchErrors);  // its own error is not for it to catch
      RAISE(r.value);
    case NativeAction::kSuspend:
      // The fiber stops here; the loop resumes this frame later (vm/fiber.cpp). Only a fiber's
      // own run can be suspended: a run entered from C++ (VM::call) would have to return first.
      if (entry != suspend_entry_) {
        fr->flags &= uint8_t(~frameflag::kCatchErrors);
        RAISE_MSG(std::string(frame_name(*fr)) + ": cannot suspend inside a call from C++ (VM::call)");
      }
      SAVE();
      suspended_ = true;
      return Value::undefined();
  }
  __builtin_unreachable();
}

replace_caller : {
  // A tail call of lambda `callee` (its arguments on top of the stack) from frame fr: a lambda
  // frame, which the call replaces, or a frame that is one's value (kTailOfCaller: the chunk of
  // an eval in its tail position), dropped first so that the call replaces that lambda's frame
  // (LANGUAGE.md 5: a loop through eval, unpack or try's handler runs in constant space).
  Proto* p = callee;
  const Proto* site = proto;  // where the call was made, for errors raised in the prelude
  const uint32_t* site_pc = pc;
  if (UNLIKELY(fr->flags & frameflag::kTailOfCaller)) {
    while (fr->flags & frameflag::kTailOfCaller) --fr;  // down to that lambda's frame
    fib_.nframes = uint32_t(fr - fib_.frames) + 1;
    touch_frame(fib_.nframes - 1);
    bp = fib_.stack + fr->base;
    pc = fr->pc;
    ENTER_PROTO(fr->proto.as<Proto>());
  }
  REPLACE_FRAME(p, sp[-int(nargs) - 1].as<Closure>()->env, site, site_pc);
  ROOM(p->max_stack, false);
  ENTER_PROTO(p);
  INIT_SLOTS(p);
  pc = code0;
  if (UNLIKELY(poll_.load(std::memory_order_relaxed))) goto safepoint;
  DISPATCH();
}

push_chunk : {
  // Run the chunk `resumed` (a Proto) in a frame above fr, in fr's scope; fr->pc is where fr
  // continues afterwards (null for natives, which are resumed with the value instead).
  ROOM(resumed.as<Proto>()->max_stack + 1, true);
  Proto* p = resumed.as<Proto>();
  *sp++ = resumed;
  fr = push_frame(fr, fib_.nframes, FrameKind::kChunk, uint32_t(sp - fib_.stack), fr->scope, resumed, 0);
  bp = sp;
  INIT_SLOTS(p);
  ENTER_PROTO(p);
  pc = code0;
  if (UNLIKELY(poll_.load(std::memory_order_relaxed))) goto safepoint;
  DISPATCH();
}

returned_special:
  // RET came back to a native frame or to the entry of this run. The value is on the stack.
returned:
  if (fr->kind == FrameKind::kNative) {
    resumed = *--sp;
    goto run_native;
  }
  if (fr->kind == FrameKind::kEntry) {
    Value result = sp[-1];
    fib_.sp = uint32_t(sp - fib_.stack) - 1;
    return result;
  }
  pc = fr->pc;
  bp = fib_.stack + fr->base;
  ENTER_PROTO(fr->proto.as<Proto>());
  DISPATCH();

safepoint : {
  // At a call: every live value is in the stack or the frames. Collect, or stop on Ctrl-C.
  SAVE();
  Value problem = at_safepoint();
  if (!problem.is_undefined()) RAISE(problem);
  TOP_FRAME();
  RELOAD_STACK();
  DISPATCH();
}

raise : {
  // Unwind to the nearest frame that catches errors (resuming it with the error) or to the
  // entry of this run (returning the error).
  err = raise_at(err);
  bool catchable = !(err.obj()->flags & errflag::kUncatchable);
  for (;;) {
    Frame& top = fib_.frames[fib_.nframes - 1];
    if (fib_.nframes - 1 == entry) {
      drop_pins_above(entry);
      fib_.sp = top.base;
      return err;
    }
    if (const TryRange* t = catchable ? innermost_try(top) : nullptr) {
      // An inlined try open where this frame stands: its handler code runs here with the error.
      drop_pins_above(fib_.nframes - 1);
      Proto* p = top.proto.as<Proto>();
      fib_.sp = top.base + p->nslots + p->ntry + t->height;
      TOP_FRAME();
      RELOAD_STACK();
      Value handler = bp[t->slot];
      if (handler.is_undefined()) handler = make_closure(heap_, p->consts[t->lambda], capture_env(fr->scope));
      *sp++ = handler;
      *sp++ = err;
      ENTER_PROTO(p);
      pc = code0 + t->handler;
      DISPATCH();
    }
    if (catchable && top.kind == FrameKind::kNative && (top.flags & frameflag::kCatchErrors)) {
      drop_pins_above(fib_.nframes - 1);
      const BuiltinInfo* info = fib_.stack[top.base - 1].as<Builtin>()->info;
      fib_.sp = top.base + top.nargs + info->extra_slots;
      TOP_FRAME();
      RELOAD_STACK();
      resumed = err;
      goto run_native;
    }
    if (!top.env.is_undefined()) freeze_env(top.env);
    --fib_.nframes;
    touch_frame(fib_.nframes - 1);
  }
}

#undef DISPATCH
#undef HANDLER
#undef WATCHED
#undef SLOW
#undef SAVE
#undef RELOAD_STACK
#undef ENTER_PROTO
#undef INIT_SLOTS
#undef TOP_FRAME
#undef RAISE
#undef RAISE_MSG
#undef CONTINUE_CALLER
#undef ARITH_SLOW
#undef ARITH2
#undef ARITHN
#undef UNFOLD_K
#undef ARITH_K
#undef K_SLOW
#undef FUSED_SLOW
#undef FUSED_ARITH
#undef FUSED_IF
#undef FUSED_K
#undef FUSED_L
#undef GUARD
#undef REPLACE_FRAME
#undef RETURN_VALUE
#undef ROOM
}

}  // namespace valk
