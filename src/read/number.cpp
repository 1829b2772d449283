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
