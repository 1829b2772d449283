// introspect.cpp: builtins that look at values and bindings: type, a predicate per type (those
// not kept with their area: int? float? number? in math.cpp, dict? table? error? beside theirs),
// and vm/names.
#include "lib/introspect.h"

#include <algorithm>

#include "lib/builtin.h"
#include "lib/check.h"
#include "value/make.h"
#include "vm/vm.h"

namespace valk {

const char* type_symbol_name(Value v) { return type_name(v); }

namespace {

constexpr TypePredicate kPredicates[] = {
    {"Integer", "int?"},      {"Float", "float?"},          {"String", "str?"},
    {"Symbol", "sym?"},       {"Q-expression", "qexpr?"},   {"S-expression", "sexpr?"},
    {"Function", "fun?"},     {"Error", "error?"},          {"Future", "future?"},
    {"StringBuilder", "str/builder?"}, {"Dict", "dict?"}, {"Table", "table?"}, {"Record", "record?"},
    {"Handle", "handle?"},
};

Value flag(bool b) { return Value::fixnum(b ? 1 : 0); }

// A record's type is its record type's name (what multimethods dispatch on), the symbol it was
// defined with; every other value's is its row's name.
Value builtin_type(VM& vm, Args a) {
  if (is_record(a[0])) return car(a[0].as<Record>()->desc);
  return Value::object(vm.sym(type_symbol_name(a[0])));
}
Value builtin_is_string(VM&, Args a) { return flag(is_string(a[0])); }
Value builtin_is_symbol(VM&, Args a) { return flag(is_symbol(a[0])); }
Value builtin_is_qexpr(VM&, Args a) { return flag(is_qexpr(a[0])); }
Value builtin_is_sexpr(VM&, Args a) { return flag(is_sexpr(a[0])); }
Value builtin_is_list(VM&, Args a) { return flag(is_qexpr(a[0]) || is_sexpr(a[0])); }
Value builtin_is_function(VM&, Args a) { return flag(is_function(a[0])); }
Value builtin_is_future(VM&, Args a) { return flag(is_future(a[0])); }
Value builtin_is_builder(VM&, Args a) { return flag(is_str_builder(a[0])); }
Value builtin_is_handle(VM&, Args a) { return flag(is_handle(a[0])); }

Value builtin_names(VM& vm, Args a) {
  std::string_view prefix;
  if (a.size() > 0) {
    if (!is_string(a[0])) return arg_error(vm, "vm/names", 0, "a String", a[0]);
    prefix = a[0].as<String>()->view();
  }
  ListBuilder out(vm.heap(), true);
  for (Symbol* s : global_names(vm, prefix)) out.push(make_string(vm.heap(), s->name()));
  return out.finish();
}

const BuiltinInfo kIntrospect[] = {
    {"type", "v",
     "The type of `v` as a symbol: Integer, Float, String, Symbol, Q-expression, S-expression, Function, "
     "Error, Future, StringBuilder, Dict, Table or Handle; for a record, the name of its record type.",
     1, 1, 0, 0, builtin_type, nullptr},
    {"str?", "v", "1 when v is a String, else 0.", 1, 1, 0, 0, builtin_is_string, nullptr},
    {"sym?", "v", "1 when v is a Symbol, else 0.", 1, 1, 0, 0, builtin_is_symbol, nullptr},
    {"qexpr?", "v", "1 when v is a Q-expression ({} included), else 0.", 1, 1, 0, 0, builtin_is_qexpr, nullptr},
    {"sexpr?", "v", "1 when v is an S-expression (() included), else 0.", 1, 1, 0, 0, builtin_is_sexpr, nullptr},
    {"list?", "v", "1 when v is a list: a Q-expression or an S-expression, else 0.", 1, 1, 0, 0,
     builtin_is_list, nullptr},
    {"fun?", "v", "1 when v is a Function (builtin, lambda or partially applied), else 0.", 1, 1, 0, 0,
     builtin_is_function, nullptr},
    {"future?", "v", "1 when v is a Future (or a promise), else 0.", 1, 1, 0, 0, builtin_is_future, nullptr},
    {"str/builder?", "v", "1 when v is a StringBuilder, else 0.", 1, 1, 0, 0, builtin_is_builder, nullptr},
    {"handle?", "v", "1 when v is a Handle on a host object (an open File, the aio loop, an HTTP server, client or request), else 0.", 1, 1, 0,
     0, builtin_is_handle, nullptr},
    {"vm/names", "[prefix]",
     "The names bound in the global frame (those starting with the String `prefix` when given), "
     "sorted, as a Q-expression of Strings (Strings, not symbols: map and filter evaluate symbols).",
     0, 1, builtinflag::kCallBare, 0, builtin_names, nullptr},
};

}  // namespace

std::span<const TypePredicate> type_predicates() { return kPredicates; }

std::vector<Symbol*> global_names(VM& vm, std::string_view prefix) {
  std::vector<Symbol*> names;
  for (Symbol* s : vm.symbols().all()) {
    if (!s->global.is_undefined() && s->name().starts_with(prefix)) names.push_back(s);
  }
  std::sort(names.begin(), names.end(), [](const Symbol* a, const Symbol* b) { return a->name() < b->name(); });
  return names;
}

constinit const std::span<const BuiltinInfo> introspect_builtins{kIntrospect};

}  // namespace valk
