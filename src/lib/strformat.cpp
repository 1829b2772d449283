// strformat.cpp: str/format's directives. A directive is %[flags][width][.precision]conversion:
// flags `-` (left-justify), `0` (pad numbers with zeros), `+` (sign on non-negative numbers);
// width and precision count characters; conversions s d x X f and %%.
#include "lib/strformat.h"

#include <cinttypes>
#include <cmath>
#include <cstdio>

#include "config/limits.h"
#include "value/object.h"
#include "value/print.h"
#include "value/utf8.h"

namespace valk {

namespace {

struct Spec {
  bool left = false, zero = false, plus = false;
  uint32_t width = 0;
  int64_t precision = -1;  // -1: not given
  char conv = 0;
};

const char kKnown[] = "(use %s, %d, %x, %X, %f or %%)";

// Reads a decimal number for a width or precision; false when above limits::kMaxFormatWidth.
bool read_number(std::string_view fmt, size_t& j, uint32_t& n) {
  uint64_t v = 0;
  while (j < fmt.size() && fmt[j] >= '0' && fmt[j] <= '9') {
    v = v * 10 + uint64_t(fmt[j++] - '0');
    if (v > limits::kMaxFormatWidth) return false;
  }
  n = uint32_t(v);
  return true;
}

// Parses the directive starting at fmt[i] == '%'; sets `j` to its last byte. Returns "" or the
// error message.
std::string parse_spec(std::string_view fmt, size_t i, size_t& j, Spec& spec) {
  j = i + 1;
  for (; j < fmt.size(); ++j) {
    if (fmt[j] == '-') spec.left = true;
    else if (fmt[j] == '0') spec.zero = true;
    else if (fmt[j] == '+') spec.plus = true;
    else break;
  }
  auto too_wide = [&] {
    return "str/format: a width or precision above " + std::to_string(limits::kMaxFormatWidth) + " in " +
           shortened_for_message(std::string(fmt.substr(i, j - i))) + "...";
  };
  if (!read_number(fmt, j, spec.width)) return too_wide();
  if (j < fmt.size() && fmt[j] == '.') {
    ++j;
    uint32_t p;
    if (!read_number(fmt, j, p)) return too_wide();
    spec.precision = p;
  }
  if (j >= fmt.size()) {
    return "str/format: the format ends inside the directive " + shortened_for_message(std::string(fmt.substr(i)));
  }
  spec.conv = fmt[j];
  switch (spec.conv) {
    case 's': case 'd': case 'x': case 'X': case 'f': return "";
    default: break;
  }
  size_t end = j + 1;
  // Name a multi-byte character whole.
  while (end < fmt.size() && (static_cast<unsigned char>(fmt[end]) & 0xC0) == 0x80) ++end;
  return "str/format: unknown directive " + shortened_for_message(std::string(fmt.substr(i, end - i))) + " " + kKnown;
}

void pad(std::string& out, size_t n, char c) { out.append(n, c); }

// Appends `body` (already converted) padded to the width; `sign` stays before zero padding.
void emit(std::string& out, const Spec& spec, std::string_view sign, std::string_view body, bool numeric) {
  size_t chars = utf8::count(sign) + utf8::count(body);
  size_t fill = spec.width > chars ? spec.width - chars : 0;
  if (spec.left) {
    out += sign;
    out += body;
    pad(out, fill, ' ');
  } else if (spec.zero && numeric) {
    out += sign;
    pad(out, fill, '0');
    out += body;
  } else {
    pad(out, fill, ' ');
    out += sign;
    out += body;
  }
}

void format_string(std::string& out, const Spec& spec, Value v) {
  std::string text = display(v);
  std::string_view body = text;
  if (spec.precision >= 0) body = body.substr(0, utf8::offset_of(body, size_t(spec.precision)));
  emit(out, spec, "", body, false);
}

void format_integer(std::string& out, const Spec& spec, int64_t n) {
  uint64_t magnitude = n < 0 ? 0 - uint64_t(n) : uint64_t(n);
  char buf[32];
  const char* pattern = spec.conv == 'd' ? "%" PRIu64 : spec.conv == 'x' ? "%" PRIx64 : "%" PRIX64;
  std::snprintf(buf, sizeof buf, pattern, magnitude);
  std::string digits = buf;
  if (spec.precision >= 0 && digits.size() < size_t(spec.precision)) {
    digits.insert(0, size_t(spec.precision) - digits.size(), '0');
  }
  emit(out, spec, n < 0 ? "-" : spec.plus ? "+" : "", digits, spec.precision < 0);
}

void format_float(std::string& out, const Spec& spec, double d) {
  // printf writes nan with its sign bit ("-nan" from 0.0/0 on x86), which no Valk value shows:
  // nan is unsigned, as print and %s write it.
  if (std::isnan(d)) return emit(out, spec, "", "nan", false);
  int precision = spec.precision >= 0 ? int(spec.precision) : 6;
  // The integral part of a double has at most 309 digits; the rest is sign, point and precision.
  std::string text(size_t(precision) + 320, '\0');
  int n = std::snprintf(&text[0], text.size(), "%.*f", precision, d);
  text.resize(n > 0 ? size_t(n) : 0);
  std::string_view body = text;
  std::string_view sign = spec.plus ? "+" : "";
  if (!body.empty() && body[0] == '-') {
    sign = "-";
    body.remove_prefix(1);
  }
  bool finite = body.find_first_not_of("0123456789.") == std::string_view::npos;
  emit(out, spec, sign, body, finite);
}

std::string needs_integer(size_t argno, char conv, Value v) {
  return "str/format: argument " + std::to_string(argno) + " must be an Integer for %" + conv + ", got " +
         type_name(v);
}

// Formats one argument by its directive. Returns "" or the error message.
std::string format_one(std::string& out, const Spec& spec, Value v, size_t argno) {
  switch (spec.conv) {
    case 's': format_string(out, spec, v); return "";
    case 'f':
      if (!is_number(v)) {
        return "str/format: argument " + std::to_string(argno) + " must be a number for %f, got " + type_name(v);
      }
      format_float(out, spec, number_as_double(v));
      return "";
    default:
      if (!is_int(v)) return needs_integer(argno, spec.conv, v);
      format_integer(out, spec, int_value(v));
      return "";
  }
}

}  // namespace

std::string format_values(std::string_view fmt, std::span<const Value> args, std::string& out) {
  size_t next = 0;
  for (size_t i = 0; i < fmt.size(); ++i) {
    if (fmt[i] != '%') {
      out += fmt[i];
      continue;
    }
    if (i + 1 < fmt.size() && fmt[i + 1] == '%') {
      out += '%';
      ++i;
      continue;
    }
    Spec spec;
    size_t j;
    if (std::string e = parse_spec(fmt, i, j, spec); !e.empty()) return e;
    if (next >= args.size()) {
      return "str/format: the format needs more arguments than the " + std::to_string(args.size()) + " given";
    }
    if (std::string e = format_one(out, spec, args[next], next + 2); !e.empty()) return e;
    ++next;
    i = j;
  }
  if (next < args.size()) return "str/format: " + std::to_string(args.size() - next) + " argument(s) left over by the format";
  return "";
}

}  // namespace valk
