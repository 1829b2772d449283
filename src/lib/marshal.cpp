// marshal.cpp: the marshal and unmarshal builtins and the codec behind them (docs/MARSHAL.md).
// Encoding walks the value with an explicit stack and numbers every object it writes, so a second
// meeting writes a back-reference (shared structure and cycles survive). Decoding allocates each
// object before its components and fills them from a worklist, then checks every field's type.
#include "lib/marshal.h"

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <unordered_map>
#include <vector>

#include "compile/compiler.h"
#include "config/limits.h"
#include "gc/trace.h"
#include "lib/builtin.h"
#include "lib/check.h"
#include "value/dict.h"
#include "value/make.h"
#include "value/print.h"
#include "value/table.h"
#include "value/types.h"
#include "vm/vm.h"

namespace valk {

// ---- encoder -----------------------------------------------------------------------------

namespace {

uint64_t mix_address(uint64_t a) {
  a ^= a >> 33;
  a *= 0xff51afd7ed558ccdull;
  a ^= a >> 33;
  return a;
}

// Numbers and the immediates are written by value; every other value is an object numbered
// in order of first meeting.
bool numbered(Value v) {
  return v.is_object() && v.obj()->type != ObjType::kInt && v.obj()->type != ObjType::kFloat;
}

}  // namespace

Encoder::Encoder(VM& vm, std::string& out) : vm_(vm), out_(out), memo_keys_(1024), memo_index_(1024) {}

void Encoder::varint(uint64_t v) {
  while (v >= 0x80) {
    out_.push_back(char(uint8_t(v) | 0x80));
    v >>= 7;
  }
  out_.push_back(char(v));
}

void Encoder::bytes(std::string_view s) {
  varint(s.size());
  out_.append(s);
}

void Encoder::f64(double d) {
  char b[8];
  std::memcpy(b, &d, 8);  // little-endian hosts only (x86-64, arm64), as the rest of the runtime
  out_.append(b, 8);
}

// 0: unknown; 1 then the name: a file not yet named; 2 + k: the k-th file named.
void Encoder::pos(SrcPos p) {
  if (!p.known()) {
    varint(0);
    return;
  }
  if (files_.size() <= p.file()) files_.resize(p.file() + 1, 0);
  uint32_t& k = files_[p.file()];
  if (k == 0) {
    k = ++nfiles_;
    varint(1);
    bytes(vm_.files().name(p.file()));
  } else {
    varint(1 + uint64_t(k));
  }
  varint(p.line());
  varint(p.col());
}

void Encoder::fail(Value v, std::string_view why) {
  if (!error_.empty()) return;
  error_ = "marshal: cannot marshal ";
  error_ += why.empty() ? std::string("a ") + type_name(v) + " " + readable_for_message(v) : std::string(why);
}

// True when v was written before (its back-reference is then written); else numbers it.
bool Encoder::seen(Value v) {
  if (memo_count_ * 2 >= memo_keys_.size()) {
    std::vector<uint64_t> keys(memo_keys_.size() * 2);
    std::vector<uint32_t> index(keys.size());
    for (size_t i = 0; i < memo_keys_.size(); ++i) {
      if (!memo_keys_[i]) continue;
      size_t j = mix_address(memo_keys_[i]) & (keys.size() - 1);
      while (keys[j]) j = (j + 1) & (keys.size() - 1);
      keys[j] = memo_keys_[i];
      index[j] = memo_index_[i];
    }
    memo_keys_.swap(keys);
    memo_index_.swap(index);
  }
  size_t mask = memo_keys_.size() - 1;
  for (size_t j = mix_address(v.bits()) & mask;; j = (j + 1) & mask) {
    if (memo_keys_[j] == v.bits()) {
      tag(Tag::kRef);
      varint(memo_index_[j]);
      return true;
    }
    if (!memo_keys_[j]) {
      memo_keys_[j] = v.bits();
      memo_index_[j] = uint32_t(memo_count_++);
      return false;
    }
  }
}

bool Encoder::encode(Value root) {
  stack_.push_back(root);
  while (!stack_.empty() && error_.empty()) {
    Value v = stack_.back();
    stack_.pop_back();
    if (v.is_fixnum()) {
      tag(Tag::kInt);
      varint(uint64_t(v.fixnum_value() << 1) ^ uint64_t(v.fixnum_value() >> 63));
      continue;
    }
    if (v.is_flonum()) {
      marshal_float(*this, v);
      continue;
    }
    if (v.is_nil() || v.is_empty_sexpr() || v.is_undefined()) {
      tag(v.is_nil() ? Tag::kNil : v.is_empty_sexpr() ? Tag::kEmptySexpr : Tag::kUndefined);
      continue;
    }
    if (numbered(v) && seen(v)) continue;
    auto hook = type_info(v.obj()->type).marshal;
    if (!hook) {
      fail(v, "");
      break;
    }
    size_t first = stack_.size();
    hook(*this, v);
    std::reverse(stack_.begin() + long(first), stack_.end());  // the first component on top
  }
  return error_.empty();
}

// ---- the hooks of the type table -----------------------------------------------------------

void marshal_int(Encoder& e, Value v) {
  int64_t i = int_value(v);
  e.tag(Tag::kInt);
  e.varint(uint64_t(i << 1) ^ uint64_t(i >> 63));
}

void marshal_float(Encoder& e, Value v) {
  e.tag(Tag::kFloat);
  e.f64(float_value(v));
}

void marshal_string(Encoder& e, Value v) {
  e.tag(Tag::kString);
  e.bytes(v.as<String>()->view());
}

void marshal_symbol(Encoder& e, Value v) {
  e.tag(Tag::kSymbol);
  e.bytes(v.as<Symbol>()->name());
}

void marshal_cons(Encoder& e, Value v) {
  bool quoted = (v.obj()->flags & consflag::kQuoted) != 0;
  if (v.obj()->flags & consflag::kHasSource) {
    e.tag(quoted ? Tag::kQConsAt : Tag::kSConsAt);
    e.pos(v.as<SourceCons>()->pos);
  } else {
    e.tag(quoted ? Tag::kQCons : Tag::kSCons);
  }
  e.child(car(v));
  e.child(cdr(v));
}

void marshal_builtin(Encoder& e, Value v) {
  e.tag(Tag::kBuiltin);
  e.bytes(v.as<Builtin>()->info->name);
}

// A prelude function still bound to its name travels as the name, so the receiver uses its own
// (with its native fast path); any other closure as its code and the frames it closed over.
void marshal_closure(Encoder& e, Value v) {
  auto* p = v.as<Closure>()->proto.as<Proto>();
  if ((p->pflags & protoflag::kBuiltinCode) && is_symbol(p->name) && p->name.as<Symbol>()->global == v) {
    e.tag(Tag::kGlobalFn);
    e.bytes(p->name.as<Symbol>()->name());
    return;
  }
  e.tag(Tag::kClosure);
  e.child(v.as<Closure>()->proto);
  e.child(v.as<Closure>()->env);
}

void marshal_partial(Encoder& e, Value v) {
  auto* p = v.as<Partial>();
  e.tag(Tag::kPartial);
  e.varint(p->aux);
  e.child(p->fn);
  for (uint32_t i = 0; i < p->aux; ++i) e.child(p->args()[i]);
}

void marshal_proto(Encoder& e, Value v) {
  auto* p = v.as<Proto>();
  if (p->kind != ProtoKind::kLambda || p->formals.is_undefined()) {
    e.fail(v, "compiled code that is not a lambda");
    return;
  }
  e.tag(Tag::kProto);
  e.child(p->formals);
  e.child(p->body);
  e.child(p->name);
}

void marshal_env(Encoder& e, Value v) {
  auto* env = v.as<Env>();
  e.tag(Tag::kEnv);
  e.varint(env->aux);
  e.child(env->proto);
  e.child(env->parent);
  e.child(env->extras);
  for (uint32_t i = 0; i < env->aux; ++i) e.child(env->slots()[i]);
}

void marshal_binding(Encoder& e, Value v) {
  auto* b = v.as<Binding>();
  e.tag(Tag::kBinding);
  e.bytes(b->sym->name());
  e.child(b->value);
  e.child(b->next);
}

void marshal_error(Encoder& e, Value v) {
  e.vm().settle_trace(v);  // the lines travel, not the recorded calls (they name this VM's symbols)
  auto* err = v.as<ErrorObj>();
  e.tag(Tag::kError);
  e.byte(uint8_t(err->flags));
  e.pos(err->pos);
  e.child(err->message);
  e.child(err->trace);
  e.child(err->data);
  e.child(err->frames);
}

void marshal_dict(Encoder& e, Value v) {
  e.tag(Tag::kDict);
  e.varint(dict_count(v));
  dict_for_each(v, [&](Value k, Value x) {
    e.child(k);
    e.child(x);
  });
}

void marshal_table(Encoder& e, Value v) {
  e.tag(Tag::kTable);
  e.varint(table_count(v));
  table_for_each(v, [&](Value k, Value x) {
    e.child(k);
    e.child(x);
  });
}

// A record keeps its type's descriptor {name field ...}: the receiver reads a copy of it and
// gives the record its own type of that name and fields (VM::intern_record_type), so the record
// prints, compares and reads its fields as before.
void marshal_record(Encoder& e, Value v) {
  auto* r = v.as<Record>();
  e.tag(Tag::kRecord);
  e.varint(r->aux);
  e.child(r->desc);
  for (uint32_t i = 0; i < r->aux; ++i) e.child(r->fields()[i]);
}

bool marshal_value(VM& vm, Value v, std::string* out, std::string* error) {
  out->assign(kMarshalMagic, sizeof kMarshalMagic);
  out->push_back(char(kMarshalVersion));
  Encoder e(vm, *out);
  if (e.encode(v)) return true;
  *error = e.error();
  return false;
}

// ---- decoder -----------------------------------------------------------------------------

namespace {

// Where a decoded value goes: a field of an object (holder, for the write barrier), or a scratch
// cell of the decoder (components of what is built only once they are all known).
struct Target {
  Object* holder;
  Value* slot;
  uint32_t scratch;
};

enum class Step : uint8_t {
  kValue,        // read one value into the target
  kFinishProto,  // compile scratch[a..a+2] (formals, body, name); it is object number b
  kFinishDict,   // fill the Dict `holder` (object number target.scratch) from the b pairs at scratch[a]
  kFinishTable,  // fill the Table `holder` likewise
};

struct Item {
  Step step;
  Target target;
  uint32_t a;
  uint32_t b;
};

class Decoder {
 public:
  Decoder(VM& vm, std::string_view in) : vm_(vm), heap_(vm.heap()), in_(in) {}
  Value run();
  bool failed() const { return !error_.empty(); }

