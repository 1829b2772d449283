// types.cpp: the row of hooks of every heap object type (see types.h), grouped by type. A new
// type adds its line to types.def and its row here; its hooks may live in its own file.
#include "value/types.h"

#include <cstring>
#include <functional>
#include <string_view>

#include "gc/heap.h"
#include "lib/builtin.h"
#include "lib/marshal.h"
#include "value/dict.h"
#include "value/equal.h"
#include "value/table.h"
#include "value/print.h"

namespace valk {

namespace {

// ---- shared ------------------------------------------------------------------------------

void print_internal(std::string& out, Value, bool) { out += "<internal>"; }

template <class T>
size_t fixed_size(const Object*) {
  return sizeof(T);
}

// Objects with aux trailing Value slots after the fixed part.
template <class T>
size_t slotted_size(const Object* o) {
  return Heap::round_size(sizeof(T) + 8 * size_t(o->aux));
}

// Objects compared by their contents (closures, partials, errors) but too rarely used as keys to
// deserve a finer hash: every one of a type hashes alike, which keeps hash consistent with ==.
uint64_t hash_by_type(Value v, int) { return uint64_t(v.obj()->type) * 0x9E3779B97F4A7C15ull; }

// ---- lists -------------------------------------------------------------------------------

size_t cons_size(const Object* o) {
  return (o->flags & consflag::kHasSource) ? sizeof(SourceCons) : sizeof(Cons);
}

bool cons_equal(Value a, Value b, EqualWork& work) {
  if ((a.obj()->flags ^ b.obj()->flags) & consflag::kQuoted) return false;
  work.emplace_back(cdr(a), cdr(b));
  work.emplace_back(car(a), car(b));
  return true;
}

uint64_t cons_hash(Value v, int depth) {
  uint64_t h = (v.obj()->flags & consflag::kQuoted) ? 0x51 : 0x53;
  for (; is_cons(v); v = cdr(v)) h = hash_combine(h, hash_value_at(car(v), depth - 1));
  return hash_combine(h, hash_value_at(v, depth - 1));
}

// ---- atoms -------------------------------------------------------------------------------

void int_print(std::string& out, Value v, bool) { out += std::to_string(v.as<BoxedInt>()->value); }
bool int_equal(Value a, Value b, EqualWork&) { return int_value(a) == int_value(b); }
uint64_t int_hash(Value v, int) { return hash_int(int_value(v)); }

void float_print(std::string& out, Value v, bool) { print_float(out, float_value(v)); }
// Integral floats hash as the integer they equal (1.0 and 1 are the same dictionary key).
uint64_t float_hash(Value v, int) {
  double d = float_value(v);
  int64_t i;
  if (double_as_int(d, &i)) return hash_int(i);
  if (d != d) return 0x7FF8;  // every nan alike: nan == nan (see values_equal)
  uint64_t bits;
  std::memcpy(&bits, &d, sizeof bits);
  return hash_mix(bits);
}

size_t string_size(const Object* o) {
  return Heap::round_size(sizeof(String) + static_cast<const String*>(o)->length + 1);
}
void string_print(std::string& out, Value v, bool display) {
  if (display) {
    out += v.as<String>()->view();
  } else {
    print_string_literal(out, v.as<String>()->view());
  }
}
bool string_equal(Value a, Value b, EqualWork&) {
  return a.as<String>()->view() == b.as<String>()->view();
}
uint64_t string_hash(Value v, int) { return hash_bytes(v.as<String>()->view()); }

void symbol_print(std::string& out, Value v, bool) { out += v.as<Symbol>()->name(); }
uint64_t symbol_hash(Value v, int) { return v.as<Symbol>()->hash; }

// ---- functions ---------------------------------------------------------------------------

// Formals of a lambda still to be bound once `bound` arguments are given ("&" is kept).
void print_formals(std::string& out, Value formals, uint32_t bound) {
  out += '{';
  bool first = true;
  for (Value f = formals; is_cons(f); f = cdr(f)) {
    Value name = car(f);
    if (bound > 0 && !(is_symbol(name) && name.as<Symbol>()->name() == "&")) {
      --bound;
      continue;
    }
    if (!first) out += ' ';
    first = false;
    if (is_symbol(name)) out += name.as<Symbol>()->name();
  }
  out += '}';
}

void function_print(std::string& out, Value v, bool) {
  if (is_builtin(v)) {
    out += "<builtin ";
    out += v.as<Builtin>()->info->name;
    out += '>';
    return;
  }
  uint32_t bound = 0;
  Value fn = v;
  if (is_partial(v)) {
    bound = v.obj()->aux;
    fn = v.as<Partial>()->fn;
    if (is_builtin(fn)) {
      function_print(out, fn, false);
      return;
    }
  }
  out += "<lambda ";
  print_formals(out, fn.as<Closure>()->proto.as<Proto>()->formals, bound);
  out += '>';
}

bool closure_equal(Value a, Value b, EqualWork& work) {
  auto* pa = a.as<Closure>()->proto.as<Proto>();
  auto* pb = b.as<Closure>()->proto.as<Proto>();
  work.emplace_back(pa->body, pb->body);
  work.emplace_back(pa->formals, pb->formals);
  return true;
}

bool partial_equal(Value a, Value b, EqualWork& work) {
  auto* pa = a.as<Partial>();
  auto* pb = b.as<Partial>();
  if (pa->aux != pb->aux) return false;
  for (uint32_t i = 0; i < pa->aux; ++i) work.emplace_back(pa->args()[i], pb->args()[i]);
  work.emplace_back(pa->fn, pb->fn);
  return true;
}

// ---- errors ------------------------------------------------------------------------------

void error_print(std::string& out, Value v, bool) {
  out += "Error: ";
  out += v.as<ErrorObj>()->message.as<String>()->view();
}
bool error_equal(Value a, Value b, EqualWork& work) {
  work.emplace_back(a.as<ErrorObj>()->message, b.as<ErrorObj>()->message);
  return true;
}

// ---- futures -----------------------------------------------------------------------------

void future_print(std::string& out, Value v, bool) {
  static const char* const kStates[] = {"pending", "resolved", "rejected"};
  out += (v.obj()->flags & futureflag::kPromise) ? "<promise " : "<future ";
  out += kStates[v.obj()->aux];
  out += '>';
}

// ---- string builders (lib/string.cpp) ----------------------------------------------------

void str_builder_print(std::string& out, Value v, bool) {
  out += "<string-builder " + std::to_string(v.as<StrBuilder>()->bytes->size()) + " bytes>";
}

// ---- host objects (value/handle.h) ------------------------------------------------------

void handle_print(std::string& out, Value v, bool) {
  const HostRef* r = v.as<Handle>()->ref;
  out += '<';
  out += r ? r->kind() : "closed";
  std::string more = r ? r->describe() : std::string();
  if (!more.empty()) out += ' ' + more;
  out += '>';
}

}  // namespace

void print_string_literal(std::string& out, std::string_view s) {
  out += '"';
  for (char c : s) {
    switch (c) {
      case '\a': out += "\\a"; break;
      case '\b': out += "\\b"; break;
      case '\f': out += "\\f"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      case '\v': out += "\\v"; break;
      case '\\': out += "\\\\"; break;
      case '"': out += "\\\""; break;
      default: out += c;
    }
  }
  out += '"';
}

// ---- records -------------------------------------------------------------------------------

// #point{x 1 y 2}: the type's name, then each field's name and value.
const char* record_print_parts(std::string& out, Value v, std::vector<Value>& parts) {
  const auto* r = v.as<Record>();
  Value names = r->desc;
  out += '#';
  out += car(names).as<Symbol>()->name();
  out += '{';
  names = cdr(names);
  for (uint32_t i = 0; i < r->aux; ++i, names = cdr(names)) {
    parts.push_back(car(names));
    parts.push_back(r->fields()[i]);
  }
  return "}";
}

// Equal when of the same record type (the same definition) with equal fields.
bool record_equal(Value a, Value b, EqualWork& work) {
  const auto* x = a.as<Record>();
  const auto* y = b.as<Record>();
  if (x->desc != y->desc) return false;
  for (uint32_t i = 0; i < x->aux; ++i) work.emplace_back(x->fields()[i], y->fields()[i]);
  return true;
}

uint64_t record_hash(Value v, int depth) {
  const auto* r = v.as<Record>();
  uint64_t h = 0x5245;
  for (uint32_t i = 0; i < r->aux; ++i) h = hash_combine(h, hash_value_at(r->fields()[i], depth - 1));
  return h;
}

// Indexed by ObjType. A missing row makes the size differ from the declaration in types.h (a
// compile error); rows_in_order catches a row out of place.
constexpr TypeInfo kTypeInfo[] = {
    {.type = ObjType::kFree,
     .name = "Free", .size = nullptr, .print = print_internal},
    {.type = ObjType::kCons,
     .name = "List", .size = cons_size, .print = nullptr, .equal = cons_equal, .hash = cons_hash,
     .marshal = marshal_cons},
    {.type = ObjType::kInt,
     .name = "Integer", .size = fixed_size<BoxedInt>, .print = int_print, .equal = int_equal,
     .hash = int_hash, .self_evaluating = true,
     .marshal = marshal_int},
    {.type = ObjType::kString,
     .name = "String", .size = string_size, .print = string_print, .equal = string_equal,
     .hash = string_hash, .self_evaluating = true,
     .marshal = marshal_string},
    {.type = ObjType::kSymbol,
     .name = "Symbol", .size = nullptr, .print = symbol_print, .hash = symbol_hash,
     .marshal = marshal_symbol},
    {.type = ObjType::kBuiltin,
     .name = "Function", .size = nullptr, .print = function_print, .self_evaluating = true,
     .marshal = marshal_builtin},
    {.type = ObjType::kClosure,
     .name = "Function", .size = fixed_size<Closure>, .print = function_print,
     .equal = closure_equal, .hash = hash_by_type, .self_evaluating = true,
     .marshal = marshal_closure},
    {.type = ObjType::kPartial,
     .name = "Function", .size = slotted_size<Partial>, .print = function_print,
     .equal = partial_equal, .hash = hash_by_type, .self_evaluating = true,
     .marshal = marshal_partial},
    {.type = ObjType::kProto,
     .name = "Internal", .size = fixed_size<Proto>, .print = print_internal, .self_evaluating = true,
     .marshal = marshal_proto},
    {.type = ObjType::kEnv,
     .name = "Internal", .size = slotted_size<Env>, .print = print_internal, .self_evaluating = true,
     .marshal = marshal_env},
    {.type = ObjType::kBinding,
     .name = "Internal", .size = fixed_size<Binding>, .print = print_internal, .self_evaluating = true,
     .marshal = marshal_binding},
    {.type = ObjType::kResidue,
     .name = "Internal", .size = fixed_size<Residue>, .print = print_internal, .self_evaluating = true},
    {.type = ObjType::kError,
     .name = "Error", .size = fixed_size<ErrorObj>, .print = error_print, .equal = error_equal,
     .hash = hash_by_type, .self_evaluating = true,
     .marshal = marshal_error},
    {.type = ObjType::kFloat,
     .name = "Float", .size = fixed_size<BoxedFloat>, .print = float_print, .hash = float_hash,
     .self_evaluating = true,
     .marshal = marshal_float},
    {.type = ObjType::kFuture,
     .name = "Future", .size = fixed_size<Future>, .print = future_print, .self_evaluating = true},
    {.type = ObjType::kFiber,
     .name = "Internal", .size = fixed_size<FiberObj>, .print = print_internal, .self_evaluating = true},
    {.type = ObjType::kStrBuilder,
     .name = "StringBuilder", .size = fixed_size<StrBuilder>, .print = str_builder_print,
     .self_evaluating = true},
    {.type = ObjType::kDict,
     .name = "Dict", .size = fixed_size<Dict>, .print = nullptr, .print_parts = dict_print_parts,
     .equal = dict_equal, .hash = dict_hash, .self_evaluating = true,
     .marshal = marshal_dict},
    {.type = ObjType::kDictNode,
     .name = "Internal", .size = dict_node_size, .print = print_internal, .self_evaluating = true},
    {.type = ObjType::kTable,
     .name = "Table", .size = fixed_size<Table>, .print = table_print, .self_evaluating = true,
     .marshal = marshal_table},
    {.type = ObjType::kHandle,
     .name = "Handle", .size = fixed_size<Handle>, .print = handle_print, .self_evaluating = true},
    {.type = ObjType::kRecord,
     .name = "Record", .size = slotted_size<Record>, .print = nullptr,
     .print_parts = record_print_parts, .equal = record_equal,
     .hash = record_hash, .self_evaluating = true,
     .marshal = marshal_record},
};

namespace {
constexpr bool rows_in_order() {
  for (size_t i = 0; i < size_t(ObjType::kCount); ++i) {
    if (size_t(kTypeInfo[i].type) != i) return false;
  }
  return true;
}
static_assert(rows_in_order(), "kTypeInfo rows must follow the order of value/types.def");
}  // namespace

}  // namespace valk
