// print.cpp: the printer (readable and display forms).
#include "value/print.h"

#include <vector>

#include "lib/builtin.h"
#include "value/object.h"

namespace valk {

namespace {

void print_string_literal(std::string& out, const String* s) {
  out += '"';
  for (char c : s->view()) {
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

void print_function(std::string& out, Value v) {
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
      print_function(out, fn);
      return;
    }
  }
  out += "<lambda ";
  print_formals(out, fn.as<Closure>()->proto.as<Proto>()->formals, bound);
  out += '>';
}

void print_atom(std::string& out, Value v, bool display_strings) {
  if (v.is_fixnum()) {
    out += std::to_string(v.fixnum_value());
    return;
  }
  if (v.is_nil()) {
    out += "{}";
    return;
  }
  if (v.is_empty_sexpr()) {
    out += "()";
    return;
  }
  if (!v.is_object()) {
    out += "<undefined>";
    return;
  }
  switch (v.obj()->type) {
    case ObjType::kInt: out += std::to_string(v.as<BoxedInt>()->value); return;
    case ObjType::kString:
      if (display_strings) {
        out += v.as<String>()->view();
      } else {
        print_string_literal(out, v.as<String>());
      }
      return;
    case ObjType::kSymbol: out += v.as<Symbol>()->name(); return;
    case ObjType::kBuiltin:
    case ObjType::kClosure:
    case ObjType::kPartial: print_function(out, v); return;
    case ObjType::kError:
      out += "Error: ";
      out += v.as<ErrorObj>()->message.as<String>()->view();
      return;
    case ObjType::kFuture: {
      static const char* const kStates[] = {"pending", "resolved", "rejected"};
      out += (v.obj()->flags & futureflag::kPromise) ? "<promise " : "<future ";
      out += kStates[v.obj()->aux];
      out += '>';
      return;
    }
    default: out += "<internal>"; return;
  }
}

struct Pending {
  Value rest;
  char close;
};

void print_value(std::string& out, Value v, bool display_top_string) {
  if (!is_cons(v)) {
    print_atom(out, v, display_top_string);
    return;
  }
  std::vector<Pending> stack;
  Value cur = v;
  for (;;) {
    if (is_cons(cur)) {
      bool quoted = (cur.obj()->flags & consflag::kQuoted) != 0;
      out += quoted ? '{' : '(';
      stack.push_back({cdr(cur), quoted ? '}' : ')'});
      cur = car(cur);
      continue;
    }
    print_atom(out, cur, false);
    for (;;) {
      if (stack.empty()) return;
      Pending& p = stack.back();
      if (is_cons(p.rest)) {
        out += ' ';
        cur = car(p.rest);
        p.rest = cdr(p.rest);
        break;
      }
      out += p.close;
      stack.pop_back();
    }
  }
}

}  // namespace

void print_readable(std::string& out, Value v) { print_value(out, v, false); }
void print_display(std::string& out, Value v) { print_value(out, v, true); }

std::string readable(Value v) {
  std::string s;
  print_readable(s, v);
  return s;
}

std::string display(Value v) {
  std::string s;
  print_display(s, v);
  return s;
}

const char* type_name(Value v) {
  if (v.is_fixnum()) return "Integer";
  if (v.is_nil()) return "Q-expression";
  if (v.is_empty_sexpr()) return "S-expression";
  if (!v.is_object()) return "Undefined";
  switch (v.obj()->type) {
    case ObjType::kInt: return "Integer";
    case ObjType::kString: return "String";
    case ObjType::kSymbol: return "Symbol";
    case ObjType::kCons: return (v.obj()->flags & consflag::kQuoted) ? "Q-expression" : "S-expression";
    case ObjType::kBuiltin:
    case ObjType::kClosure:
    case ObjType::kPartial: return "Function";
    case ObjType::kError: return "Error";
    case ObjType::kFuture: return "Future";
    default: return "Internal";
  }
}

}  // namespace valk
