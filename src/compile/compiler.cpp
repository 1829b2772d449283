// compiler.cpp: the compiler. One pass over the form, emitting stack-machine code; names are
// resolved to parameter slots, slots of enclosing lambdas, or lookups by name; builtins and the
// prelude's do are inlined while their names keep their original meaning (see vm/watched.def).
#include "compile/compiler.h"

#include <algorithm>
#include <string>
#include <vector>

#include "compile/opcodes.h"
#include "compile/proto.h"
#include "config/limits.h"
#include "lib/check.h"
#include "value/equal.h"
#include "value/make.h"
#include "vm/vm.h"

namespace valk {

namespace {

// Names a compiled lambda knows statically. A chunk (eval, if, load, top level) knows none:
// its frame is whatever frame runs it.
struct Scope {
  const Scope* parent;
  const std::vector<Symbol*>* params;    // null: opaque, resolve by name from here on
  const std::vector<Symbol*>* eq_slots;  // the names its body binds with a literal `=`
};

// How far sequence bodies may be duplicated for tail calls (see compile_sequence_call).
constexpr int kMaxSequenceDuplication = 2;

// Fused instructions address jump targets and stubs with 16 bits: fuse only while the code is
// small enough that everything, stubs included, stays below 2^16 words.
constexpr uint32_t kMaxFusedPc = 16384;
constexpr size_t kMaxStubs = 4096;

// An operand a fused instruction can take: a slot of this frame (a parameter, or a literal `=`
// name, read as SLOT reads it), or a small integer.
struct Operand {
  bool ok = false;
  bool local = false;    // a slot
  bool eq_slot = false;  // a `=` slot: unbound, the fused instruction's fast path fails (the
                         // value is undefined) and the stub's SLOT looks the name up
  int32_t value = 0;     // slot or integer
  SrcPos pos;            // where it is written (an unbound name's error)
};

// The unfused code a fused instruction stands for, emitted at the end of the prototype.
struct Stub {
  uint32_t fused_pc;   // the fused instruction
  Op op;               // the operator it inlines (ADD, SUB, LT, ...)
  Symbol* op_sym;
  Value form;          // the operator's form, as written
  SrcPos pos;
  Operand first, second;  // in the order written
  bool is_if;
  Symbol* if_sym;
  Value if_form, then_branch, else_branch;
  uint32_t if_end_pc;  // where a rebound if's value goes (the end of the if form)
  bool if_tail;
  uint32_t target;     // else-branch of the if
  int depth;           // stack depth at the fused instruction
};

// Calls visit(list) on `code` (when it is a list) and on every list nested in it, in source
// order, stopping at the first false. An explicit work list, not C recursion: code nests as
// deep as the reader allows, and a deep nest must end in the compiler's own limit error.
template <class Visit>
bool every_list(Value code, Visit visit) {
  std::vector<Value> todo{code};
  std::vector<Value> children;
  while (!todo.empty()) {
    Value list = todo.back();
    todo.pop_back();
    if (!is_cons(list)) continue;
    if (!visit(list)) return false;
    children.clear();
    for (Value c = list; is_cons(c); c = cdr(c)) {
      if (is_cons(car(c))) children.push_back(car(c));
    }
    todo.insert(todo.end(), children.rbegin(), children.rend());
  }
  return true;
}

bool is_symbol_named(Value v, std::string_view name) {
  return is_symbol(v) && v.as<Symbol>()->name() == name;
}

// Whether `code` mentions a symbol named one of `names` anywhere (nested lists included).
bool mentions(Value code, std::initializer_list<std::string_view> names) {
  auto named = [&](Value v) {
    for (std::string_view x : names) {
      if (is_symbol_named(v, x)) return true;
    }
    return false;
  };
  if (named(code)) return true;
  return !every_list(code, [&](Value list) {
    for (Value c = list; is_cons(c); c = cdr(c)) {
      if (named(car(c))) return false;
    }
    return true;
  });
}

// Whether `list` is `(= {a b ...} ...)`: `=` applied to a literal list first.
bool is_literal_eq(Value list) {
  return is_symbol_named(car(list), "=") && is_cons(cdr(list)) && is_qexpr(car(cdr(list)));
}

// The names `(= {a b} ...)` forms in `code` bind; false when `=` appears any other way.
bool eq_bound_names(Value code, std::vector<Symbol*>* out) {
  if (is_symbol_named(code, "=")) return false;
  return every_list(code, [&](Value list) {
    Value rest = list;
    if (is_symbol_named(car(list), "=")) {
      if (!is_literal_eq(list)) return false;
      for (Value n = car(cdr(list)); is_cons(n); n = cdr(n)) {
        if (!is_symbol(car(n))) return false;
        out->push_back(car(n).as<Symbol>());
      }
      rest = cdr(cdr(list));
    }
    for (Value c = rest; is_cons(c); c = cdr(c)) {
      if (is_symbol_named(car(c), "=")) return false;
    }
    return true;
  });
}

// Every name a `(= {a b ...} ...)` form with a literal list of names binds anywhere in `code`
// (nested lambdas' bodies included: a slot too many costs a word, never a meaning).
void literal_eq_names(Value code, std::vector<Symbol*>* out) {
  every_list(code, [&](Value list) {
    if (is_literal_eq(list)) {
      for (Value n = car(cdr(list)); is_cons(n); n = cdr(n)) {
        if (is_symbol(car(n))) out->push_back(car(n).as<Symbol>());
      }
    }
    return true;
  });
}

constexpr uint32_t kNoSite = UINT32_MAX;

// (\ {formals} {body}) as the compiler inlines it: two literal lists, the formals well formed.
bool lambda_shape(Value form, size_t n) {
  if (n != 3) return false;
  Value formals = car(cdr(form));
  return is_qexpr(formals) && is_qexpr(car(cdr(cdr(form)))) && check_formals(formals).empty();
}

// A form inlined behind a guard (SELECT, CASE, LET), compiled once more at the end of
// the prototype as the ordinary call the guard jumps to when a name it relies on changed.
struct CallStub {
  uint32_t guard_pc;
  Value form;
  SrcPos pos;
  size_t n;
  bool tail;
  uint32_t end_pc;  // where the form's value goes (not in tail position)
  int depth;
  int do_target;    // the do whose last form holds it in tail position, or -1
  int try_level;    // inlined tries open around it: a try in its arguments takes the next slot
};

// A do in tail position whose last form is being compiled in tail position: the tail exits of
// that form (DORET) go to its DO once do changed; `exits` wait for DO's place.
struct DoTarget {
  std::vector<uint32_t> exits;
  uint32_t do_pc = 0;
  bool placed = false;
};

// The compiler recurses once per nested form (expr, call_form, special_form, inline_lambda,
// lambda, body), so every byte of those frames is paid per level, up to limits::kMaxNesting.
// The helpers below are kept out of line so that their locals are on the stack only while they
// run: inlined, they made each level's frames several times larger (under AddressSanitizer,
// which gives every local its own slot and red zones, 1,000 levels no longer fit 8 MB).
#define NOT_IN_RECURSION [[gnu::noinline]]

class Compiler {
 public:
  Compiler(VM& vm, const Scope* parent, ProtoKind kind)
      : vm_(vm), kind_(kind), x_(new ProtoExtra) {
    scope_.parent = parent;
    scope_.params = kind == ProtoKind::kLambda ? &params_ : nullptr;
    scope_.eq_slots = &eq_slots_;
  }
  ~Compiler() { delete x_; }

  // Returns a Proto or an Error value.
  Value lambda(Value formals, Value body, SrcPos pos);
  Value chunk(Value code, SrcPos pos, CodeShape shape);

 private:
  // ---- emission ----
  uint32_t pc() const { return uint32_t(x_->code.size()); }
  void emit(Op op, uint32_t a, int stack_effect);
  void emit_word(uint32_t w) { x_->code.push_back(w); }
  void adjust(int effect);
  void mark(SrcPos pos);
  uint32_t constant(Value v);
  void patch(uint32_t at, uint32_t target) { x_->code[at] = encode(op_of(x_->code[at]), target); }
  uint32_t add_site(Symbol* sym, uint32_t form_start, Value form, bool tail);
  void fail(std::string message);

