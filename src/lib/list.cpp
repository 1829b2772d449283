// list.cpp: list builtins: list, head, tail, init, cons, join, len, range, repeat. Lists are
// immutable chains of cells, so tail and the last list of join are shared, never copied.
#include "lib/builtin.h"
#include "lib/check.h"
#include "value/dict.h"
#include "value/make.h"
#include "vm/vm.h"

namespace valk {

namespace {

Value builtin_list(VM& vm, Args a) {
  return make_list(vm.heap(), std::span<const Value>(a.v, a.n), true);
}

Value nonempty_qexpr(VM& vm, const char* fn, Value l) {
  if (!is_qexpr(l)) return arg_error(vm, fn, 0, "a Q-expression", l);
  if (l.is_nil()) return vm.error(std::string(fn) + ": expected a non-empty Q-expression, got {}");
  return Value::undefined();
}

Value builtin_head(VM& vm, Args a) {
  if (Value e = nonempty_qexpr(vm, "head", a[0]); !e.is_undefined()) return e;
  return make_cons(vm.heap(), car(a[0]), Value::nil(), true);
}

Value builtin_tail(VM& vm, Args a) {
  if (Value e = nonempty_qexpr(vm, "tail", a[0]); !e.is_undefined()) return e;
  return cdr(a[0]);
}

Value builtin_init(VM& vm, Args a) {
  if (Value e = nonempty_qexpr(vm, "init", a[0]); !e.is_undefined()) return e;
  ListBuilder out(vm.heap(), true);
  for (Value c = a[0]; is_cons(cdr(c)); c = cdr(c)) out.push(car(c));
  return out.finish();
}

Value builtin_cons(VM& vm, Args a) {
  if (!is_qexpr(a[1])) return arg_error(vm, "cons", 1, "a Q-expression", a[1]);
  return make_cons(vm.heap(), a[0], a[1], true);
}

Value builtin_join(VM& vm, Args a) {
  for (uint32_t i = 0; i < a.n; ++i) {
    if (!is_qexpr(a[i])) return arg_error(vm, "join", i, "a Q-expression", a[i]);
  }
  ListBuilder out(vm.heap(), true);
  for (uint32_t i = 0; i + 1 < a.n; ++i) {
    for (Value c = a[i]; is_cons(c); c = cdr(c)) out.push(car(c));
  }
  return out.finish(a[a.n - 1]);
}

Value builtin_len(VM& vm, Args a) {
  if (is_string(a[0])) return make_int(vm.heap(), int64_t(a[0].as<String>()->length));
  if (is_list(a[0])) return make_int(vm.heap(), int64_t(list_length(a[0])));
  if (is_dict(a[0])) return make_int(vm.heap(), int64_t(dict_count(a[0])));
  if (is_table(a[0])) return make_int(vm.heap(), int64_t(a[0].as<Table>()->count));
  return arg_error(vm, "len", 0, "a Q-expression, a String, a Dict or a Table", a[0]);
}

Value builtin_range(VM& vm, Args a) {
  for (uint32_t i = 0; i < 2; ++i) {
    if (!is_int(a[i])) return arg_error(vm, "range", i, "an Integer", a[i]);
  }
  int64_t from = int_value(a[0]), to = int_value(a[1]);
  if (from >= to) return Value::nil();
  uint64_t count = uint64_t(to) - uint64_t(from);
  if (count > memory_limit(vm) / sizeof(Cons)) return vm.error("out of memory");
  Value list = Value::nil();
  for (uint64_t k = count; k-- > 0;) {
    int64_t i = int64_t(uint64_t(from) + k);
    list = make_cons(vm.heap(), make_int(vm.heap(), i), list, true);
  }
  return list;
}

// (repeat f n): calls (f 0) ... (f n-1) in order. Slots: 0 f, 1 n, 2 next index.
NativeResult native_repeat(VM& vm, uint32_t fi, Value) {
  Frame& f = vm.frame(fi);
  if (f.step == 0) {
    if (!is_function(vm.slot(fi, 0))) return NativeResult::error(arg_error(vm, "repeat", 0, "a Function", vm.slot(fi, 0)));
    if (!is_int(vm.slot(fi, 1))) return NativeResult::error(arg_error(vm, "repeat", 1, "an Integer", vm.slot(fi, 1)));
    vm.slot(fi, 2) = Value::fixnum(0);
    f.step = 1;
  }
  int64_t i = vm.slot(fi, 2).fixnum_value();
  if (i >= int_value(vm.slot(fi, 1))) return NativeResult::ret(Value::nil());
  vm.slot(fi, 2) = Value::fixnum(i + 1);
  vm.push(vm.slot(fi, 0));
  vm.push(Value::fixnum(i));
  return NativeResult::call(1);
}

const BuiltinInfo kList[] = {
    {"list", "& xs", "A Q-expression of the arguments: (list 1 2 3) is {1 2 3}.", 0, -1, 0, 0, builtin_list,
     nullptr},
    {"head", "l", "A Q-expression holding the first element of l: (head {1 2 3}) is {1}.", 1, 1, 0, 0,
     builtin_head, nullptr},
    {"tail", "l", "l without its first element: (tail {1 2 3}) is {2 3}.", 1, 1, 0, 0, builtin_tail,
     nullptr},
    {"init", "l", "l without its last element: (init {1 2 3}) is {1 2}.", 1, 1, 0, 0, builtin_init, nullptr},
    {"cons", "x l", "l with x in front: (cons 1 {2 3}) is {1 2 3}.", 2, 2, 0, 0, builtin_cons, nullptr},
    {"join", "l & ls", "The Q-expressions joined in order: (join {1} {2 3}) is {1 2 3}.", 1, -1, 0, 0,
     builtin_join, nullptr},
    {"len", "x", "The number of elements of a list, of bytes of a String, or of entries of a Dict or Table.", 1, 1, 0, 0, builtin_len,
     nullptr},
    {"range", "from to", "The integers from `from` up to, not including, `to`: (range 1 4) is {1 2 3}.",
     2, 2, 0, 0, builtin_range, nullptr},
    {"repeat", "f n", "Calls (f 0), (f 1) ... (f n-1) in order, for their effects. Returns {}.", 2, 2, 0, 1,
     nullptr, native_repeat},
};

}  // namespace

constinit const std::span<const BuiltinInfo> list_builtins{kList};

}  // namespace valk