 private:
  bool fail(size_t at, const std::string& what) {
    error_ = "unmarshal: " + what + " at offset " + std::to_string(at);
    return false;
  }
  bool truncated() { return fail(in_.size(), "truncated input"); }
  bool read_byte(uint8_t* b);
  bool read_varint(uint64_t* v);
  bool read_count(uint64_t* n, size_t min_bytes_each);
  bool read_text(std::string_view* s);
  bool read_pos(SrcPos* p);

  void deliver(const Target& t, Value v);
  void number(Value v, size_t at) {
    objs_.push_back(v);
    offsets_.push_back(uint32_t(at));
  }
  void want(Object* holder, Value* slot) { work_.push_back({Step::kValue, {holder, slot, 0}, 0, 0}); }
  void want_scratch(uint32_t i) { work_.push_back({Step::kValue, {nullptr, nullptr, i}, 0, 0}); }
  uint32_t scratch_room(uint32_t n);

  bool value(const Target& t);
  bool atom(Tag tag, size_t at, const Target& t);
  bool cons(Tag tag, size_t at, const Target& t);
  bool named(Tag tag, size_t at, const Target& t);
  bool closure(size_t at, const Target& t);
  bool partial(size_t at, const Target& t);
  bool proto(size_t at, const Target& t);
  bool env(size_t at, const Target& t);
  bool binding(size_t at, const Target& t);
  bool error(size_t at, const Target& t);
  bool record(size_t at, const Target& t);
  bool pairs(Tag tag, size_t at, const Target& t);
  bool reference(size_t at, const Target& t);
  bool finish_proto(const Item& it);
  bool finish_pairs(const Item& it);
  bool check(Value v, size_t at);
  bool acyclic();

