// table.cpp: builtins of the mutable hash table (value/table.h): table, table/set!,
// table/get, table/has?, table/del!, table/keys, table/vals, table/to-dict, table?.
// The persistent Dict (lib/dict.cpp) is the default; a table is for hot loops that build or
// count in place.
#include "lib/builtin.h"
#include "lib/check.h"
#include "value/dict.h"
#include "value/make.h"
#include "value/print.h"
#include "value/table.h"
#include "vm/vm.h"

namespace valk {

namespace {

Value check_table(VM& vm, const char* fn, Value v) {
  return is_table(v) ? Value::undefined() : arg_error(vm, fn, 0, "a Table", v);
}

Value builtin_table(VM& vm, Args a) {
  if (a.n % 2 != 0) return vm.error("table: expected keys each followed by a value");
  Value t = table_new(vm.heap());
  for (uint32_t i = 0; i < a.n; i += 2) table_set(vm.heap(), t, a[i], a[i + 1]);
  return t;
}

Value builtin_set(VM& vm, Args a) {
  if (Value e = check_table(vm, "table/set!", a[0]); !e.is_undefined()) return e;
  table_set(vm.heap(), a[0], a[1], a[2]);
  return Value::empty_sexpr();
}

Value builtin_get(VM& vm, Args a) {
  if (Value e = check_table(vm, "table/get", a[0]); !e.is_undefined()) return e;
  Value v = table_get(a[0], a[1]);
  if (!v.is_undefined()) return v;
  if (a.n == 3) return a[2];
  return vm.error("table/get: no key " + readable_for_message(a[1]));
}

Value builtin_has(VM& vm, Args a) {
  if (Value e = check_table(vm, "table/has?", a[0]); !e.is_undefined()) return e;
  return Value::fixnum(table_get(a[0], a[1]).is_undefined() ? 0 : 1);
}

Value builtin_del(VM& vm, Args a) {
  if (Value e = check_table(vm, "table/del!", a[0]); !e.is_undefined()) return e;
  return Value::fixnum(table_delete(a[0], a[1]) ? 1 : 0);
}

template <bool Keys>
Value list_of(VM& vm, const char* fn, Args a) {
  if (Value e = check_table(vm, fn, a[0]); !e.is_undefined()) return e;
  ListBuilder out(vm.heap(), true);
  table_for_each(a[0], [&](Value k, Value v) { out.push(Keys ? k : v); });
  return out.finish();
}

Value builtin_keys(VM& vm, Args a) { return list_of<true>(vm, "table/keys", a); }
Value builtin_vals(VM& vm, Args a) { return list_of<false>(vm, "table/vals", a); }

Value builtin_to_dict(VM& vm, Args a) {
  if (Value e = check_table(vm, "table/to-dict", a[0]); !e.is_undefined()) return e;
  DictBuilder d(vm.heap());
  table_for_each(a[0], [&](Value k, Value v) { d.add(k, v); });
  return d.finish();
}

Value builtin_is_table(VM&, Args a) { return Value::fixnum(is_table(a[0]) ? 1 : 0); }

const BuiltinInfo kTable[] = {
    {"table", "& kvs",
     "A new mutable Table of the keys and values given in turn ((table) is empty). Unlike a Dict it "
     "changes in place (table/set!, table/del!); keys compare with ==.",
     0, -1, builtinflag::kCallBare, 0, builtin_table, nullptr},
    {"table/set!", "t k v", "Binds k to v in the Table t, in place; returns ().", 3, 3, 0, 0, builtin_set,
     nullptr},
    {"table/get", "t k [default]",
     "The value of key k in the Table t; when there is none, default if given, else an error.", 2, 3, 0, 0,
     builtin_get, nullptr},
    {"table/has?", "t k", "1 when the Table t has the key k, else 0.", 2, 2, 0, 0, builtin_has, nullptr},
    {"table/del!", "t k", "Removes k from the Table t, in place; 1 when it was there, else 0.", 2, 2, 0, 0,
     builtin_del, nullptr},
    {"table/keys", "t", "The keys of the Table t as a Q-expression (in no particular order).", 1, 1, 0, 0,
     builtin_keys, nullptr},
    {"table/vals", "t", "The values of the Table t as a Q-expression, in the order of table/keys.", 1, 1, 0,
     0, builtin_vals, nullptr},
    {"table/to-dict", "t", "A Dict of the Table t's entries as they are now.", 1, 1, 0, 0, builtin_to_dict,
     nullptr},
    {"table?", "x", "1 when x is a Table, else 0.", 1, 1, 0, 0, builtin_is_table, nullptr},
};

}  // namespace

constinit const std::span<const BuiltinInfo> table_builtins{kTable};

}  // namespace valk
