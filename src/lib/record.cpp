// record.cpp: records and multimethods. (record {point x y}) binds a constructor `point`,
// accessors `point/x` `point/y` and a predicate `point?`, each a builtin of this file partially
// applied to the type's descriptor (the Q-expression {point x y}); defmulti and defmethod build
// functions that pick a method by the value of a dispatch function (docs/STRUCTURE.md).
#include "compile/opcodes.h"
#include "lib/builtin.h"
#include "lib/check.h"
#include "value/make.h"
#include "value/print.h"
#include "value/table.h"
#include "vm/vm.h"

namespace valk {

namespace {

std::string_view record_name(Value desc) { return car(desc).as<Symbol>()->name(); }

// The builtin bound to `name` (the internal builtins below), or undefined when it was rebound.
Value internal_builtin(VM& vm, const char* name, BuiltinFn fn, NativeFn native) {
  Value v = vm.sym(name)->global;
  if (!is_builtin(v)) return Value::undefined();
  const BuiltinInfo* info = v.as<Builtin>()->info;
  return info->fn == fn && info->native == native ? v : Value::undefined();
}

Value rebound_error(VM& vm, const char* who, const char* name) {
  return vm.error(std::string(who) + ": the builtin " + name + " it uses was rebound");
}

Value partial_of(VM& vm, Value fn, std::initializer_list<Value> bound) {
  auto* p = static_cast<Partial*>(vm.heap().alloc(sizeof(Partial) + 8 * bound.size(), ObjType::kPartial));
  p->aux = uint32_t(bound.size());
  p->fn = fn;
  uint32_t i = 0;
  for (Value v : bound) p->args()[i++] = v;
  vm.heap().finish(p);
  return Value::object(p);
}

// ---- records --------------------------------------------------------------------------------

// "" when spec is {name field ...} with distinct symbols, else what is wrong with it.
std::string check_record_spec(Value spec) {
  if (!proper_qlist(spec)) return std::string("record: argument 1 must be a Q-expression, got ") + type_name(spec);
  if (spec.is_nil() || cdr(spec).is_nil())
    return "record: expected {name field ...}, got " + readable_for_message(spec);
  uint32_t n = 0;
  for (Value c = spec; is_cons(c); c = cdr(c)) {
    ++n;
    if (!is_symbol(car(c))) {
      return "record: element " + std::to_string(n) + " of " + readable_for_message(spec) +
             " must be a Symbol, got " + type_name(car(c));
    }
    for (Value d = cdr(c); is_cons(d); d = cdr(d)) {
      if (car(d) == car(c))
        return "record: `" + std::string(car(c).as<Symbol>()->name()) + "` is named twice in " +
               readable_for_message(spec);
    }
  }
  return "";
}

// A record is only made with a checked descriptor (here or by unmarshal), so a builtin given the
// descriptor of the record it is given need not check it again: only the error paths do.
Value record_type_error(VM& vm, const char* who, Value desc) {
  return vm.error(std::string(who) + ": argument 1 must be a record type {name field ...}, got " +
                  readable_for_message(desc));
}

// The predicate and the accessors count their own arguments (their table rows leave the count
// open), so that a wrong count names the function the program called (point?, point/x) and
// counts the arguments it gave, not those of the partially applied builtin.
Value count_error(VM& vm, const std::string& who, size_t actual, size_t expected) {
  return vm.error(who + (actual < expected ? ": Fewer" : ": More") + " arguments were given than required. Actual: " +
                  std::to_string(actual) + ", Expected: " + std::to_string(expected));
}

Value builtin_record_make(VM& vm, Args a);
Value builtin_record_is(VM& vm, Args a);
Value builtin_record_get(VM& vm, Args a);

Value builtin_record(VM& vm, Args a) {
  Value desc = a[0];
  std::string problem = check_record_spec(desc);
  if (!problem.empty()) return vm.error(problem);
  Value make = internal_builtin(vm, "sys/record-make", builtin_record_make, nullptr);
  Value is = internal_builtin(vm, "sys/record-is", builtin_record_is, nullptr);
  Value get = internal_builtin(vm, "sys/record-get", builtin_record_get, nullptr);
  if (make.is_undefined() || is.is_undefined() || get.is_undefined()) {
    return rebound_error(vm, "record", "sys/record-make, sys/record-is or sys/record-get");
  }
  vm.define_record_type(desc);  // what unmarshal maps a copy of this descriptor to
  std::string name(record_name(desc));
  // def binds in the namespace of the code running record (a module's own globals there).
  (void)vm.define(vm.sym(name), partial_of(vm, make, {desc}));
  (void)vm.define(vm.sym(name + "?"), partial_of(vm, is, {desc}));
  int64_t index = 0;
  for (Value c = cdr(desc); is_cons(c); c = cdr(c), ++index) {
    std::string accessor = name + "/" + std::string(car(c).as<Symbol>()->name());
    (void)vm.define(vm.sym(accessor), partial_of(vm, get, {desc, Value::fixnum(index)}));
  }
  return Value::empty_sexpr();
}

// (sys/record-make desc values...): the constructor.
Value builtin_record_make(VM& vm, Args a) {
  Value desc = a[0];
  if (!is_record_type(desc)) return record_type_error(vm, "sys/record-make", desc);
  uint32_t fields = uint32_t(list_length(desc) - 1);
  if (a.size() - 1 != fields) {
    return vm.error(std::string(record_name(desc)) + ": expected " + std::to_string(fields) +
                    " field values " + readable_for_message(cdr(desc)) + ", got " +
                    std::to_string(a.size() - 1));
  }
  auto* r = static_cast<Record*>(vm.heap().alloc(sizeof(Record) + 8 * size_t(fields), ObjType::kRecord));
  r->aux = fields;
  r->desc = desc;
  for (uint32_t i = 0; i < fields; ++i) r->fields()[i] = a[i + 1];
  vm.heap().finish(r);
  return Value::object(r);
}

Value builtin_record_is(VM& vm, Args a) {
  if (a.size() == 2 && is_record(a[1]) && a[1].as<Record>()->desc == a[0]) return Value::fixnum(1);
  if (!is_record_type(a[0])) return record_type_error(vm, "sys/record-is", a[0]);
  if (a.size() != 2) return count_error(vm, std::string(record_name(a[0])) + "?", a.size() - 1, 1);
  return Value::fixnum(0);
}

// (sys/record-get desc index r): an accessor.
Value builtin_record_get(VM& vm, Args a) {
  Value desc = a[0];
  if (a.size() == 3 && is_record(a[2]) && a[2].as<Record>()->desc == desc && a[1].is_fixnum() &&
      uint64_t(a[1].fixnum_value()) < a[2].as<Record>()->aux)
    return a[2].as<Record>()->fields()[a[1].fixnum_value()];
  // The errors. The accessor's name is only spelt out here: a call that succeeds builds no string.
  if (!is_record_type(desc)) return record_type_error(vm, "sys/record-get", desc);
  int64_t fields = list_length(desc) - 1;
  if (!a[1].is_fixnum() || a[1].fixnum_value() < 0 || a[1].fixnum_value() >= fields) {
    return vm.error("sys/record-get: argument 2 must be a field index of " + readable_for_message(desc) +
                    " (0 to " + std::to_string(fields - 1) + "), got " + readable_for_message(a[1]));
  }
  Value field = desc;
  for (int64_t i = 0; i <= a[1].fixnum_value(); ++i) field = cdr(field);
  std::string accessor = std::string(record_name(desc)) + "/" + std::string(car(field).as<Symbol>()->name());
  if (a.size() != 3) return count_error(vm, accessor, a.size() - 2, 1);
  Value r = a[2];
  std::string got = is_record(r) ? "a " + std::string(record_name(r.as<Record>()->desc)) : type_name(r);
  // A record of a type defined again since, or in another isolate: the same name, another type.
  if (is_record(r) && record_name(r.as<Record>()->desc) == record_name(desc)) got += " of another definition of it";
  return vm.error(accessor + ": argument 1 must be a " + std::string(record_name(desc)) + ", got " + got);
}

Value builtin_is_record(VM&, Args a) { return Value::fixnum(is_record(a[0]) ? 1 : 0); }

// ---- multimethods ----------------------------------------------------------------------------

// A multimethod is (sys/multi-call info) partially applied, info being {name dispatch methods}:
// methods a Table from dispatch values to functions.
enum MultiInfo : uint32_t { kMultiName = 0, kMultiDispatch = 1, kMultiMethods = 2 };
Value info_at(Value info, uint32_t i) {
  for (; i > 0; --i) info = cdr(info);
  return car(info);
}

// Whether info has that shape: sys/multi-call is a builtin like any other, so anyone may call it
// (and info_at must not walk past the end of a shorter list).
bool is_multi_info(Value info) {
  return proper_qlist(info) && list_length(info) == 3 && is_symbol(info_at(info, kMultiName)) &&
         is_function(info_at(info, kMultiDispatch)) && is_table(info_at(info, kMultiMethods));
}

NativeResult native_multi_call(VM& vm, uint32_t fi, Value resumed);

Value builtin_defmulti(VM& vm, Args a) {
  Value names = a[0];
  if (!is_qcons(names) || !cdr(names).is_nil() || !is_symbol(car(names))) {
    return vm.error("defmulti: argument 1 must be a Q-expression holding one name, got " +
                    readable_for_message(names));
  }
  if (!is_function(a[1])) return arg_error(vm, "defmulti", 1, "a Function", a[1]);
  Value call = internal_builtin(vm, "sys/multi-call", nullptr, native_multi_call);
  if (call.is_undefined()) return rebound_error(vm, "defmulti", "sys/multi-call");
  Value methods = table_new(vm.heap());
  Value items[] = {car(names), a[1], methods};
  Value info = make_list(vm.heap(), items, true);
  (void)vm.define(car(names).as<Symbol>(), partial_of(vm, call, {info}));  // a module's own, in its code
  return Value::empty_sexpr();
}

// The info of a multimethod, or undefined when f is not one.
Value multi_info(Value f) {
  if (!is_partial(f) || f.obj()->aux != 1 || !is_builtin(f.as<Partial>()->fn)) return Value::undefined();
  if (f.as<Partial>()->fn.as<Builtin>()->info->native != native_multi_call) return Value::undefined();
  return f.as<Partial>()->args()[0];
}

Value builtin_defmethod(VM& vm, Args a) {
  Value info = multi_info(a[0]);
  if (info.is_undefined()) return arg_error(vm, "defmethod", 0, "a multimethod (made by defmulti)", a[0]);
  if (!proper_qlist(a[1]) || a[1].is_nil()) {
    return vm.error("defmethod: argument 2 must be a non-empty Q-expression of dispatch values, got " +
                    readable_for_message(a[1]));
  }
  if (!is_function(a[2])) return arg_error(vm, "defmethod", 2, "a Function", a[2]);
  Value methods = info_at(info, kMultiMethods);
  for (Value c = a[1]; is_cons(c); c = cdr(c)) table_set(vm.heap(), methods, car(c), a[2]);
  return Value::empty_sexpr();
}

// Slots: 0 info, 1.. the arguments. Step 0 calls the dispatch function with the arguments; step 1
// gets its value and tail-calls the method (the one for `default` when none is for the value).
NativeResult native_multi_call(VM& vm, uint32_t fi, Value resumed) {
  Frame& f = vm.frame(fi);
  uint32_t nargs = vm.arg_count(fi) - 1;
  if (!vm.ensure_stack(nargs + 2)) return NativeResult::error(vm.error("out of memory: cannot grow the stack"));
  Value info = vm.slot(fi, 0);
  if (f.step == 0) {
    if (!is_multi_info(info)) {
      return NativeResult::error(vm.error(
          "sys/multi-call: argument 1 must be a multimethod's {name dispatch methods}, got " +
          readable_for_message(info)));
    }
    f.step = 1;
    vm.push(info_at(info, kMultiDispatch));
    for (uint32_t i = 1; i <= nargs; ++i) vm.push(vm.slot(fi, i));
    return NativeResult::call(nargs);
  }
  Value methods = info_at(info, kMultiMethods);
  Value method = table_get(methods, resumed);
  if (method.is_undefined()) method = table_get(methods, Value::object(vm.sym("default")));
  if (method.is_undefined()) {
    return NativeResult::error(vm.error(std::string(info_at(info, kMultiName).as<Symbol>()->name()) +
                                        ": no method for " + readable_for_message(resumed)));
  }
  vm.push(method);
  for (uint32_t i = 1; i <= nargs; ++i) vm.push(vm.slot(fi, i));
  return NativeResult::tail_call(nargs);
}

// The argument whose `type` the dispatch function returns, when its whole body is `(type p)`
// for a parameter p, called with as many arguments as it has parameters, and `type` keeps its
// original meaning (watched: no frame binds it and its global is the builtin, so the body's NAME
// finds the builtin): then the dispatch value is the builtin's, computed without a call. Else -1.
int type_dispatch_arg(VM& vm, Value dispatch, uint32_t nargs) {
  if (!is_closure(dispatch)) return -1;
  const Proto* p = dispatch.as<Closure>()->proto.as<Proto>();
  if (p->nparams != nargs || p->variadic() || p->module != 0 || p->intrinsic || p->ncode < 4) return -1;
  const uint32_t* c = p->code;
  Symbol* type = vm.watched_symbol(WatchId::Type);
  if (op_of(c[0]) != Op::NAME || p->consts[operand(c[0])] != Value::object(type)) return -1;
  if (op_of(c[1]) != Op::LOCAL || operand(c[1]) >= nargs) return -1;
  if (c[2] != (uint32_t(Op::TAILCALL) | (1u << 8)) || op_of(c[3]) != Op::RET) return -1;
  return vm.watch_intact(type) ? int(operand(c[1])) : -1;
}

const BuiltinInfo kRecord[] = {
    {"record", "spec",
     "Defines the record type {name field ...}: binds the constructor `name` (one value per field), the "
     "predicate `name?` and an accessor `name/field` per field. Prints as #name{field value ...}; "
     "(type r) is `name`. Returns ().",
     1, 1, 0, 0, builtin_record, nullptr},
    {"record?", "v", "1 when v is a record (of any record type), else 0.", 1, 1, 0, 0, builtin_is_record, nullptr},
    {"sys/record-make", "type & values", "The constructor of a record type (record binds it partially applied).",
     1, -1, 0, 0, builtin_record_make, nullptr},
    {"sys/record-is", "type & v", "The predicate of a record type (record binds it partially applied).", 1, -1, 0, 0,
     builtin_record_is, nullptr},
    {"sys/record-get", "type index & r", "An accessor of a record type (record binds it partially applied).", 2, -1, 0,
     0, builtin_record_get, nullptr},
    {"defmulti", "name dispatch",
     "Binds the name in the Q-expression `name` to a multimethod: called with arguments, it calls "
     "(dispatch args...) and runs the method defmethod gave for that value (or for `default`).",
     2, 2, 0, 0, builtin_defmulti, nullptr},
    {"defmethod", "multi values f",
     "Makes the function `f` the method of the multimethod `multi` for each dispatch value of the "
     "Q-expression `values` (the symbol `default` names the method used when none matches). Returns ().",
     3, 3, 0, 0, builtin_defmethod, nullptr},
    {"sys/multi-call", "info & args", "How a multimethod runs (defmulti binds it partially applied).", 1, -1,
     builtinflag::kMultimethod, 0, nullptr, native_multi_call},
};

}  // namespace

constinit const std::span<const BuiltinInfo> record_builtins{kRecord};

Value multi_fast_method(VM& vm, Value info, Args args) {
  if (!is_multi_info(info)) return Value::undefined();  // sys/multi-call raises the error
  int k = type_dispatch_arg(vm, info_at(info, kMultiDispatch), uint32_t(args.size()));
  if (k < 0) return Value::undefined();
  Value arg = args[size_t(k)];
  Value value = vm.watched_symbol(WatchId::Type)->global.as<Builtin>()->info->fn(vm, Args{&arg, 1});
  Value methods = info_at(info, kMultiMethods);
  Value method = table_get(methods, value);
  // No method at all: sys/multi-call raises the error (running `type` again changes nothing).
  return method.is_undefined() ? table_get(methods, Value::object(vm.sym("default"))) : method;
}

}  // namespace valk
