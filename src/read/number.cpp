// number.cpp: recognizing and converting number literals (see number.h).
#include "read/number.h"

#include <charconv>
#include <cmath>
#include <cstdlib>
#include <cstdint>
#include <system_error>

#include "value/make.h"

namespace valk {

namespace {

bool is_digit(char c) { return c >= '0' && c <= '9'; }

// Skips digits from k; returns how many there were.
size_t skip_digits(std::string_view t, size_t& k) {
  size_t from = k;
  while (k < t.size() && is_digit(t[k])) ++k;
  return k - from;
}

Value parse_integer(Heap& heap, std::string_view text, std::string* error) {
  bool negative = text[0] == '-';
  // Accumulate negatively so that the most negative integer reads too.
  int64_t acc = 0;
  for (size_t k = negative ? 1 : 0; k < text.size(); ++k) {
    int digit = text[k] - '0';
    if (acc < (INT64_MIN + digit) / 10) {
      *error = "integer out of range: " + std::string(text);
      return Value::undefined();
    }
    acc = acc * 10 - digit;
  }
  if (!negative) {
    if (acc == INT64_MIN) {
      *error = "integer out of range: " + std::string(text);
      return Value::undefined();
    }
    acc = -acc;
  }
  return make_int(heap, acc);
}

// Clinger's fast path, for the literals most programs write: at most 15 digits and no exponent
// make an integer below 2^53 over a power of ten up to 10^15, both exact doubles, so that one
// division rounds correctly. False for the rest, which the general conversion takes (its code
// and tables then stay out of the memory of programs that never need them).
bool parse_short_decimal(std::string_view t, double* out) {
  static constexpr double kPow10[] = {1e0, 1e1, 1e2,  1e3,  1e4,  1e5,  1e6,  1e7,
                                      1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15};
  bool negative = t[0] == '-';
  uint64_t mantissa = 0;
  int digits = 0, fraction_digits = 0;
  bool in_fraction = false;
  for (size_t k = negative ? 1 : 0; k < t.size(); ++k) {
    if (t[k] == '.') {
      in_fraction = true;
      continue;
    }
    if (!is_digit(t[k]) || ++digits > 15) return false;  // an exponent, or too many digits
    mantissa = mantissa * 10 + uint64_t(t[k] - '0');
    fraction_digits += in_fraction;
  }
  double d = double(mantissa) / kPow10[fraction_digits];
  *out = negative ? -d : d;
  return true;
}

}  // namespace

NumberSyntax classify_number(std::string_view t) {
  size_t k = (!t.empty() && t[0] == '-') ? 1 : 0;
  if (skip_digits(t, k) == 0) return NumberSyntax::kNotNumber;
  if (k == t.size()) return NumberSyntax::kInteger;
  if (t[k] == '.') {
    ++k;
    if (skip_digits(t, k) == 0) return NumberSyntax::kNotNumber;
  }
  if (k < t.size() && (t[k] == 'e' || t[k] == 'E')) {
    ++k;
    if (k < t.size() && (t[k] == '+' || t[k] == '-')) ++k;
    if (skip_digits(t, k) == 0) return NumberSyntax::kNotNumber;
  }
  return k == t.size() ? NumberSyntax::kFloat : NumberSyntax::kNotNumber;
}

Value parse_number(Heap& heap, std::string_view text, NumberSyntax syntax, std::string* error) {
  if (syntax == NumberSyntax::kInteger) return parse_integer(heap, text, error);
  double d = 0;
  if (parse_short_decimal(text, &d)) return make_float(heap, d);
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), d);
  if (ec == std::errc::result_out_of_range) {
    // from_chars reports underflow (1e-400) like overflow and leaves d unset; strtod tells them
    // apart: too small rounds to zero as in every language, too large is an error like an
    // integer out of range. (The runtime never changes LC_NUMERIC, so "." is the point.)
    d = std::strtod(std::string(text).c_str(), nullptr);
    if (std::isinf(d)) {
      *error = "float out of range: " + std::string(text);
      return Value::undefined();
    }
  }
  return make_float(heap, d);
}

}  // namespace valk