  VM& vm_;
  Heap& heap_;
  std::string_view in_;
  size_t at_ = 0;
  std::vector<Item> work_;
  std::vector<Value> scratch_;
  std::vector<Value> objs_;        // numbered objects, in order (undefined: not yet complete)
  std::vector<uint32_t> offsets_;  // where each was written
  std::vector<std::string> files_;
  Value root_ = Value::undefined();
  std::string error_;
};

bool Decoder::read_byte(uint8_t* b) {
  if (at_ >= in_.size()) return truncated();
  *b = uint8_t(in_[at_++]);
  return true;
}

bool Decoder::read_varint(uint64_t* v) {
  size_t start = at_;
  *v = 0;
  for (int shift = 0;; shift += 7) {
    uint8_t b = 0;
    if (!read_byte(&b)) return false;
    if (shift == 63 && b > 1) return fail(start, "integer too large");
    *v |= uint64_t(b & 0x7f) << shift;
    if (!(b & 0x80)) return true;
  }
}

// A count of things that each take at least min_bytes_each more bytes: one larger than the input
// can hold is refused before anything is allocated for it.
bool Decoder::read_count(uint64_t* n, size_t min_bytes_each) {
  size_t start = at_;
  if (!read_varint(n)) return false;
  if (*n > (in_.size() - at_) / min_bytes_each) {
    return fail(start, "length " + std::to_string(*n) + " exceeds the input");
  }
  return true;
}

bool Decoder::read_text(std::string_view* s) {
  uint64_t n;
  if (!read_count(&n, 1)) return false;
  *s = in_.substr(at_, n);
  at_ += n;
  return true;
}

bool Decoder::read_pos(SrcPos* p) {
  size_t start = at_;
  uint64_t code, line, col;
  if (!read_varint(&code)) return false;
  if (code == 0) {
    *p = SrcPos{};
    return true;
  }
  if (code == 1) {
    std::string_view name;
    if (!read_text(&name)) return false;
    files_.emplace_back(name);
    code = 1 + files_.size();
  }
  if (code - 2 >= files_.size()) return fail(start, "file number " + std::to_string(code - 2) + " names no file");
  if (!read_varint(&line) || !read_varint(&col)) return false;
  *p = SrcPos::make(vm_.files().intern(files_[code - 2]), uint32_t(std::min<uint64_t>(line, UINT32_MAX)),
                    uint32_t(std::min<uint64_t>(col, UINT32_MAX)));
  return true;
}

void Decoder::deliver(const Target& t, Value v) {
  if (!t.slot) {
    scratch_[t.scratch] = v;
    return;
  }
  *t.slot = v;
  if (t.holder) heap_.write_barrier(t.holder, v);
}

uint32_t Decoder::scratch_room(uint32_t n) {
  auto base = uint32_t(scratch_.size());
  scratch_.resize(scratch_.size() + n, Value::undefined());
  return base;
}

bool Decoder::value(const Target& t) {
  size_t at = at_;
  uint8_t b = 0;
  if (!read_byte(&b)) return false;
  auto tag = Tag(b);
  switch (tag) {
    case Tag::kUndefined: deliver(t, Value::undefined()); return true;
    case Tag::kNil: deliver(t, Value::nil()); return true;
    case Tag::kEmptySexpr: deliver(t, Value::empty_sexpr()); return true;
    case Tag::kInt:
    case Tag::kFloat:
    case Tag::kString: return atom(tag, at, t);
    case Tag::kSymbol:
    case Tag::kBuiltin:
    case Tag::kGlobalFn: return named(tag, at, t);
    case Tag::kQCons:
    case Tag::kSCons:
    case Tag::kQConsAt:
    case Tag::kSConsAt: return cons(tag, at, t);
    case Tag::kClosure: return closure(at, t);
    case Tag::kPartial: return partial(at, t);
    case Tag::kProto: return proto(at, t);
    case Tag::kEnv: return env(at, t);
    case Tag::kBinding: return binding(at, t);
    case Tag::kError: return error(at, t);
    case Tag::kDict:
    case Tag::kTable: return pairs(tag, at, t);
    case Tag::kRef: return reference(at, t);
    case Tag::kRecord: return record(at, t);
  }
  char hex[8];
  std::snprintf(hex, sizeof hex, "0x%02x", b);
  return fail(at, std::string("bad tag ") + hex);
}

bool Decoder::atom(Tag tag, size_t at, const Target& t) {
  if (tag == Tag::kInt) {
    uint64_t z;
    if (!read_varint(&z)) return false;
    deliver(t, make_int(heap_, int64_t(z >> 1) ^ -int64_t(z & 1)));
    return true;
  }
  if (tag == Tag::kFloat) {
    if (in_.size() - at_ < 8) return truncated();
    double d;
    std::memcpy(&d, in_.data() + at_, 8);
    at_ += 8;
    deliver(t, make_float(heap_, d));
    return true;
  }
  std::string_view s;
  if (!read_text(&s)) return false;
  Value v = make_string(heap_, s);
  number(v, at);
  deliver(t, v);
  return true;
}

bool Decoder::named(Tag tag, size_t at, const Target& t) {
  std::string_view name;
  if (!read_text(&name)) return false;
  Value v = Value::undefined();
  if (tag == Tag::kSymbol) {
    v = Value::object(vm_.sym(name));
  } else if (tag == Tag::kBuiltin) {
    v = vm_.builtin_named(name);
    if (v.is_undefined()) return fail(at, "no builtin named `" + std::string(name) + "`");
  } else {
    Symbol* s = vm_.symbols().find(name);
    v = s ? s->global : Value::undefined();
    if (!is_closure(v) || !(v.as<Closure>()->proto.as<Proto>()->pflags & protoflag::kBuiltinCode)) {
      return fail(at, "no prelude function named `" + std::string(name) + "`");
    }
  }
  number(v, at);
  deliver(t, v);
  return true;
}

bool Decoder::cons(Tag tag, size_t at, const Target& t) {
  bool quoted = tag == Tag::kQCons || tag == Tag::kQConsAt;
  Cons* c;
  if (tag == Tag::kQConsAt || tag == Tag::kSConsAt) {
    SrcPos pos;
    if (!read_pos(&pos)) return false;
    auto* sc = static_cast<SourceCons*>(heap_.alloc(sizeof(SourceCons), ObjType::kCons));
    sc->flags = consflag::kHasSource;
    sc->pos = pos;
    sc->code = Value::undefined();
    c = sc;
  } else {
    c = static_cast<Cons*>(heap_.alloc(sizeof(Cons), ObjType::kCons));
  }
  if (quoted) c->flags |= consflag::kQuoted;
  c->car = c->cdr = Value::nil();
  number(Value::object(c), at);
  deliver(t, Value::object(c));
  want(c, &c->cdr);
  want(c, &c->car);
  return true;
}

bool Decoder::closure(size_t at, const Target& t) {
  auto* c = static_cast<Closure*>(heap_.alloc(sizeof(Closure), ObjType::kClosure));
  c->proto = c->env = Value::undefined();
  number(Value::object(c), at);
  deliver(t, Value::object(c));
  want(c, &c->env);
  want(c, &c->proto);
  return true;
}

bool Decoder::partial(size_t at, const Target& t) {
  uint64_t n;
  if (!read_count(&n, 1)) return false;
  auto* p = static_cast<Partial*>(heap_.alloc(sizeof(Partial) + 8 * n, ObjType::kPartial));
  p->aux = uint32_t(n);
  p->fn = Value::undefined();
  for (uint64_t i = 0; i < n; ++i) p->args()[i] = Value::nil();
  number(Value::object(p), at);
  deliver(t, Value::object(p));
  for (uint64_t i = n; i-- > 0;) want(p, &p->args()[i]);
  want(p, &p->fn);
  return true;
}

// Code is compiled again by the receiver once its formals, body and name are read; until then
// its number refers to nothing (a cycle through code is refused, see reference()).
bool Decoder::proto(size_t at, const Target& t) {
  uint32_t base = scratch_room(3);
  number(Value::undefined(), at);
  work_.push_back({Step::kFinishProto, t, base, uint32_t(objs_.size() - 1)});
  want_scratch(base + 2);
  want_scratch(base + 1);
  want_scratch(base);
  return true;
}

// The cells the compiler would walk in `body`, counting a shared list once per use, up to
// limits::kMaxUnmarshalCodeCells + 1; a list that contains itself counts as over the limit.
uint64_t code_cells(Value body) {
  constexpr uint64_t kOver = limits::kMaxUnmarshalCodeCells + 1;
  constexpr uint64_t kOnPath = ~uint64_t(0);
  std::unordered_map<const Object*, uint64_t> cells;  // done: the count; on the path: kOnPath
  std::vector<Value> path;
  auto count_of = [&](Value v) -> uint64_t {
    if (!is_cons(v)) return 0;
    auto found = cells.find(v.obj());
    return found == cells.end() ? 0 : found->second;
  };
  if (!is_cons(body)) return 0;
  path.push_back(body);
  cells[body.obj()] = kOnPath;
  while (!path.empty()) {
    Value cell = path.back();
    bool descended = false;
    for (Value child : {car(cell), cdr(cell)}) {
      if (!is_cons(child)) continue;
      auto found = cells.find(child.obj());
      if (found == cells.end()) {
        cells[child.obj()] = kOnPath;
        path.push_back(child);
        descended = true;
        break;
      }
      if (found->second == kOnPath) return kOver;
    }
    if (descended) continue;
    uint64_t n = 1 + count_of(car(cell)) + count_of(cdr(cell));
    cells[cell.obj()] = n > kOver ? kOver : n;
    path.pop_back();
  }
  return cells[body.obj()];
}

bool Decoder::finish_proto(const Item& it) {
  Value formals = scratch_[it.a], body = scratch_[it.a + 1], name = scratch_[it.a + 2];
  size_t at = offsets_[it.b];
  if (code_cells(formals) > limits::kMaxUnmarshalCodeCells) return fail(at, "malformed code: its parameters contain themselves");
  std::string problem = check_formals(formals);
  if (!problem.empty()) return fail(at, "malformed code: " + problem);
  if (!is_qexpr(body)) return fail(at, "malformed code: its body is not a Q-expression");
  if (!name.is_undefined() && !is_symbol(name)) return fail(at, "malformed code: its name is not a symbol");
  if (code_cells(body) > limits::kMaxUnmarshalCodeCells) {
    return fail(at, "malformed code: its body has more than " + std::to_string(limits::kMaxUnmarshalCodeCells) +
                        " cells, or contains itself");
  }
  Value p = compile_lambda(vm_, formals, body);
  if (is_error(p)) return fail(at, "malformed code: " + std::string(p.as<ErrorObj>()->message.as<String>()->view()));
  p.as<Proto>()->name = name;
  scratch_.resize(it.a);
  objs_[it.b] = p;
  deliver(it.target, p);
  return true;
}

bool Decoder::env(size_t at, const Target& t) {
  uint64_t n;
  if (!read_count(&n, 1)) return false;
  auto* e = static_cast<Env*>(heap_.alloc(sizeof(Env) + 8 * n, ObjType::kEnv));
  e->aux = uint32_t(n);
  e->flags = envflag::kFrozen;  // a copy: no frame of this isolate runs in it
  e->proto = e->parent = e->extras = Value::undefined();
  for (uint64_t i = 0; i < n; ++i) e->slots()[i] = Value::undefined();
  number(Value::object(e), at);
  deliver(t, Value::object(e));
  for (uint64_t i = n; i-- > 0;) want(e, &e->slots()[i]);
  want(e, &e->extras);
  want(e, &e->parent);
  want(e, &e->proto);
  return true;
}

bool Decoder::binding(size_t at, const Target& t) {
  std::string_view name;
  if (!read_text(&name)) return false;
  auto* b = static_cast<Binding*>(heap_.alloc(sizeof(Binding), ObjType::kBinding));
  b->sym = vm_.sym(name);
  vm_.note_scope_binding(b->sym, symflag::kEqBound);  // lookups must now look in frames for it
  b->value = b->next = Value::undefined();
  number(Value::object(b), at);
  deliver(t, Value::object(b));
  want(b, &b->next);
  want(b, &b->value);
  return true;
}

bool Decoder::error(size_t at, const Target& t) {
  uint8_t flags = 0;
  SrcPos pos;
  if (!read_byte(&flags) || !read_pos(&pos)) return false;
  auto* e = static_cast<ErrorObj*>(heap_.alloc(sizeof(ErrorObj), ObjType::kError));
  e->flags = flags & errflag::kRaised;  // an interrupt stays where it happened
  e->pos = pos;
  e->message = Value::undefined();
  e->trace = e->data = e->frames = Value::nil();
  number(Value::object(e), at);
  deliver(t, Value::object(e));
  want(e, &e->frames);
  want(e, &e->data);
  want(e, &e->trace);
  want(e, &e->message);
  return true;
}

bool Decoder::record(size_t at, const Target& t) {
  uint64_t n;
  if (!read_count(&n, 1)) return false;
  auto* r = static_cast<Record*>(heap_.alloc(sizeof(Record) + 8 * n, ObjType::kRecord));
  r->aux = uint32_t(n);
  r->desc = Value::nil();
  for (uint64_t i = 0; i < n; ++i) r->fields()[i] = Value::nil();
  number(Value::object(r), at);
  deliver(t, Value::object(r));
  for (uint64_t i = n; i-- > 0;) want(r, &r->fields()[i]);
  want(r, &r->desc);
  return true;
}

// Dictionaries and tables: the object first (so references to it resolve), its entries once all
// keys and values are read.
bool Decoder::pairs(Tag tag, size_t at, const Target& t) {
  uint64_t n;
  if (!read_count(&n, 2)) return false;
  Value holder = tag == Tag::kDict ? dict_empty(heap_) : table_new(heap_);
  number(holder, at);
  deliver(t, holder);
  uint32_t base = scratch_room(uint32_t(2 * n));
  work_.push_back({tag == Tag::kDict ? Step::kFinishDict : Step::kFinishTable,
                   {holder.obj(), nullptr, uint32_t(objs_.size() - 1)},
                   base, uint32_t(n)});
  for (uint64_t i = 2 * n; i-- > 0;) want_scratch(base + uint32_t(i));
  return true;
}

bool Decoder::finish_pairs(const Item& it) {
  Value holder = Value::object(it.target.holder);
  for (uint32_t i = 0; i < 2 * it.b; ++i) {
    if (scratch_[it.a + i].is_undefined()) return fail(offsets_[it.target.scratch], "malformed entry: an empty slot");
  }
  if (it.step == Step::kFinishTable) {
    for (uint32_t i = 0; i < it.b; ++i) table_set(heap_, holder, scratch_[it.a + 2 * i], scratch_[it.a + 2 * i + 1]);
  } else {
    DictBuilder entries(heap_);
    for (uint32_t i = 0; i < it.b; ++i) entries.add(scratch_[it.a + 2 * i], scratch_[it.a + 2 * i + 1]);
    Value d = entries.finish();
    auto* shell = holder.as<Dict>();
    shell->root = d.as<Dict>()->root;
    shell->count = d.as<Dict>()->count;
    heap_.write_barrier(shell, shell->root);
  }
  scratch_.resize(it.a);
  return true;
}

bool Decoder::reference(size_t at, const Target& t) {
  uint64_t i;
  if (!read_varint(&i)) return false;
  if (i >= objs_.size()) return fail(at, "back-reference " + std::to_string(i) + " names no earlier value");
  if (objs_[i].is_undefined()) return fail(at, "back-reference " + std::to_string(i) + " to code not yet complete");
  deliver(t, objs_[i]);
  return true;
}

// The fields of a decoded object have the types the runtime relies on (the input may have been
// made by anyone): checked once every object is complete.
bool Decoder::check(Value v, size_t at) {
  auto bad = [&](const char* what) { return fail(at, std::string("malformed ") + what); };
  auto defined = [](Value x) { return !x.is_undefined(); };
  auto env_or_none = [](Value x) { return x.is_undefined() || is_obj(x, ObjType::kEnv); };
  switch (v.obj()->type) {
    case ObjType::kCons:
      if (!defined(car(v)) || !is_list(cdr(v))) return bad("list cell");
      return true;
    case ObjType::kClosure:
      if (!is_obj(v.as<Closure>()->proto, ObjType::kProto) || !env_or_none(v.as<Closure>()->env))
        return bad("function");
      return true;
    case ObjType::kPartial: {
      auto* p = v.as<Partial>();
      if (!is_closure(p->fn) && !is_builtin(p->fn)) return bad("partial application");
      for (uint32_t i = 0; i < p->aux; ++i) {
        if (!defined(p->args()[i])) return bad("partial application");
      }
      return true;
    }
    case ObjType::kEnv: {
      auto* e = v.as<Env>();
      if (!is_obj(e->proto, ObjType::kProto) || e->proto.as<Proto>()->nparams != e->aux ||
          !env_or_none(e->parent) || !(e->extras.is_undefined() || is_obj(e->extras, ObjType::kBinding)))
        return bad("frame");
      for (uint32_t i = 0; i < e->aux; ++i) {
        if (!defined(e->slots()[i])) return bad("frame");
      }
      return true;
    }
    case ObjType::kBinding: {
      auto* b = v.as<Binding>();
      if (!defined(b->value) || !(b->next.is_undefined() || is_obj(b->next, ObjType::kBinding)))
        return bad("binding");
      return true;
    }
    case ObjType::kError: {
      Value trace = v.as<ErrorObj>()->trace;
      if (!is_string(v.as<ErrorObj>()->message) || !proper_qlist(trace) ||
          v.as<ErrorObj>()->data.is_undefined() || !proper_qlist(v.as<ErrorObj>()->frames))
        return bad("error");
      for (; is_cons(trace); trace = cdr(trace)) {
        if (!is_string(car(trace))) return bad("error");  // describe_error prints each line
      }
      return true;
    }
    case ObjType::kRecord: {
      auto* r = v.as<Record>();
      // The printer and the accessors read the descriptor as {name field ...}, one per field.
      if (!is_record_type(r->desc) || list_length(r->desc) != size_t(r->aux) + 1) return bad("record");
      for (uint32_t i = 0; i < r->aux; ++i) {
        if (!defined(r->fields()[i])) return bad("record");
      }
      return true;
    }
    case ObjType::kHandle:
    case ObjType::kString:
    case ObjType::kSymbol:
    case ObjType::kBuiltin:
    case ObjType::kProto:
    case ObjType::kDict:
    case ObjType::kTable:
    case ObjType::kInt:
    case ObjType::kFloat:
    case ObjType::kFree:
    case ObjType::kResidue:
    case ObjType::kFuture:
    case ObjType::kFiber:
    case ObjType::kStrBuilder:
    case ObjType::kDictNode:
    case ObjType::kCount: return true;  // complete when made, or never decoded
  }
  return true;
}

// Values Valk cannot change once made: no program can make one contain itself, and the list
// functions and the printer walk them to the end. Cycles are for frames and tables.
bool immutable_value(const Object* o) {
  ObjType t = o->type;
  return t == ObjType::kCons || t == ObjType::kDict || t == ObjType::kDictNode || t == ObjType::kRecord ||
         t == ObjType::kError || t == ObjType::kPartial;
}

// Input may close a loop through immutable values (a list whose tail is itself): refused, as
// printing or walking it would never end. A depth-first walk (iterative: lists run deep).
bool Decoder::acyclic() {
  enum : uint8_t { kUnseen = 0, kOnPath = 1, kDone = 2 };
  std::unordered_map<const Object*, uint8_t> state;
  state.reserve(objs_.size() * 2);
  struct Step {
    Object* o;
    std::vector<Object*> children;
    size_t next = 0;
  };
  std::vector<Step> path;
  auto enter = [&](Object* o) {
    state[o] = kOnPath;
    Step step{o, {}, 0};
    trace_fields(o, [&](Value& c) {
      if (c.is_object() && immutable_value(c.obj())) step.children.push_back(c.obj());
    });
    path.push_back(std::move(step));
  };
  for (size_t i = 0; i < objs_.size(); ++i) {
    if (!objs_[i].is_object() || !immutable_value(objs_[i].obj()) || state[objs_[i].obj()] != kUnseen) continue;
    enter(objs_[i].obj());
    while (!path.empty()) {
      if (path.back().next == path.back().children.size()) {
        state[path.back().o] = kDone;
        path.pop_back();
        continue;
      }
      Object* child = path.back().children[path.back().next++];
      uint8_t seen = state[child];
      if (seen == kOnPath) return fail(offsets_[i], "malformed value: a list, dictionary or record that contains itself");
      if (seen == kUnseen) enter(child);
    }
  }
  return true;
}

Value Decoder::run() {
  if (in_.size() < sizeof kMarshalMagic + 1 || std::memcmp(in_.data(), kMarshalMagic, sizeof kMarshalMagic) != 0) {
    fail(0, "not a marshalled value (bad magic)");
    return vm_.error(error_);
  }
  at_ = sizeof kMarshalMagic;
  if (uint8_t(in_[at_]) != kMarshalVersion) {
    fail(at_, "unsupported format version " + std::to_string(uint8_t(in_[at_])) + " (this build reads version " +
                  std::to_string(kMarshalVersion) + ")");
    return vm_.error(error_);
  }
  ++at_;
  work_.push_back({Step::kValue, {nullptr, &root_, 0}, 0, 0});
  bool ok = true;
  while (ok && !work_.empty()) {
    Item it = work_.back();
    work_.pop_back();
    if (it.step == Step::kValue) ok = value(it.target);
    else if (it.step == Step::kFinishProto) ok = finish_proto(it);
    else ok = finish_pairs(it);
  }
  if (ok && at_ != in_.size()) ok = fail(at_, "trailing bytes");
  if (ok && root_.is_undefined()) ok = fail(sizeof kMarshalMagic + 1, "malformed value: an empty slot");
  if (ok) ok = acyclic();  // first: the checks walk lists
  for (size_t i = 0; ok && i < objs_.size(); ++i) ok = check(objs_[i], offsets_[i]);
  if (!ok) return vm_.error(error_);
  // A record's descriptor is a copy: the type of that name and fields in this VM is the one it
  // gets, so the record compares equal to its original and the type's accessors take it.
  // Records of one type share one descriptor in the bytes: it is looked up once, not per record.
  Value copy = Value::undefined(), type = Value::undefined();
  for (Value v : objs_) {
    if (!is_record(v)) continue;
    Record* r = v.as<Record>();
    if (r->desc != copy) {
      copy = r->desc;
      type = vm_.intern_record_type(copy);
    }
    r->desc = type;
    heap_.write_barrier(r, type);
  }
  return root_;
}

}  // namespace

Value unmarshal_value(VM& vm, std::string_view bytes, bool* failed) {
  Decoder d(vm, bytes);
  Value v = d.run();
  if (failed) *failed = d.failed();
  return v;
}

// ---- builtins ------------------------------------------------------------------------------

namespace {

Value builtin_marshal(VM& vm, Args a) {
  std::string out, error;
  if (!marshal_value(vm, a[0], &out, &error)) return vm.error(error);
  if (out.size() > memory_limit(vm)) return vm.error("marshal: out of memory");
  return make_string(vm.heap(), out);
}

// Native, because its result may be an Error value (a caught error that was marshalled): a plain
// builtin returning an Error raises it.
NativeResult native_unmarshal(VM& vm, uint32_t fi, Value) {
  Value s = vm.slot(fi, 0);
  if (!is_string(s)) return NativeResult::error(arg_error(vm, "unmarshal", 0, "a String", s));
  bool failed = false;
  Value v = unmarshal_value(vm, s.as<String>()->view(), &failed);
  return failed ? NativeResult::error(v) : NativeResult::ret(v);
}

const BuiltinInfo kMarshal[] = {
    {"marshal", "v",
     "The bytes of v as a String, for unmarshal (here or in another isolate): numbers, strings, symbols, "
     "lists, dictionaries, tables, errors and functions with what they closed over, sharing and cycles "
     "kept. Futures, fibers and string builders cannot be marshalled: an error names them.",
     1, 1, 0, 0, builtin_marshal, nullptr},
    {"unmarshal", "s",
     "The value whose bytes marshal made. Bytes that marshal did not make are an error naming the offset "
     "of the problem.",
     1, 1, 0, 0, nullptr, native_unmarshal},
};

}  // namespace

constinit const std::span<const BuiltinInfo> marshal_builtins{kMarshal};

}  // namespace valk