  // ---- forms ----
  void expr(Value form, SrcPos pos, bool tail);
  void body(Value list, SrcPos pos, bool tail);  // a Q-expression run as code
  void ret(bool tail) {
    if (tail) emit_ret(-1);
  }
  void emit_ret(int stack_effect);
  void emit_tailcall(uint32_t nargs);
  void emit_tailcall0();
  NOT_IN_RECURSION void symbol(Symbol* s, SrcPos pos);
  void call_form(Value form, SrcPos pos, bool tail, bool written_with_parens);
  bool special_form(Symbol* head, Value form, SrcPos pos, size_t n, bool tail);
  NOT_IN_RECURSION void generic_call(Value form, SrcPos pos, size_t n, bool tail);
  NOT_IN_RECURSION void sequence_call(Value form, SrcPos pos, size_t n);
  NOT_IN_RECURSION void inline_if(Value form, SrcPos pos, bool tail);
  void inline_lambda(Value form, SrcPos pos, bool tail);
  bool closure_literal(Value form) const;
  uint32_t nested_lambda(Value form);
  void emit_closure(Value form, SrcPos pos, uint32_t proto_constant);
  uint32_t open_try(Value form, SrcPos pos, uint32_t form_start, TryRange* range);
  NOT_IN_RECURSION void inline_do(Value form, SrcPos pos, size_t n, bool tail);
  NOT_IN_RECURSION void inline_operator(Op op, Value form, SrcPos pos, size_t n, bool tail);
  NOT_IN_RECURSION bool inline_arith(Op two, Op many, Value form, SrcPos pos, size_t n, bool tail);
  bool assign_inlinable(Value names, size_t n) const;
  NOT_IN_RECURSION void inline_assign(Value form, SrcPos pos, size_t n, bool tail);
  NOT_IN_RECURSION bool inline_control(WatchId id, Value form, SrcPos pos, size_t n, bool tail);
  size_t emit_guard(Op op, Value form, SrcPos pos, size_t n, bool tail);
  void end_guarded(size_t stub);
  bool clauses_inlinable(Value clauses, bool keyed, bool tail) const;
  bool let_inlinable(Value body) const;
  NOT_IN_RECURSION void inline_select(Value form, SrcPos pos, size_t n, bool tail);
  NOT_IN_RECURSION void inline_case(Value form, SrcPos pos, size_t n, bool tail);
  NOT_IN_RECURSION void inline_let(Value form, SrcPos pos, size_t n, bool tail);
  NOT_IN_RECURSION void inline_try(Value form, SrcPos pos, size_t n, bool tail);
  NOT_IN_RECURSION void inline_pick(Op op, uint32_t index, Value form, SrcPos pos, size_t n, bool tail);
  NOT_IN_RECURSION void emit_call_stubs();
  NOT_IN_RECURSION void collect_eq_slots(Value lambda_body);
  bool resolves_locally(const Symbol* s) const;
  int own_slot(const Symbol* s) const;
  int frame_slot(const Symbol* s) const;
  int eq_slot(const Symbol* s) const;
  Operand operand_of(Value cell) const;
  bool fusable_if(Value cond, Op* fused, Stub* stub);
  bool fusable_arith(Op op, Value form, Op* fused, Stub* stub);
  bool inline_with_constant(Op op, Value form, SrcPos pos);
  void branch_after_comparison();
  void emit_fused(Op fused, const Stub& stub);
  NOT_IN_RECURSION void emit_stubs();
  NOT_IN_RECURSION void emit_try_handlers();
  NOT_IN_RECURSION Value finish(SrcPos pos);

  VM& vm_;
  ProtoKind kind_;
  ProtoExtra* x_;
  Scope scope_{};
  std::vector<Symbol*> params_;     // a lambda's parameters (its frame's first slots)
  std::vector<Symbol*> eq_slots_;   // names its body binds with a literal `=`: the slots after them
  // The constant pool's indices by value bits, open addressing: a slot holds index + 1, 0 when
  // empty. (A std::unordered_map paged libstdc++'s hashtable code and prime tables into every
  // run's memory.) Kept under half full.
  std::vector<std::pair<uint64_t, uint32_t>> const_slots_ = std::vector<std::pair<uint64_t, uint32_t>>(16);
  int depth_ = 0;
  int max_depth_ = 0;
  int nesting_ = 0;
  int sequence_duplication_ = 0;
  uint32_t last_op_pc_ = 0;  // the last instruction emitted (not an extra word)
  bool makes_closures_ = false;
  uint16_t module_ = 0;  // the module whose file the code was read from (its globals come first), or 0
  std::string error_;
  std::vector<Stub> stubs_;
  std::vector<CallStub> call_stubs_;
  size_t call_stubs_done_ = 0;
  bool no_fuse_ = false;  // compiling call stubs: no fused instruction (their stubs would come late)
  std::pair<Operand, Operand> fused_operands_;  // operands of the fused instruction being made
  std::vector<DoTarget> do_targets_;
  int do_target_ = -1;  // while the last form of a tail do is compiled: its index in do_targets_
  int try_level_ = 0;      // inlined tries open where the code being compiled stands
  int max_try_level_ = 0;  // Proto::ntry
  struct TryHandler {
    size_t range;  // in x_->tries
    Value form;    // (try {body} handler)
    SrcPos pos;    // the form's
    bool tail;     // the try is in tail position: the handler's call is a tail call
  };
  std::vector<TryHandler> try_handlers_;
};

// Guards the C recursion of the compiler: one level per nested form.
class NestingGuard {
 public:
  explicit NestingGuard(int& depth) : depth_(depth) { ++depth_; }
  ~NestingGuard() { --depth_; }
  NestingGuard(const NestingGuard&) = delete;
  NestingGuard& operator=(const NestingGuard&) = delete;

