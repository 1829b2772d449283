// dict.cpp: dictionary builtins: dict, get, assoc, dissoc, has?, keys, vals, dict/entries,
// dict/from-entries, dict? (len is in list.cpp). The trie itself is value/dict.cpp; dict/map,
// dict/filter and dict/foldl are prelude functions over dict/entries.
#include "lib/builtin.h"
#include "lib/check.h"
#include "value/dict.h"
#include "value/make.h"
#include "value/print.h"
#include "vm/vm.h"

namespace valk {

namespace {

Value check_dict(VM& vm, const char* fn, Value v) {
  return is_dict(v) ? Value::undefined() : arg_error(vm, fn, 0, "a Dict", v);
}

// One message for a call given a key without its value.
Value unpaired_error(VM& vm, const char* fn) {
  return vm.error(std::string(fn) + ": expected keys each followed by a value");
}

Value builtin_dict(VM& vm, Args a) {
  if (a.n % 2 != 0) return unpaired_error(vm, "dict");
  DictBuilder d(vm.heap());
  for (uint32_t i = 0; i < a.n; i += 2) d.add(a[i], a[i + 1]);
  return d.finish();
}

Value builtin_get(VM& vm, Args a) {
  if (Value e = check_dict(vm, "get", a[0]); !e.is_undefined()) return e;
  Value v = dict_get(a[0], a[1]);
  if (!v.is_undefined()) return v;
  if (a.n == 3) return a[2];
  return vm.error("get: no key " + readable_for_message(a[1]));
}

Value builtin_assoc(VM& vm, Args a) {
  if (Value e = check_dict(vm, "assoc", a[0]); !e.is_undefined()) return e;
  if (a.n % 2 != 1) return unpaired_error(vm, "assoc");
  Value d = a[0];
  for (uint32_t i = 1; i < a.n; i += 2) d = dict_assoc(vm.heap(), d, a[i], a[i + 1]);
  return d;
}

Value builtin_dissoc(VM& vm, Args a) {
  if (Value e = check_dict(vm, "dissoc", a[0]); !e.is_undefined()) return e;
  Value d = a[0];
  for (uint32_t i = 1; i < a.n; ++i) d = dict_dissoc(vm.heap(), d, a[i]);
  return d;
}

Value builtin_has(VM& vm, Args a) {
  if (Value e = check_dict(vm, "has?", a[0]); !e.is_undefined()) return e;
  return Value::fixnum(dict_get(a[0], a[1]).is_undefined() ? 0 : 1);
}

enum class Part { kKeys, kVals, kEntries };

template <Part P>
Value list_of(VM& vm, const char* fn, Args a) {
  if (Value e = check_dict(vm, fn, a[0]); !e.is_undefined()) return e;
  ListBuilder out(vm.heap(), true);
  dict_for_each(a[0], [&](Value k, Value v) {
    if constexpr (P == Part::kKeys) out.push(k);
    if constexpr (P == Part::kVals) out.push(v);
    if constexpr (P == Part::kEntries) {
      Value pair[] = {k, v};
      out.push(make_list(vm.heap(), pair, true));
    }
  });
  return out.finish();
}

Value builtin_keys(VM& vm, Args a) { return list_of<Part::kKeys>(vm, "keys", a); }
Value builtin_vals(VM& vm, Args a) { return list_of<Part::kVals>(vm, "vals", a); }
Value builtin_entries(VM& vm, Args a) { return list_of<Part::kEntries>(vm, "dict/entries", a); }

Value builtin_from_entries(VM& vm, Args a) {
  const char* fn = "dict/from-entries";
  if (!is_qexpr(a[0])) return arg_error(vm, fn, 0, "a Q-expression", a[0]);
  DictBuilder d(vm.heap());
  for (Value c = a[0]; is_cons(c); c = cdr(c)) {
    Value e = car(c);
    if (!is_qexpr(e) || list_length(e) != 2 || !cdr(cdr(e)).is_nil()) {
      return vm.error(std::string(fn) + ": each entry must be a Q-expression {key value}, got " +
                      readable_for_message(e));
    }
    d.add(car(e), car(cdr(e)));
  }
  return d.finish();
}

Value builtin_is_dict(VM&, Args a) { return Value::fixnum(is_dict(a[0]) ? 1 : 0); }

const BuiltinInfo kDict[] = {
    {"dict", "& kvs",
     "A dictionary of the keys and values given in turn: (dict \"a\" 1 \"b\" 2) prints as [\"a\" 1 \"b\" 2]. "
     "Any value is a key; keys equal under == (1 and 1.0) are one key, the later value wins.",
     0, -1, builtinflag::kCallBare, 0, builtin_dict, nullptr},
    {"get", "d k [default]",
     "The value of key k in the Dict d; when there is none, default if given, else an error.", 2, 3, 0, 0,
     builtin_get, nullptr},
    {"assoc", "d k v & kvs", "The Dict d with k bound to v (and each further key to its value); d is unchanged.",
     3, -1, 0, 0, builtin_assoc, nullptr},
    {"dissoc", "d & ks", "The Dict d without the keys ks (absent keys are ignored); d is unchanged.", 1, -1, 0,
     0, builtin_dissoc, nullptr},
    {"has?", "d k", "1 when the Dict d has the key k, else 0.", 2, 2, 0, 0, builtin_has, nullptr},
    {"keys", "d", "The keys of the Dict d as a Q-expression (in an order fixed by their hashes).", 1, 1, 0, 0,
     builtin_keys, nullptr},
    {"vals", "d", "The values of the Dict d as a Q-expression, in the order of keys.", 1, 1, 0, 0,
     builtin_vals, nullptr},
    {"dict/entries", "d", "The entries of the Dict d as a Q-expression of {key value}, in the order of keys.",
     1, 1, 0, 0, builtin_entries, nullptr},
    {"dict/from-entries", "l", "A Dict of the {key value} entries of the Q-expression l.", 1, 1, 0, 0,
     builtin_from_entries, nullptr},
    {"dict?", "x", "1 when x is a Dict, else 0.", 1, 1, 0, 0, builtin_is_dict, nullptr},
};

}  // namespace

constinit const std::span<const BuiltinInfo> dict_builtins{kDict};

}  // namespace valk
