// make.h: constructors of values on the heap (integers, strings, lists, errors).
// None of them collects, so a builtin may hold their results in C++ locals until it returns.
#pragma once

#include <span>
#include <string_view>

#include "gc/heap.h"
#include "value/object.h"

namespace valk {

Value make_int(Heap& heap, int64_t i);
// A flonum when d fits one (no allocation), else a BoxedFloat.
Value make_boxed_float(Heap& heap, double d);
inline Value make_float(Heap& heap, double d) {
  Value v = Value::flonum_or_undefined(d);
  return v.is_undefined() ? make_boxed_float(heap, d) : v;
}
Value make_string(Heap& heap, std::string_view bytes);
Value make_cons(Heap& heap, Value car, Value cdr, bool quoted);
Value make_source_cons(Heap& heap, Value car, Value cdr, bool quoted, SrcPos pos);
// A list of the given elements: a Q-expression when quoted, else an S-expression.
Value make_list(Heap& heap, std::span<const Value> items, bool quoted);
// A function of the prototype `proto` closing over `env` (an Env, or undefined: nothing).
Value make_closure(Heap& heap, Value proto, Value env);
// An error carrying only a message; the VM adds the position and the call chain when it raises it.
Value make_error(Heap& heap, std::string_view message);

// Builds a list front to back. Only for use between two safe points (within one builtin): the
// cells it holds are not roots.
class ListBuilder {
 public:
  ListBuilder(Heap& heap, bool quoted) : heap_(heap), quoted_(quoted) {}
  void push(Value item);
  // Ends the list with `rest` (shared, not copied) and returns it.
  Value finish(Value rest);
  Value finish() { return finish(quoted_ ? Value::nil() : Value::empty_sexpr()); }

 private:
  Heap& heap_;
  bool quoted_;
  Value head_ = Value::undefined();
  Value last_ = Value::undefined();
};

}  // namespace valk