 private:
  int& depth_;
};

void Compiler::adjust(int effect) {
  depth_ += effect;
  if (depth_ > max_depth_) max_depth_ = depth_;
}

void Compiler::emit(Op op, uint32_t a, int stack_effect) {
  if (a > kMaxOperand) {
    fail("code too large to compile (operand out of range)");
    a = 0;
  }
  last_op_pc_ = pc();
  x_->code.push_back(encode(op, a));
  adjust(stack_effect);
}

// The frame-ending instructions of a tail position. Inside the last form of a tail do they are
// conditional on do keeping its meaning (DORET, DOTAILCALL, DOTAILCALL0): once do changed, the
// value goes to the do's DO, which calls what do means with all the values.
void Compiler::emit_ret(int stack_effect) {
  if (do_target_ < 0) {
    emit(Op::RET, 0, stack_effect);
    return;
  }
  DoTarget& t = do_targets_[size_t(do_target_)];
  if (!t.placed) t.exits.push_back(pc());
  emit(Op::DORET, t.placed ? t.do_pc : 0, stack_effect);
}

void Compiler::emit_tailcall(uint32_t nargs) {
  emit(do_target_ < 0 ? Op::TAILCALL : Op::DOTAILCALL, nargs, -int(nargs));
}

void Compiler::emit_tailcall0() { emit(do_target_ < 0 ? Op::TAILCALL0 : Op::DOTAILCALL0, 0, 0); }

void Compiler::mark(SrcPos pos) {
  if (!pos.known()) return;
  if (!x_->lines.empty() && x_->lines.back().pc == pc()) {
    x_->lines.back().pos = pos;
    return;
  }
  if (!x_->lines.empty() && x_->lines.back().pos == pos) return;
  x_->lines.push_back(LineEntry{pc(), pos});
}

uint32_t Compiler::constant(Value v) {
  auto slot_of = [this](uint64_t bits) -> std::pair<uint64_t, uint32_t>& {
    size_t mask = const_slots_.size() - 1;
    for (size_t i = size_t((bits * 0x9E3779B97F4A7C15ull) >> 32) & mask;; i = (i + 1) & mask) {
      if (const_slots_[i].second == 0 || const_slots_[i].first == bits) return const_slots_[i];
    }
  };
  auto& slot = slot_of(v.bits());
  if (slot.second != 0) return slot.second - 1;
  uint32_t k = uint32_t(x_->consts.size());
  x_->consts.push_back(v);
  slot = {v.bits(), k + 1};
  if (2 * (k + 1) > const_slots_.size()) {
    std::vector<std::pair<uint64_t, uint32_t>> old(2 * const_slots_.size());
    old.swap(const_slots_);
    for (const auto& s : old) {
      if (s.second != 0) slot_of(s.first) = s;
    }
  }
  return k;
}

uint32_t Compiler::add_site(Symbol* sym, uint32_t form_start, Value form, bool tail) {
  InlineSite site{};
  site.op_pc = pc();
  site.form_start = form_start;
  site.end_pc = pc() + 1;
  site.sym = sym;
  site.form = constant(form);
  site.extra1 = site.form;
  site.extra2 = site.form;
  site.tail = tail;
  x_->sites.push_back(site);
  return uint32_t(x_->sites.size() - 1);
}

void Compiler::fail(std::string message) {
  if (error_.empty()) error_ = std::move(message);
}

bool Compiler::resolves_locally(const Symbol* s) const {
  for (const Scope* sc = &scope_; sc && sc->params; sc = sc->parent) {
    for (Symbol* p : *sc->params) {
      if (p == s) return true;
    }
  }
  return false;
}

// ---- names -----------------------------------------------------------------------------

// The names this lambda's body binds with a literal `=` get frame slots after the parameters
// (vm/lookup.cpp keeps their dynamic scoping: a slot is found as the frame's binding once bound).
// Their reads compile to SLOT. Any name could be a slot without changing a result: bind_in_scope
// and lookup treat the slots as the frame's own bindings, however the name was bound.
void Compiler::collect_eq_slots(Value lambda_body) {
  std::vector<Symbol*> names;
  literal_eq_names(lambda_body, &names);
  for (Symbol* s : names) {
    if (params_.size() + eq_slots_.size() >= 0xffff) break;  // Proto::nslots is 16 bits; the rest by name
    if (std::find(params_.begin(), params_.end(), s) != params_.end()) continue;
    if (std::find(eq_slots_.begin(), eq_slots_.end(), s) != eq_slots_.end()) continue;
    if (s->name() == "&") continue;
    eq_slots_.push_back(s);
    vm_.note_scope_binding(s, symflag::kEqBound);
  }
}

void Compiler::symbol(Symbol* s, SrcPos pos) {
  int depth = -1;  // -1: this lambda's own frame; 0: the frame it closed over; ...
  for (const Scope* sc = &scope_; sc && sc->params; sc = sc->parent, ++depth) {
    const auto& params = *sc->params;
    for (size_t i = 0; i < params.size(); ++i) {
      if (params[i] != s) continue;
      if (depth < 0) {
        emit(Op::LOCAL, uint32_t(i), +1);
        return;
      }
      if (depth < (1 << 12) && i < (1 << 12)) {
        mark(pos);
        emit(Op::UPVAL, (uint32_t(depth) << 12) | uint32_t(i), +1);
        emit_word(constant(Value::object(s)));
        return;
      }
      goto by_name;  // too far to encode: look it up by name
    }
    if (int slot = depth < 0 ? eq_slot(s) : -1; slot >= 0) {
      mark(pos);  // an unbound slot falls back to a lookup, which may raise
      emit(Op::SLOT, uint32_t(slot), +1);
      return;
    }
    if (depth >= 0 && std::find(sc->eq_slots->begin(), sc->eq_slots->end(), s) != sc->eq_slots->end()) {
      if (depth > int(kMaxOperand)) goto by_name;
      mark(pos);  // unbound there, or bound in between: a lookup, which may raise
      emit(Op::UPEQ, uint32_t(depth), +1);
      emit_word(constant(Value::object(s)));
      return;
    }
  }
by_name:
  mark(pos);
  emit(module_ ? Op::MNAME : Op::NAME, constant(Value::object(s)), +1);
}

// ---- expressions -------------------------------------------------------------------------

void Compiler::expr(Value form, SrcPos pos, bool tail) {
  NestingGuard guard(nesting_);
  if (nesting_ > limits::kMaxNesting && is_scons(form)) {  // lists count, as in the reader
    fail("code nested deeper than " + std::to_string(limits::kMaxNesting) + " levels");
    return;
  }
  if (form.is_fixnum() && form.fixnum_value() >= kMinSmallInt && form.fixnum_value() <= kMaxSmallInt) {
    emit(Op::INT, uint32_t(form.fixnum_value()) & kMaxOperand, +1);
  } else if (form.is_nil()) {
    emit(Op::NIL, 0, +1);
  } else if (form.is_empty_sexpr()) {
    emit(Op::EMPTY, 0, +1);
  } else if (is_symbol(form)) {
    int slot = tail && do_target_ < 0 ? own_slot(form.as<Symbol>()) : -1;
    if (slot >= 0) {
      emit(Op::RETL, uint32_t(slot), 0);  // return a parameter: one instruction
      return;
    }
    symbol(form.as<Symbol>(), pos);
  } else if (is_scons(form)) {
    call_form(form, pos, tail, true);
    return;
  } else {
    emit(Op::CONST, constant(form), +1);  // strings, Q-expressions, big integers, functions
  }
  ret(tail);
}

void Compiler::body(Value list, SrcPos pos, bool tail) {
  NestingGuard guard(nesting_);
  if (nesting_ > limits::kMaxNesting) {
    fail("code nested deeper than " + std::to_string(limits::kMaxNesting) + " levels");
    return;
  }
  if (list.is_empty_list()) {
    emit(Op::EMPTY, 0, +1);  // an empty Q-expression run as code is ()
    ret(tail);
    return;
  }
  call_form(list, pos, tail, false);
}

void Compiler::call_form(Value form, SrcPos pos, bool tail, bool written_with_parens) {
  size_t n = list_length(form);
  Value head = car(form);
  SrcPos head_pos = cell_pos(form);
  if (!pos.known()) pos = head_pos;
  if (n == 1) {
    // A single element is its own value; written (f), a function declaring no parameters is
    // called (LANGUAGE.md 4.2).
    expr(head, head_pos, tail && !written_with_parens);
    if (!written_with_parens) return;
    mark(pos);
    if (tail) {
      emit_tailcall0();
      emit_ret(-1);
    } else {
      emit(Op::CALL0, 0, 0);
    }
    return;
  }
  if (is_symbol(head)) {
    Symbol* s = head.as<Symbol>();
    if (!resolves_locally(s) && vm_.watch_intact(s) && special_form(s, form, pos, n, tail)) return;
  }
  if (tail && is_scons(head) && sequence_duplication_ < kMaxSequenceDuplication) {
    sequence_call(form, pos, n);
    return;
  }
  generic_call(form, pos, n, tail);
}

void Compiler::generic_call(Value form, SrcPos pos, size_t n, bool tail) {
  for (Value cell = form; is_cons(cell); cell = cdr(cell)) expr(car(cell), cell_pos(cell), false);
  uint32_t nargs = uint32_t(n - 1);
  mark(pos);
  if (tail) {
    emit_tailcall(nargs);
    emit_ret(-1);  // reached only when the tail call could not replace the frame
  } else {
    emit(Op::CALL, nargs, -int(nargs));
  }
}

// A body like {(= {a} 1) (f a)} in tail position: its head is usually not a function, in which
// case the value is the last element, so the last element can be a tail call. When the head
// does turn out to be a function, the elements are evaluated again as arguments; both paths
// evaluate the same elements in the same order, each path once.
void Compiler::sequence_call(Value form, SrcPos pos, size_t n) {
  ++sequence_duplication_;
  expr(car(form), cell_pos(form), false);
  uint32_t jump = pc();
  emit(Op::JMPFN, 0, 0);
  int depth_with_head = depth_;
  emit(Op::POP, 0, -1);
  size_t i = 1;
  for (Value cell = cdr(form); is_cons(cell); cell = cdr(cell), ++i) {
    expr(car(cell), cell_pos(cell), i == n - 1);
    if (i < n - 1) emit(Op::POP, 0, -1);
  }
  patch(jump, pc());
  depth_ = depth_with_head;
  for (Value cell = cdr(form); is_cons(cell); cell = cdr(cell)) expr(car(cell), cell_pos(cell), false);
  uint32_t nargs = uint32_t(n - 1);
  mark(pos);
  emit_tailcall(nargs);
  emit_ret(-1);
  --sequence_duplication_;
}

// ---- inlined forms -------------------------------------------------------------------------

bool Compiler::special_form(Symbol* head, Value form, SrcPos pos, size_t n, bool tail) {
  Value a1 = n > 1 ? car(cdr(form)) : Value();
  Value a2 = n > 2 ? car(cdr(cdr(form))) : Value();
  Value a3 = n > 3 ? car(cdr(cdr(cdr(form)))) : Value();
  switch (WatchId(head->watch)) {
    case WatchId::If:
      if (n != 4 || !is_qexpr(a2) || !is_qexpr(a3)) return false;
      inline_if(form, pos, tail);
      return true;
    case WatchId::Lambda:
      if (!lambda_shape(form, n)) return false;
      inline_lambda(form, pos, tail);
      return true;
    case WatchId::Do:
      // Inlined only while everything the prelude's definition of do relies on is intact.
      if (vm_.broken_watches() & kOpWatchMasks[int(Op::DO)]) return false;
      inline_do(form, pos, n, tail);
      return true;
    case WatchId::Select:
    case WatchId::Case:
    case WatchId::Let:
    case WatchId::Fst:
    case WatchId::Snd:
    case WatchId::Trd:
    case WatchId::Nth:
      return inline_control(WatchId(head->watch), form, pos, n, tail);
    case WatchId::Try:
      if (n != 3 || !is_qexpr(a1)) return false;
      inline_try(form, pos, n, tail);
      return true;
    case WatchId::Add: return inline_arith(Op::ADD, Op::ADDN, form, pos, n, tail);
    case WatchId::Sub:
      if (n == 2) return inline_operator(Op::NEG, form, pos, n, tail), true;
      return inline_arith(Op::SUB, Op::SUBN, form, pos, n, tail);
    case WatchId::Mul: return inline_arith(Op::MUL, Op::MULN, form, pos, n, tail);
    case WatchId::Div: return inline_arith(Op::DIV, Op::DIVN, form, pos, n, tail);
    case WatchId::Mod: return n == 3 && (inline_operator(Op::MOD, form, pos, n, tail), true);
    case WatchId::Lt: return n == 3 && (inline_operator(Op::LT, form, pos, n, tail), true);
    case WatchId::Gt: return n == 3 && (inline_operator(Op::GT, form, pos, n, tail), true);
    case WatchId::Le: return n == 3 && (inline_operator(Op::LE, form, pos, n, tail), true);
    case WatchId::Ge: return n == 3 && (inline_operator(Op::GE, form, pos, n, tail), true);
    case WatchId::Eq: return n == 3 && (inline_operator(Op::EQ, form, pos, n, tail), true);
    case WatchId::Ne: return n == 3 && (inline_operator(Op::NE, form, pos, n, tail), true);
    case WatchId::Tail: return n == 2 && (inline_operator(Op::TAIL, form, pos, n, tail), true);
    case WatchId::Sqrt: return n == 2 && (inline_operator(Op::SQRT, form, pos, n, tail), true);
    case WatchId::Len: return n == 2 && (inline_operator(Op::LEN, form, pos, n, tail), true);
    case WatchId::Assign: return assign_inlinable(a1, n) && (inline_assign(form, pos, n, tail), true);
    case WatchId::TableGet: return n == 3 && (inline_operator(Op::TGET, form, pos, n, tail), true);
    case WatchId::TableSet: return n == 4 && (inline_operator(Op::TSET, form, pos, n, tail), true);
    default: return false;
  }
}

void Compiler::inline_operator(Op op, Value form, SrcPos pos, size_t n, bool tail) {
  Op fused;
  Stub stub{};
  if (fusable_arith(op, form, &fused, &stub)) {
    stub.pos = pos;
    emit_fused(fused, stub);
    adjust(+1);
    ret(tail);
    return;
  }
  if (inline_with_constant(op, form, pos)) {
    ret(tail);
    return;
  }
  uint32_t start = pc();
  Value cell = cdr(form);
  for (size_t i = 1; i < n; ++i, cell = cdr(cell)) expr(car(cell), cell_pos(cell), false);
  add_site(car(form).as<Symbol>(), start, form, false);
  mark(pos);
  emit(op, op_nary(op) ? uint32_t(n - 1) : 0, 2 - int(n));  // n - 1 operands in, one value out
  ret(tail);
}

// + and * give the same value, integer or double, with their two operands swapped, and == and !=
// the same answer: a fused or integer-operand instruction may take the constant written first as
// its second operand.
static bool commutes(Op op) { return op == Op::ADD || op == Op::MUL || op == Op::EQ || op == Op::NE; }

// An IF or JMPF is about to take the value of the instruction just emitted: a comparison becomes
// the one that also branches (BRLT ... BRNE, BRLT_K ... BRNE_K), which reads the target from the branch
// and, off its fast path, is the plain comparison. A jump to the branch itself still finds it.
void Compiler::branch_after_comparison() {
  if (last_op_pc_ + 1 != pc()) return;  // the last word is an extra word, or nothing was emitted
  static const std::pair<Op, Op> kBranching[] = {
      {Op::LT, Op::BRLT},     {Op::GT, Op::BRGT},     {Op::LE, Op::BRLE},     {Op::GE, Op::BRGE},
      {Op::EQ, Op::BREQ},     {Op::NE, Op::BRNE},     {Op::LT_K, Op::BRLT_K}, {Op::GT_K, Op::BRGT_K},
      {Op::LE_K, Op::BRLE_K}, {Op::GE_K, Op::BRGE_K}, {Op::EQ_K, Op::BREQ_K}, {Op::NE_K, Op::BRNE_K}};
  uint32_t& last = x_->code.back();
  for (auto [plain, branching] : kBranching) {
    if (op_of(last) == plain) last = encode(branching, operand(last));  // the _K ones keep their k
  }
}

// (op x k) over a small integer k as one instruction with k in it (ADD_K ... NE_K); + * == and !=
// also (op k x). x is computed as any operand; the instruction's slow paths put k back on the stack
// where it was written (one slot more than the operands: the depth accounts for it).
bool Compiler::inline_with_constant(Op op, Value form, SrcPos pos) {
  struct Row {
    Op op, with_constant;
  };
  static const Row kRows[] = {{Op::ADD, Op::ADD_K}, {Op::SUB, Op::SUB_K}, {Op::MUL, Op::MUL_K},
                              {Op::DIV, Op::DIV_K}, {Op::MOD, Op::MOD_K}, {Op::LT, Op::LT_K},
                              {Op::GT, Op::GT_K},   {Op::LE, Op::LE_K},   {Op::GE, Op::GE_K},
                              {Op::EQ, Op::EQ_K},   {Op::NE, Op::NE_K}};
  const Row* row = std::find_if(std::begin(kRows), std::end(kRows), [op](const Row& r) { return r.op == op; });
  if (row == std::end(kRows)) return false;
  auto small = [](Value v) {
    return v.is_fixnum() && v.fixnum_value() >= kMinSmallOperand && v.fixnum_value() <= kMaxSmallOperand;
  };
  Value first_cell = cdr(form), second_cell = cdr(first_cell);
  bool k_first = !small(car(second_cell));
  if (k_first && !(commutes(op) && small(car(first_cell)))) return false;
  Value x_cell = k_first ? second_cell : first_cell;
  int32_t k = int32_t(car(k_first ? first_cell : second_cell).fixnum_value());
  uint32_t start = pc();
  expr(car(x_cell), cell_pos(x_cell), false);
  add_site(car(form).as<Symbol>(), start, form, false);
  mark(pos);
  adjust(+1);
  emit(row->with_constant, small_operand(k, k_first), -1);
  return true;
}

// (+ a b) as ADD (two, the one fused and typed fast), (+ a b c ...) as ADDN with the number of
// operands; (+ a) stays a call.
bool Compiler::inline_arith(Op two, Op many, Value form, SrcPos pos, size_t n, bool tail) {
  if (n < 3 || n - 1 > kMaxOperand) return false;
  inline_operator(n == 3 ? two : many, form, pos, n, tail);
  return true;
}

// (= {a b} x y): the names a literal Q-expression of symbols, as many as the values; anything
// else stays a call of the builtin, which raises its own errors.
bool Compiler::assign_inlinable(Value names, size_t n) const {
  if (!is_qexpr(names)) return false;
  size_t count = 0;
  for (Value c = names; is_cons(c); c = cdr(c), ++count) {
    if (!is_symbol(car(c))) return false;
  }
  return count == n - 2;
}

// `=` without a call of the builtin: ASSIGN binds the values in the frame's scope as the builtin
// would (VM::bind_in_scope), and its slow handler calls what `=` means once it was rebound.
// `(= {name} v)` with a slot for the name pushes only v: ASSIGN_SLOT holds the names' constant,
// for ASSIGN once the fast path does not apply (it puts them back under the value).
void Compiler::inline_assign(Value form, SrcPos pos, size_t n, bool tail) {
  uint32_t start = pc();
  Value names = car(cdr(form));
  int slot = n == 3 ? frame_slot(car(names).as<Symbol>()) : -1;
  for (Value c = slot >= 0 ? cdr(cdr(form)) : cdr(form); is_cons(c); c = cdr(c)) expr(car(c), cell_pos(c), false);
  add_site(car(form).as<Symbol>(), start, form, false);
  mark(pos);
  if (slot >= 0) {
    adjust(+1);  // the names, put back under the value by all but the fast path
    emit(Op::ASSIGN_SLOT, uint32_t(slot), -1);
    emit_word(constant(names));
  } else {
    emit(Op::ASSIGN, uint32_t(n - 1), -int(n - 2));
  }
  ret(tail);
}

// The slot of this lambda's frame that binds `s` (a parameter or a literal `=` name), or -1.
// Watched names stay with ASSIGN: binding one must tell the VM (VM::bind_in_scope).
int Compiler::frame_slot(const Symbol* s) const {
  if (!scope_.params || s->watch >= 0) return -1;
  int i = own_slot(s);
  return i >= 0 ? i : eq_slot(s);
}

// The frame slot of `s` among this lambda's literal `=` names (after the parameters), or -1.
int Compiler::eq_slot(const Symbol* s) const {
  auto eq = std::find(eq_slots_.begin(), eq_slots_.end(), s);
  return eq == eq_slots_.end() ? -1 : int(params_.size() + size_t(eq - eq_slots_.begin()));
}

// (if c {then} {else}): the branches run inline in this frame.
void Compiler::inline_if(Value form, SrcPos pos, bool tail) {
  uint32_t start = pc();
  Value cond_cell = cdr(form);
  Value then_cell = cdr(cond_cell);
  Value else_cell = cdr(then_cell);
  Op fused;
  Stub stub{};
  if (fusable_if(car(cond_cell), &fused, &stub)) {
    stub.pos = cell_pos(cond_cell);
    stub.if_sym = car(form).as<Symbol>();
    stub.if_form = form;
    stub.then_branch = car(then_cell);
    stub.else_branch = car(else_cell);
    stub.if_tail = tail;
    uint32_t branch = pc();
    size_t stub_index = stubs_.size();
    emit_fused(fused, stub);
    int depth_at_branch = depth_;
    body(car(then_cell), cell_pos(then_cell), tail);
    uint32_t skip = pc();
    if (!tail) emit(Op::JMP, 0, 0);
    uint32_t else_pc = pc();
    x_->code[branch + 1] = else_pc;  // the target; the stub's place is filled in by emit_stubs
    stubs_[stub_index].target = else_pc;
    depth_ = depth_at_branch;
    body(car(else_cell), cell_pos(else_cell), tail);
    if (tail) {
      emit_ret(0);
    } else {
      patch(skip, pc());
    }
    stubs_[stub_index].if_end_pc = tail ? pc() - 1 : pc();
    return;
  }
  expr(car(cond_cell), cell_pos(cond_cell), false);
  uint32_t site_index = add_site(car(form).as<Symbol>(), start, form, tail);
  x_->sites[site_index].extra1 = constant(car(then_cell));
  x_->sites[site_index].extra2 = constant(car(else_cell));
  mark(pos);
  branch_after_comparison();
  uint32_t branch = pc();
  emit(Op::IF, 0, -1);
  int depth_at_branch = depth_;
  body(car(then_cell), cell_pos(then_cell), tail);
  uint32_t skip = pc();
  if (!tail) emit(Op::JMP, 0, 0);
  patch(branch, pc());
  depth_ = depth_at_branch;
  body(car(else_cell), cell_pos(else_cell), tail);
  if (tail) {
    emit_ret(0);  // where the slow path returns the value of a rebound if
  } else {
    patch(skip, pc());
  }
  x_->sites[site_index].end_pc = tail ? pc() - 1 : pc();
}

void Compiler::inline_lambda(Value form, SrcPos pos, bool tail) {
  uint32_t proto = nested_lambda(form);
  if (proto == kNoLambda) {
    emit(Op::NIL, 0, +1);
    return;
  }
  emit_closure(form, pos, proto);
  ret(tail);
}

// True when `form` compiles to CLOSURE: (\ {formals} {body}) with \ meaning the builtin here.
bool Compiler::closure_literal(Value form) const {
  if (!is_scons(form) || !is_symbol(car(form))) return false;
  const Symbol* s = car(form).as<Symbol>();
  return s->watch == int(WatchId::Lambda) && !resolves_locally(s) && vm_.watch_intact(s) &&
         lambda_shape(form, list_length(form));
}

// The prototype of the lambda literal `form`, compiled inside this one, as a constant index;
// kNoLambda when it does not compile (the error is this prototype's).
uint32_t Compiler::nested_lambda(Value form) {
  Compiler inner(vm_, &scope_, ProtoKind::kLambda);
  inner.nesting_ = nesting_;
  Value proto = inner.lambda(car(cdr(form)), car(cdr(cdr(form))), cell_pos(cdr(cdr(form))));
  if (is_error(proto)) {
    fail(std::string(proto.as<ErrorObj>()->message.as<String>()->view()));
    return kNoLambda;
  }
  makes_closures_ = true;
  return constant(proto);
}

// CLOSURE of a nested prototype, with the site that calls what \ means once it changed.
void Compiler::emit_closure(Value form, SrcPos pos, uint32_t proto_constant) {
  uint32_t site_index = add_site(car(form).as<Symbol>(), pc(), form, false);
  x_->sites[site_index].extra1 = constant(car(cdr(form)));
  x_->sites[site_index].extra2 = constant(car(cdr(cdr(form))));
  mark(pos);
  emit(Op::CLOSURE, proto_constant, +1);
}

// (do a b c): a, b and c are evaluated in order and stay on the stack; DO keeps the last. When
// the do is in tail position, c is compiled in tail position too (an if, select, case, let or
// do there passes it on), with its exits conditional on do (emit_ret): while do (and all its
// definition relies on) keeps its meaning a call there is a tail call and a value is returned,
// so loops through do run in constant space; once something changed, even by a or b, the
// value comes back to DO, which calls what do means with the values, as the original did once
// it had evaluated its arguments. DO itself is then reached only through those exits.
void Compiler::inline_do(Value form, SrcPos pos, size_t n, bool tail) {
  uint32_t start = pc();
  int outer = do_target_;
  int target = -1;
  if (tail) {
    target = int(do_targets_.size());
    do_targets_.emplace_back();
  }
  for (Value cell = cdr(form); is_cons(cell); cell = cdr(cell)) {
    bool last_in_tail = tail && !is_cons(cdr(cell));
    if (!last_in_tail) {
      expr(car(cell), cell_pos(cell), false);
      continue;
    }
    do_target_ = target;
    expr(car(cell), cell_pos(cell), true);
    do_target_ = outer;
    adjust(+1);  // the value its exits bring to DO
  }
  add_site(car(form).as<Symbol>(), start, form, tail);
  mark(pos);
  if (tail) {
    DoTarget& t = do_targets_[size_t(target)];
    t.do_pc = pc();
    t.placed = true;
    for (uint32_t at : t.exits) patch(at, t.do_pc);
    t.exits.clear();
  }
  emit(Op::DO, uint32_t(n - 1), -int(n - 2));
  ret(tail);
}


// ---- the prelude's control flow -----------------------------------------------------------
//
// select, case and let with literal clause lists, and fst/snd/trd/nth, run in the caller's frame
// while every name their prelude definitions rely on keeps its meaning: a guard opens the form
// and jumps to the ordinary call (the stub) otherwise. The prelude evaluates a clause in frames
// of its own (select's `cs`, fst's `_l`, snd's `_y`, case's `x`; let's `b` and `_`), whose names
// the clause could see and `=` would bind in: a form whose code mentions one of those, or binds
// with `=` where the prelude would have kept the binding apart, is not inlined.



bool Compiler::inline_control(WatchId id, Value form, SrcPos pos, size_t n, bool tail) {
  Op op = id == WatchId::Nth ? Op::NTH
          : id == WatchId::Select ? Op::SELECT
          : id == WatchId::Case ? Op::CASE
          : id == WatchId::Let ? Op::LET : Op::PICK;
  if (vm_.broken_watches() & kOpWatchMasks[int(op)]) {
    return false;
  }
  switch (id) {
    case WatchId::Select:
      if (n < 2 || !clauses_inlinable(cdr(form), false, tail)) return false;
      inline_select(form, pos, n, tail);
      return true;
    case WatchId::Case:
      if (n < 3 || !clauses_inlinable(cdr(cdr(form)), true, tail)) return false;
      inline_case(form, pos, n, tail);
      return true;
    case WatchId::Let:
      if (n != 2 || !tail || kind_ != ProtoKind::kLambda || !let_inlinable(car(cdr(form)))) return false;
      inline_let(form, pos, n, tail);
      return true;
    case WatchId::Fst: return n == 2 && (inline_pick(Op::PICK, 0, form, pos, n, tail), true);
    case WatchId::Snd: return n == 2 && (inline_pick(Op::PICK, 1, form, pos, n, tail), true);
    case WatchId::Trd: return n == 2 && (inline_pick(Op::PICK, 2, form, pos, n, tail), true);
    case WatchId::Nth: return n == 3 && (inline_pick(Op::NTH, 0, form, pos, n, tail), true);
    default: return false;
  }
}

// Each clause a literal {condition value ...} ({{key} value ...} for case) whose code sees no
// name of the prelude's frames. Only a value in tail position of a lambda may bind with `=`, and
// only names that no enclosing lambda has as a parameter: the prelude binds them in a frame of
// its own that ends with the select, and here nothing of this frame runs after the value either
// (as let_inlinable); the function it tail-calls sees them in both.
bool Compiler::clauses_inlinable(Value clauses, bool keyed, bool tail) const {
  bool may_bind = tail && kind_ == ProtoKind::kLambda;
  for (Value c = clauses; is_cons(c); c = cdr(c)) {
    Value clause = car(c);
    if (!is_qexpr(clause) || list_length(clause) < 2) return false;
    if (keyed && (!is_qexpr(car(clause)) || car(clause).is_empty_list())) return false;
    if (mentions(car(clause), {"=", "cs", "_l", "_y", "x", "eval"})) return false;
    if (mentions(cdr(clause), {"cs", "_l", "_y", "x", "eval"})) return false;
    std::vector<Symbol*> bound;
    if (!eq_bound_names(cdr(clause), &bound)) return false;
    for (Symbol* s : bound) {
      if (!may_bind || resolves_locally(s)) return false;
    }
  }
  return true;
}

// A literal body that sees neither of let's own names and binds with `=` only names that no
// enclosing lambda has as a parameter (those bindings go in this frame; the form is in tail
// position, so nothing of this frame runs after it).
bool Compiler::let_inlinable(Value body) const {
  if (!is_qexpr(body) || mentions(body, {"b", "_", "eval"})) return false;
  std::vector<Symbol*> bound;
  if (!eq_bound_names(body, &bound)) return false;
  for (Symbol* s : bound) {
    if (resolves_locally(s)) return false;
  }
  return true;
}

size_t Compiler::emit_guard(Op op, Value form, SrcPos pos, size_t n, bool tail) {
  CallStub st{pc(), form, pos, n, tail, 0, depth_, tail ? do_target_ : -1, try_level_};
  emit(op, 0, 0);
  emit_word(0);  // the stub, filled in by emit_call_stubs
  call_stubs_.push_back(st);
  return call_stubs_.size() - 1;
}

void Compiler::end_guarded(size_t stub) { call_stubs_[stub].end_pc = pc(); }

// (select {c1 v1} {c2 v2} ...): each condition, then its value (a tail call when the select is
// in tail position), else the next clause; none true: No selection found, placed at the form.
void Compiler::inline_select(Value form, SrcPos pos, size_t n, bool tail) {
  size_t stub = emit_guard(Op::SELECT, form, pos, n, tail);
  int base = depth_;
  std::vector<uint32_t> to_end;
  for (Value c = cdr(form); is_cons(c); c = cdr(c)) {
    Value clause = car(c);
    // Positions as the prelude's fst/snd evaluate the element: each form placed by its own head.
    expr(car(clause), SrcPos{}, false);
    mark(pos);  // a condition that is no integer is reported at the select, as the prelude's if is
    branch_after_comparison();
    uint32_t skip = pc();
    emit(Op::JMPF, 0, -1);
    expr(car(cdr(clause)), SrcPos{}, tail);
    if (!tail) {
      to_end.push_back(pc());
      emit(Op::JMP, 0, 0);
    }
    patch(skip, pc());
    depth_ = base;
  }
  mark(pos);
  emit(Op::FAIL, constant(make_string(vm_.heap(), "No selection found")), 0);
  for (uint32_t j : to_end) patch(j, pc());
  adjust(+1);
  end_guarded(stub);
}

// (case x {{k1} v1} ...): x once, then each key compared with it (==), the value of the first
// equal one; none: No case found, placed at the form.
void Compiler::inline_case(Value form, SrcPos pos, size_t n, bool tail) {
  size_t stub = emit_guard(Op::CASE, form, pos, n, tail);
  int base = depth_;
  expr(car(cdr(form)), cell_pos(cdr(form)), false);
  std::vector<uint32_t> to_end;
  for (Value c = cdr(cdr(form)); is_cons(c); c = cdr(c)) {
    Value clause = car(c);
    Value key = car(car(clause));
    uint32_t skip = pc();
    if (self_evaluating(key)) {
      emit(Op::CASEK, 0, -1);
      emit_word(constant(key));
    } else {
      expr(key, SrcPos{}, false);
      skip = pc();
      emit(Op::CASEJMP, 0, -1);
      emit(Op::POP, 0, -1);
    }
    expr(car(cdr(clause)), SrcPos{}, tail);
    if (!tail) {
      to_end.push_back(pc());
      emit(Op::JMP, 0, 0);
    }
    patch(skip, pc());
    depth_ = base + 1;
  }
  mark(pos);
  emit(Op::FAIL, constant(make_string(vm_.heap(), "No case found")), 0);
  for (uint32_t j : to_end) patch(j, pc());
  depth_ = base + 1;
  end_guarded(stub);
}

// (let {body}) in tail position: the body runs as this frame's tail.
void Compiler::inline_let(Value form, SrcPos pos, size_t n, bool tail) {
  size_t stub = emit_guard(Op::LET, form, pos, n, tail);
  body(car(cdr(form)), SrcPos{}, true);  // placed as the lambda let makes of it is
  end_guarded(stub);
}

// (try {body} handler): the handler is evaluated first, as the arguments of the builtin are, and
// kept in a frame slot of its own (Proto::ntry, one per level of nesting) while the body runs in
// this frame; nothing runs when the body ends. An error raised in the body (at any depth of
// calls) unwinds to the handler's call, placed after the prototype's code (emit_try_handlers),
// a TAILCALL when the try is in tail position (a loop retrying through its handler):
//   <handler> TRY s <body> end: ...        h: CALL 1  JMP end
// A handler written as a lambda literal is made only when an error comes (the closure it would
// be, over this frame: nothing the body does can tell the two apart); TRYFN only empties the slot:
//   TRYFN s <body> end: ...   h: CALL 1  JMP end   eager: <handler> TRY s  JMP body
// and `eager`, for when try or \ changed, makes it first and opens the try as TRY does.
void Compiler::inline_try(Value form, SrcPos pos, size_t n, bool tail) {
  (void)n;
  uint32_t start = pc();
  Value handler_cell = cdr(cdr(form));
  TryRange range{};
  range.slot = uint32_t(params_.size() + eq_slots_.size()) + uint32_t(try_level_);
  range.lambda = kNoLambda;
  uint32_t site = kNoSite;
  if (closure_literal(car(handler_cell))) {
    range.lambda = nested_lambda(car(handler_cell));
    range.open = pc();
    emit(Op::TRYFN, range.slot, 0);
  } else {
    expr(car(handler_cell), cell_pos(handler_cell), false);
    site = open_try(form, pos, start, &range);
  }
  range.height = uint32_t(depth_);
  if (++try_level_ > max_try_level_) max_try_level_ = try_level_;
  body(car(cdr(form)), cell_pos(cdr(form)), false);
  --try_level_;
  range.close = pc();
  if (site != kNoSite) x_->sites[site].end_pc = pc();
  try_handlers_.push_back(TryHandler{x_->tries.size(), form, pos, tail});
  x_->tries.push_back(range);
  ret(tail);
}

// TRY over the handler on top of the stack, with the site that calls what try means once it
// changed (with the body and the handler; its value goes where the body's would). Returns it.
uint32_t Compiler::open_try(Value form, SrcPos pos, uint32_t form_start, TryRange* range) {
  adjust(+2);  // room for try's name and body when the name changed and it is called
  adjust(-2);
  uint32_t site = add_site(car(form).as<Symbol>(), form_start, form, false);
  mark(pos);  // a handler that is no function is reported at the form
  range->open = pc();
  emit(Op::TRY, range->slot, -1);
  return site;
}

// (fst l), (snd l), (trd l), (nth n l): one instruction when the element evaluates to itself.
void Compiler::inline_pick(Op op, uint32_t index, Value form, SrcPos pos, size_t n, bool tail) {
  uint32_t start = pc();
  for (Value c = cdr(form); is_cons(c); c = cdr(c)) expr(car(c), cell_pos(c), false);
  adjust(+1);  // room for the function under its arguments when the definition runs
  adjust(-1);
  add_site(car(form).as<Symbol>(), start, form, false);
  mark(pos);
  emit(op, index, -int(n - 2));
  ret(tail);
}

// The guarded forms as ordinary calls (their names looked up), each ending where the inlined
// form ends. Compiling them may inline (and guard) forms nested in their arguments.
void Compiler::emit_call_stubs() {
  bool fuse = no_fuse_;
  no_fuse_ = true;
  for (; call_stubs_done_ < call_stubs_.size(); ++call_stubs_done_) {
    CallStub st = call_stubs_[call_stubs_done_];
    x_->code[st.guard_pc + 1] = pc();
    depth_ = st.depth;
    try_level_ = st.try_level;
    do_target_ = st.do_target;  // its DO is placed by now: exits jump there directly
    uint32_t start = pc();
    generic_call(st.form, st.pos, st.n, st.tail);
    do_target_ = -1;
    if (!st.tail) emit(Op::JMP, call_stubs_[call_stubs_done_].end_pc, 0);
    x_->stubs.push_back(StubRange{start, pc(), st.guard_pc});
  }
  try_level_ = 0;
  no_fuse_ = fuse;
}

// Each inlined try's handler call, reached only by an error unwinding into its body: the
// unwinding has put the handler and the error where the try's value goes. For a TRYFN, then the
// code that makes its handler first. Errors raised in either are raised at the TRY.
void Compiler::emit_try_handlers() {
  for (const TryHandler& h : try_handlers_) {
    uint32_t start = pc();
    x_->tries[h.range].handler = start;
    depth_ = int(x_->tries[h.range].height);
    adjust(+2);
    mark(h.pos);
    emit(h.tail ? Op::TAILCALL : Op::CALL, 1, -1);
    emit(Op::JMP, x_->tries[h.range].close, 0);
    if (x_->tries[h.range].lambda != kNoLambda) {
      TryRange t = x_->tries[h.range];
      x_->tries[h.range].eager = pc();
      depth_ = int(t.height);
      Value handler_cell = cdr(cdr(h.form));
      emit_closure(car(handler_cell), cell_pos(handler_cell), t.lambda);
      uint32_t site = open_try(h.form, h.pos, x_->tries[h.range].eager, &t);
      x_->sites[site].end_pc = t.close;
      emit(Op::JMP, x_->tries[h.range].open + 1, 0);
    }
    x_->stubs.push_back(StubRange{start, pc(), x_->tries[h.range].open});
  }
}

// ---- fused instructions ------------------------------------------------------------------

int Compiler::own_slot(const Symbol* s) const {
  if (!scope_.params) return -1;
  for (size_t i = 0; i < scope_.params->size(); ++i) {
    if ((*scope_.params)[i] == s) return int(i);
  }
  return -1;
}

// The operand in `cell`, found as symbol() finds a name of this frame.
Operand Compiler::operand_of(Value cell) const {
  Value form = car(cell);
  Operand o;
  o.pos = cell_pos(cell);
  if (form.is_fixnum() && form.fixnum_value() >= INT16_MIN && form.fixnum_value() <= INT16_MAX) {
    o.ok = true;
    o.value = int32_t(form.fixnum_value());
  } else if (is_symbol(form)) {
    int slot = own_slot(form.as<Symbol>());
    if (slot < 0 && (slot = eq_slot(form.as<Symbol>())) >= 0) o.eq_slot = true;
    o.ok = slot >= 0 && slot <= INT16_MAX;
    o.local = true;
    o.value = slot;
  }
  return o;
}

namespace {
Op comparison_op(WatchId id) {
  switch (id) {
    case WatchId::Lt: return Op::LT;
    case WatchId::Gt: return Op::GT;
    case WatchId::Le: return Op::LE;
    case WatchId::Ge: return Op::GE;
    case WatchId::Eq: return Op::EQ;
    case WatchId::Ne: return Op::NE;
    default: return Op::kCount;
  }
}
// The comparison with its operands swapped: (< 2 n) is (> n 2).
Op flipped(Op op) {
  switch (op) {
    case Op::LT: return Op::GT;
    case Op::GT: return Op::LT;
    case Op::LE: return Op::GE;
    case Op::GE: return Op::LE;
    default: return op;
  }
}
Op fused_compare(Op op, bool local_second) {
  static const Op lk[] = {Op::IFLT_LK, Op::IFGT_LK, Op::IFLE_LK, Op::IFGE_LK, Op::IFEQ_LK, Op::IFNE_LK};
  static const Op ll[] = {Op::IFLT_LL, Op::IFGT_LL, Op::IFLE_LL, Op::IFGE_LL, Op::IFEQ_LL, Op::IFNE_LL};
  int i = int(op) - int(Op::LT);
  return local_second ? ll[i] : lk[i];
}
}  // namespace

// (cmp x y) over a slot and a small integer or another slot, with cmp intact.
bool Compiler::fusable_if(Value cond, Op* fused, Stub* stub) {
  if (!is_scons(cond) || list_length(cond) != 3 || !is_symbol(car(cond))) return false;
  if (no_fuse_ || pc() >= kMaxFusedPc || stubs_.size() >= kMaxStubs) return false;
  Symbol* head = car(cond).as<Symbol>();
  if (resolves_locally(head) || !vm_.watch_intact(head)) return false;
  Op op = comparison_op(WatchId(head->watch));
  if (op == Op::kCount) return false;
  Operand x = operand_of(cdr(cond));
  Operand y = operand_of(cdr(cdr(cond)));
  if (!x.ok || !y.ok || (!x.local && !y.local)) return false;
  // an unbound `=` slot (undefined) would compare unequal to anything, not go to the stub
  if ((op == Op::EQ || op == Op::NE) && (x.eq_slot || y.eq_slot)) return false;
  Operand a = x, b = y;
  Op cmp = op;
  if (!x.local) {  // a constant first: compare the other way round
    a = y;
    b = x;
    cmp = flipped(op);
  }
  if (a.value > 0xff) return false;
  *fused = fused_compare(cmp, b.local);
  stub->op = op;
  stub->op_sym = head;
  stub->form = cond;
  stub->first = x;
  stub->second = y;
  stub->is_if = true;
  fused_operands_ = {a, b};  // the instruction's operands; the stub keeps the written order
  return true;
}

// (+ x y), (- x y), (* x y), (/ x y) or (% x y) over a slot and a small integer or another slot. + and *
// of a constant and a parameter, (* 2 x), fuse the other way round: both commute exactly, on
// integers and on doubles alike (the stub, which raises any error, keeps the written order).
bool Compiler::fusable_arith(Op op, Value form, Op* fused, Stub* stub) {
  struct Row {
    Op op, with_constant, with_parameter;
  };
  static const Row kFused[] = {{Op::ADD, Op::ADD_LK, Op::ADD_LL},
                               {Op::SUB, Op::SUB_LK, Op::SUB_LL},
                               {Op::MUL, Op::MUL_LK, Op::MUL_LL},
                               {Op::DIV, Op::DIV_LK, Op::DIV_LL},
                               {Op::MOD, Op::MOD_LK, Op::MOD_LL}};
  const Row* row = std::find_if(std::begin(kFused), std::end(kFused), [op](const Row& r) { return r.op == op; });
  if (row == std::end(kFused)) return false;
  if (no_fuse_ || pc() >= kMaxFusedPc || stubs_.size() >= kMaxStubs) return false;
  Operand x = operand_of(cdr(form));
  Operand y = operand_of(cdr(cdr(form)));
  if (!x.ok || !y.ok) return false;
  Operand a = x, b = y;
  if (!x.local && commutes(op)) std::swap(a, b);
  if (!a.local || a.value > 0xff) return false;  // the instruction's first operand is a slot
  *fused = b.local ? row->with_parameter : row->with_constant;
  stub->op = op;
  stub->op_sym = car(form).as<Symbol>();
  stub->form = form;
  stub->first = x;
  stub->second = y;
  stub->is_if = false;
  fused_operands_ = {a, b};  // the instruction's operands; the stub keeps the written order
  return true;
}

void Compiler::emit_fused(Op fused, const Stub& stub) {
  Stub s = stub;
  s.fused_pc = pc();
  s.depth = depth_;
  mark(s.pos);
  x_->code.push_back(encode_fused(fused, uint32_t(fused_operands_.first.value), fused_operands_.second.value));
  x_->code.push_back(0);  // target and stub, filled in later
  stubs_.push_back(s);
}

// The unfused code of every fused instruction: operands in the order written, the operator
// (with its inline site, for its slow path), for ifs the IF (with its site), then back.
void Compiler::emit_stubs() {
  for (Stub& s : stubs_) {
    uint32_t start = pc();
    x_->code[s.fused_pc + 1] = (x_->code[s.fused_pc + 1] & 0xffff) | (start << 16);
    depth_ = s.depth;
    for (const Operand& o : {s.first, s.second}) {
      if (o.eq_slot) {
        mark(o.pos);  // an unbound name's lookup, which may raise
        emit(Op::SLOT, uint32_t(o.value), +1);
      } else if (o.local) {
        emit(Op::LOCAL, uint32_t(o.value), +1);
      } else {
        emit(Op::INT, uint32_t(o.value) & kMaxOperand, +1);
      }
    }
    add_site(s.op_sym, start, s.form, false);
    mark(s.pos);
    emit(s.op, 0, -1);
    if (s.is_if) {
      uint32_t site = add_site(s.if_sym, start, s.if_form, s.if_tail);
      x_->sites[site].extra1 = constant(s.then_branch);
      x_->sites[site].extra2 = constant(s.else_branch);
      x_->sites[site].end_pc = s.if_end_pc;
      emit(Op::IF, s.target, -1);
    }
    emit(Op::JMP, s.fused_pc + 2, 0);
    x_->stubs.push_back(StubRange{start, pc(), s.fused_pc});
  }
  stubs_.clear();
}

// ---- whole prototypes --------------------------------------------------------------------

Value Compiler::finish(SrcPos pos) {
  emit_stubs();
  emit_call_stubs();
  emit_try_handlers();
  if (!error_.empty()) return make_error(vm_.heap(), error_);
  x_->pos = pos;
  uint32_t nparams = uint32_t(x_->params.size());
  Proto* p = make_proto(vm_.heap(), kind_, x_, uint32_t(max_depth_ + 1 + eq_slots_.size() + max_try_level_));
  x_ = nullptr;  // the proto owns it now
  if (nparams > 0xffff) return make_error(vm_.heap(), "too many parameters");
  p->nparams = uint16_t(params_.size());
  p->update_direct_nargs();
  p->nrequired = p->nparams;
  p->nslots = uint16_t(params_.size() + eq_slots_.size());
  if (p->nslots <= kHeldSlotLimit) p->held_mask = uint32_t((uint64_t(1) << p->nslots) - (uint64_t(1) << p->nparams));
  p->ntry = uint16_t(max_try_level_);
  if (makes_closures_) p->pflags |= protoflag::kMakesClosures;
  if (pos.known() && vm_.files().is_builtin(pos.file())) p->pflags |= protoflag::kBuiltinCode;
  p->module = module_;
  return Value::object(p);
}

Value Compiler::lambda(Value formals, Value lambda_body, SrcPos pos) {
  bool variadic = false;
  uint16_t nrequired = 0;
  for (Value f = formals; is_cons(f); f = cdr(f)) {
    Symbol* s = car(f).as<Symbol>();
    if (s->name() == "&") {
      variadic = true;
      continue;
    }
    params_.push_back(s);
    if (!variadic) ++nrequired;
  }
  // Names that become parameters can be bound by frames from now on (LANGUAGE.md 5).
  for (Symbol* s : params_) vm_.note_scope_binding(s, symflag::kParamBound);
  collect_eq_slots(lambda_body);
  x_->params = params_;
  x_->params.insert(x_->params.end(), eq_slots_.begin(), eq_slots_.end());
  if (!pos.known() && is_cons(lambda_body)) pos = cell_pos(lambda_body);
  module_ = vm_.module_of_pos(pos);
  // The body's call is placed at its first element, as for a lambda made at run time (fun): not
  // at the `{` a literal's body opens with, which may be lines above the call that failed.
  body(lambda_body, SrcPos{}, true);
  Value result = finish(pos);
  if (is_error(result)) return result;
  Proto* p = result.as<Proto>();
  p->nrequired = nrequired;
  if (variadic) p->pflags |= protoflag::kVariadic;
  p->update_direct_nargs();
  p->formals = formals;
  p->body = lambda_body;
  return result;
}

Value Compiler::chunk(Value code, SrcPos pos, CodeShape shape) {
  if (!pos.known() && is_cons(code)) pos = cell_pos(code);
  module_ = vm_.module_of_pos(pos);
  bool as_list = shape == CodeShape::kList && is_list(code);
  if (as_list) {
    body(code, pos, true);
  } else {
    expr(code, pos, true);
  }
  Value result = finish(pos);
  if (!is_error(result)) {
    result.as<Proto>()->body = code;
    if (as_list) result.as<Proto>()->pflags |= protoflag::kRunsList;
  }
  return result;
}

bool cached_matches(Value cached, ProtoKind kind, Value formals, CodeShape shape) {
  if (!is_obj(cached, ObjType::kProto)) return false;
  const Proto* p = cached.as<Proto>();
  if (p->kind != kind) return false;
  if (kind == ProtoKind::kLambda) return values_equal(p->formals, formals);
  return ((p->pflags & protoflag::kRunsList) != 0) == (shape == CodeShape::kList);
}

void cache_on(VM& vm, Value code, Value proto) {
  if (!is_cons(code) || !(code.obj()->flags & consflag::kHasSource)) return;
  code.as<SourceCons>()->code = proto;
  vm.heap().write_barrier(code.obj(), proto);
}

Value cached(Value code, ProtoKind kind, Value formals, CodeShape shape) {
  if (!is_cons(code) || !(code.obj()->flags & consflag::kHasSource)) return Value::undefined();
  Value c = code.as<SourceCons>()->code;
  return cached_matches(c, kind, formals, shape) ? c : Value::undefined();
}

}  // namespace

std::string check_formals(Value formals) {
  if (!is_qexpr(formals)) {
    return std::string("\\: parameters must be a Q-expression, got ") + type_name(formals);
  }
  for (Value f = formals; is_cons(f); f = cdr(f)) {
    Value name = car(f);
    if (!is_symbol(name)) return std::string("\\: cannot use ") + type_name(name) + " as a parameter";
    if (name.as<Symbol>()->name() != "&") continue;
    Value rest = cdr(f);
    if (!is_cons(rest) || !cdr(rest).is_empty_list() || !is_symbol(car(rest)) ||
        car(rest).as<Symbol>()->name() == "&") {
      return "Function format invalid. Symbol '&' not followed by single symbol.";
    }
  }
  return "";
}

Value compile_lambda(VM& vm, Value formals, Value body) {
  Value hit = cached(body, ProtoKind::kLambda, formals, CodeShape::kList);
  if (!hit.is_undefined()) return hit;
  static const Scope kOpaque{nullptr, nullptr, nullptr};
  Compiler c(vm, &kOpaque, ProtoKind::kLambda);
  Value proto = c.lambda(formals, body, SrcPos{});
  if (!is_error(proto)) cache_on(vm, body, proto);
  return proto;
}

Value compile_code(VM& vm, Value code, ProtoKind kind, SrcPos pos, CodeShape shape) {
  Value hit = cached(code, kind, Value::undefined(), shape);
  if (!hit.is_undefined()) return hit;
  Compiler c(vm, nullptr, kind);
  Value proto = c.chunk(code, pos, shape);
  if (!is_error(proto)) cache_on(vm, code, proto);
  return proto;
}

}  // namespace valk
