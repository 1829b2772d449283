// print.cpp: the printer (readable and display forms): walks lists, dicts and records itself
// (without recursion), and prints every other value with its type's row (value/types.cpp).
#include "value/print.h"

#include <charconv>
#include <cmath>
#include <vector>

#include "config/limits.h"
#include "value/object.h"
#include "value/types.h"
#include "value/utf8.h"

namespace valk {

namespace {

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
  if (v.is_flonum()) {
    print_float(out, v.flonum_value());
    return;
  }
  if (!v.is_object()) {
    out += "<undefined>";
    return;
  }
  type_info(v.obj()->type).print(out, v, display_strings);
}

// An open list, dict or record: a list's rest, or the dict's or record's components still to
// print (parts[next, end)), then its closing text.
struct Pending {
  Value rest;
  size_t begin, next, end;
  const char* close;
};

// Walks nested lists, dicts and records with its own stack (a 1,000,000-deep chain must print).
void print_value(std::string& out, Value v, bool display_top_string) {
  std::vector<Pending> stack;
  std::vector<Value> parts;  // the open dicts' and records' components, innermost last
  Value cur = v;
  for (;;) {
    if (is_cons(cur)) {
      bool quoted = (cur.obj()->flags & consflag::kQuoted) != 0;
      out += quoted ? '{' : '(';
      // No parts of its own: closing it leaves the enclosing dict's or record's as they are.
      size_t here = parts.size();
      stack.push_back({cdr(cur), here, here, here, quoted ? "}" : ")"});
      cur = car(cur);
      continue;
    }
    auto print_parts = cur.is_object() ? type_info(cur.obj()->type).print_parts : nullptr;
    if (print_parts) {
      size_t begin = parts.size();
      const char* close = print_parts(out, cur, parts);
      stack.push_back({Value::nil(), begin, begin, parts.size(), close});
      Pending& p = stack.back();
      if (p.next < p.end) {
        cur = parts[p.next++];
        continue;
      }
    } else {
      print_atom(out, cur, display_top_string && stack.empty());
    }
    for (;;) {
      if (stack.empty()) return;
      Pending& p = stack.back();
      if (is_cons(p.rest)) {
        out += ' ';
        cur = car(p.rest);
        p.rest = cdr(p.rest);
        break;
      }
      if (p.next < p.end) {
        out += ' ';
        cur = parts[p.next++];
        break;
      }
      out += p.close;
      parts.resize(p.begin);
      stack.pop_back();
    }
  }
}

}  // namespace

void print_readable(std::string& out, Value v) { print_value(out, v, false); }
void print_display(std::string& out, Value v) { print_value(out, v, true); }

void print_float(std::string& out, double d) {
  if (std::isnan(d)) {
    out += "nan";
    return;
  }
  if (std::isinf(d)) {
    out += d < 0 ? "-inf" : "inf";
    return;
  }
  // Python's repr: the shortest digits that read back, in fixed notation when the decimal
  // exponent is from -4 to 15, else in exponent form (1e+16, 1e-05). Fixed notation beyond that
  // would print exact but meaningless digits (123456789012345683968) or long runs of zeros.
  char buf[32];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, d, std::chars_format::scientific);
  std::string_view sci(buf, size_t(end - buf));  // [-]D[.DDD]e(+|-)XX
  size_t e = sci.find('e');
  int exponent = 0;
  std::from_chars(buf + e + 2, end, exponent);
  if (sci[e + 1] == '-') exponent = -exponent;
  if (exponent < -4 || exponent > 15) {
    out += sci;
    return;
  }
  std::string_view mantissa = sci.substr(0, e);
  if (mantissa[0] == '-') {
    out += '-';
    mantissa.remove_prefix(1);
  }
  std::string digits(mantissa.substr(0, 1));
  if (mantissa.size() > 2) digits += mantissa.substr(2);
  if (exponent < 0) {
    out += "0.";
    out.append(size_t(-exponent - 1), '0');
    out += digits;
    return;
  }
  size_t whole = size_t(exponent) + 1;
  if (digits.size() > whole) {
    out += std::string_view(digits).substr(0, whole);
    out += '.';
    out += std::string_view(digits).substr(whole);
  } else {
    out += digits;
    out.append(whole - digits.size(), '0');
    out += ".0";
  }
}

std::string readable(Value v) {
  std::string s;
  print_readable(s, v);
  return s;
}

std::string readable_for_message(Value v) { return shortened_for_message(readable(v)); }

std::string shortened_for_message(std::string s) {
  size_t cut = utf8::offset_of(s, limits::kMessageValueChars);
  if (cut >= s.size()) return s;
  return s.substr(0, cut) + "… (" + std::to_string(s.size()) + " bytes)";
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
  if (v.is_flonum()) return type_info(ObjType::kFloat).name;
  if (!v.is_object()) return "Undefined";
  if (is_cons(v)) return (v.obj()->flags & consflag::kQuoted) ? "Q-expression" : "S-expression";
  if (is_handle(v) && v.as<Handle>()->ref) return v.as<Handle>()->ref->kind();
  return type_info(v.obj()->type).name;
}

}  // namespace valk
