// make.cpp: constructors of heap values.
#include "value/make.h"

#include <cstring>

namespace valk {

Value make_int(Heap& heap, int64_t i) {
  if (Value::fits_fixnum(i)) return Value::fixnum(i);
  auto* b = static_cast<BoxedInt*>(heap.alloc(sizeof(BoxedInt), ObjType::kInt));
  b->value = i;
  return Value::object(b);
}

Value make_boxed_float(Heap& heap, double d) {
  auto* f = static_cast<BoxedFloat*>(heap.alloc(sizeof(BoxedFloat), ObjType::kFloat));
  f->value = d;
  return Value::object(f);
}

Value make_string(Heap& heap, std::string_view bytes) {
  auto* s = static_cast<String*>(heap.alloc(sizeof(String) + bytes.size() + 1, ObjType::kString));
  s->length = bytes.size();
  if (!bytes.empty()) std::memcpy(s->data(), bytes.data(), bytes.size());
  s->data()[bytes.size()] = '\0';
  return Value::object(s);
}

Value make_cons(Heap& heap, Value car, Value cdr, bool quoted) {
  auto* c = static_cast<Cons*>(heap.alloc(sizeof(Cons), ObjType::kCons));
  c->flags = quoted ? consflag::kQuoted : 0;
  c->car = car;
  c->cdr = cdr;
  heap.finish(c);
  return Value::object(c);
}

Value make_closure(Heap& heap, Value proto, Value env) {
  auto* c = static_cast<Closure*>(heap.alloc(sizeof(Closure), ObjType::kClosure));
  c->proto = proto;
  c->env = env;
  heap.finish(c);
  return Value::object(c);
}

Value make_source_cons(Heap& heap, Value car, Value cdr, bool quoted, SrcPos pos) {
  auto* c = static_cast<SourceCons*>(heap.alloc(sizeof(SourceCons), ObjType::kCons));
  c->flags = uint16_t((quoted ? consflag::kQuoted : 0) | consflag::kHasSource);
  c->car = car;
  c->cdr = cdr;
  c->pos = pos;
  c->code = Value::undefined();
  heap.finish(c);
  return Value::object(c);
}

Value make_list(Heap& heap, std::span<const Value> items, bool quoted) {
  Value list = quoted ? Value::nil() : Value::empty_sexpr();
  for (size_t i = items.size(); i-- > 0;) list = make_cons(heap, items[i], list, quoted);
  return list;
}

Value make_error(Heap& heap, std::string_view message) {
  Value msg = make_string(heap, message);
  auto* e = static_cast<ErrorObj*>(heap.alloc(sizeof(ErrorObj), ObjType::kError));
  e->message = msg;
  e->pos = SrcPos{};
  e->trace = Value::nil();
  e->data = Value::nil();
  e->frames = Value::nil();
  heap.finish(e);
  return Value::object(e);
}

void ListBuilder::push(Value item) {
  Value cell = make_cons(heap_, item, Value::undefined(), quoted_);
  if (head_.is_undefined()) {
    head_ = cell;
  } else {
    // No barrier: once an allocation is served old, every later one is too, until a safe point.
    last_.as<Cons>()->cdr = cell;
  }
  last_ = cell;
}

Value ListBuilder::finish(Value rest) {
  if (head_.is_undefined()) return rest;
  last_.as<Cons>()->cdr = rest;
  heap_.write_barrier(last_.obj(), rest);  // the last cell may have been allocated old
  return head_;
}

}  // namespace valk
