// string.cpp: the str/ builtins: searching, splitting, joining, case, trimming, formatting,
// conversions, UTF-8 characters (indices count characters, from 0; negative ones count from the
// end) and the string builder. Strings stay immutable; the builder is the one mutable object.
#include <charconv>
#include <clocale>
#include <cstdlib>
#include <cwctype>
#include <string>

#include "gc/heap.h"
#include "lib/builtin.h"
#include "lib/check.h"
#include "lib/strformat.h"
#include "value/make.h"
#include "value/print.h"
#include "value/symbol.h"
#include "value/utf8.h"
#include "vm/vm.h"

namespace valk {

namespace {

std::string_view sv(Value v) { return v.as<String>()->view(); }

// Checks that arguments [0, n) are Strings. Returns an Error value or undefined.
Value need_strings(VM& vm, const char* fn, Args a, uint32_t n) {
  for (uint32_t i = 0; i < n; ++i) {
    if (!is_string(a[i])) return arg_error(vm, fn, i, "a String", a[i]);
  }
  return Value::undefined();
}

#define NEED_STRINGS(fn, n)                                                     \
  if (Value e_ = need_strings(vm, fn, a, n); !e_.is_undefined()) return e_

// What a String's bytes are, worked out once and kept in its header (value/object.h, strflag):
// a loop of str/char-at over a String checked and counted all of it at every call.
uint16_t char_flags(Value v) {
  auto* s = v.as<String>();
  if (!(s->flags & strflag::kChecked)) {
    std::string_view bytes = s->view();
    uint16_t flags = strflag::kChecked;
    if (utf8::is_ascii(bytes)) {
      flags |= strflag::kAscii;
    } else if (utf8::first_invalid(bytes) != utf8::kValid) {
      flags |= strflag::kInvalid;
    }
    s->flags = flags;
  }
  return s->flags;
}

// A valid String's characters: an ASCII String's are its bytes; another's are found by walking
// them. A loop indexing one String character by character (a lexer) walked from the start at
// every call, quadratic in the String; now the last String indexed keeps its character count
// and a cursor (character k starts at byte b), and the next index walks from there. The cursor
// names the String by its address, which is only the String's between two collections: it
// holds for the heap and the collection count it was made with.
struct CharCursor {
  const Heap* heap = nullptr;
  uint64_t collections = 0;
  const String* s = nullptr;
  size_t chars = 0;
  size_t k = 0, b = 0;
};
thread_local CharCursor char_cursor;

CharCursor& cursor_of(VM& vm, Value v) {
  auto* s = v.as<String>();
  const GcStats& st = vm.heap().stats();
  uint64_t collections = st.minor_count + st.major_count;
  CharCursor& c = char_cursor;
  if (c.s != s || c.heap != &vm.heap() || c.collections != collections) {
    c = CharCursor{&vm.heap(), collections, s, utf8::count(s->view()), 0, 0};
  }
  return c;
}

size_t char_count(VM& vm, Value v) {
  return char_flags(v) & strflag::kAscii ? v.as<String>()->length : cursor_of(vm, v).chars;
}
// The byte where character k (at most the count) starts.
size_t char_offset(VM& vm, Value v, size_t k) {
  if (char_flags(v) & strflag::kAscii) return k;
  CharCursor& c = cursor_of(vm, v);
  std::string_view s = sv(v);
  if (k < c.k && k > c.k - k) {  // nearer the cursor than the start: walk back
    for (; c.k > k; --c.k) {
      do --c.b;
      while ((uint8_t(s[c.b]) & 0xC0) == 0x80);  // continuation bytes
    }
    return c.b;
  }
  if (k < c.k) c.k = c.b = 0;
  c.b = utf8::offset_of(s, k - c.k, c.b);
  c.k = k;
  return c.b;
}
// The characters before byte `at`, a character's first byte (or the end).
size_t chars_before(VM& vm, Value v, size_t at) {
  if (char_flags(v) & strflag::kAscii) return at;
  CharCursor& c = cursor_of(vm, v);
  if (at < c.b) c.k = c.b = 0;
  c.k += utf8::count(sv(v).substr(c.b, at - c.b));
  c.b = at;
  return c.k;
}

// `whose` names the String when it is not the one the function works on ("the needle's ").
Value need_valid(VM& vm, const char* fn, Value v, const char* whose = "") {
  if (!(char_flags(v) & strflag::kInvalid)) return Value::undefined();
  size_t bad = utf8::first_invalid(sv(v));
  return vm.error(std::string(fn) + ": invalid UTF-8 at " + whose + "byte " + std::to_string(bad));
}

#define NEED_VALID(fn, ...)                                                     \
  if (Value e_ = need_valid(vm, fn, __VA_ARGS__); !e_.is_undefined()) return e_

// A character index: negative counts from the end; `count` itself is allowed when `end_ok`.
// Returns an Error value or undefined, with the index in `out`.
Value char_index(VM& vm, const char* fn, Args a, uint32_t i, size_t count, bool end_ok, size_t& out) {
  if (!is_int(a[i])) return arg_error(vm, fn, i, "an Integer", a[i]);
  int64_t k = int_value(a[i]);
  int64_t resolved = k < 0 ? int64_t(count) + k : k;
  if (resolved < 0 || uint64_t(resolved) > count || (!end_ok && uint64_t(resolved) == count)) {
    return vm.error(std::string(fn) + ": index " + std::to_string(k) + " is out of range for a string of " +
                    std::to_string(count) + " characters");
  }
  out = size_t(resolved);
  return Value::undefined();
}

Value str(VM& vm, std::string_view s) { return make_string(vm.heap(), s); }
Value boolean(bool b) { return Value::fixnum(b ? 1 : 0); }

// ---- characters ----------------------------------------------------------------------------

Value builtin_length(VM& vm, Args a) {
  NEED_STRINGS("str/length", 1);
  NEED_VALID("str/length", a[0]);
  return make_int(vm.heap(), int64_t(char_count(vm, a[0])));
}

Value builtin_slice(VM& vm, Args a) {
  NEED_STRINGS("str/slice", 1);
  std::string_view s = sv(a[0]);
  NEED_VALID("str/slice", a[0]);
  size_t count = char_count(vm, a[0]), from, to = count;
  if (Value e = char_index(vm, "str/slice", a, 1, count, true, from); !e.is_undefined()) return e;
  if (a.n > 2) {
    if (Value e = char_index(vm, "str/slice", a, 2, count, true, to); !e.is_undefined()) return e;
  }
  if (from > to) {
    return vm.error("str/slice: start " + std::to_string(from) + " is after end " + std::to_string(to));
  }
  size_t b0 = char_offset(vm, a[0], from);
  size_t b1 = char_offset(vm, a[0], to);
  return str(vm, s.substr(b0, b1 - b0));
}

Value builtin_char_at(VM& vm, Args a) {
  NEED_STRINGS("str/char-at", 1);
  std::string_view s = sv(a[0]);
  NEED_VALID("str/char-at", a[0]);
  size_t k;
  if (Value e = char_index(vm, "str/char-at", a, 1, char_count(vm, a[0]), false, k); !e.is_undefined()) return e;
  size_t b0 = char_offset(vm, a[0], k);
  return str(vm, s.substr(b0, utf8::offset_of(s, 1, b0) - b0));
}

Value builtin_chars(VM& vm, Args a) {
  NEED_STRINGS("str/chars", 1);
  std::string_view s = sv(a[0]);
  NEED_VALID("str/chars", a[0]);
  ListBuilder out(vm.heap(), true);
  for (size_t i = 0; i < s.size();) {
    size_t next = utf8::offset_of(s, 1, i);
    out.push(str(vm, s.substr(i, next - i)));
    i = next;
  }
  return out.finish();
}

Value builtin_codepoints(VM& vm, Args a) {
  NEED_STRINGS("str/codepoints", 1);
  std::string_view s = sv(a[0]);
  NEED_VALID("str/codepoints", a[0]);
  ListBuilder out(vm.heap(), true);
  for (size_t i = 0; i < s.size();) out.push(Value::fixnum(utf8::decode(s, i)));
  return out.finish();
}

Value builtin_from_codepoints(VM& vm, Args a) {
  if (!is_qexpr(a[0])) return arg_error(vm, "str/from-codepoints", 0, "a Q-expression", a[0]);
  std::string out;
  size_t n = 1;
  for (Value c = a[0]; is_cons(c); c = cdr(c), ++n) {
    Value v = car(c);
    if (!is_int(v) || int_value(v) < 0 || !utf8::encode(out, uint32_t(std::min<int64_t>(int_value(v), INT32_MAX)))) {
      return vm.error("str/from-codepoints: element " + std::to_string(n) +
                      " is not a Unicode scalar value: " + readable_for_message(v));
    }
  }
  return str(vm, out);
}

Value builtin_valid(VM& vm, Args a) {
  NEED_STRINGS("str/valid?", 1);
  return boolean(utf8::first_invalid(sv(a[0])) == utf8::kValid);
}

// ---- bytes ---------------------------------------------------------------------------------

Value builtin_bytes(VM& vm, Args a) {
  NEED_STRINGS("str/bytes", 1);
  ListBuilder out(vm.heap(), true);
  for (char c : sv(a[0])) out.push(Value::fixnum(static_cast<unsigned char>(c)));
  return out.finish();
}

Value builtin_from_bytes(VM& vm, Args a) {
  if (!is_qexpr(a[0])) return arg_error(vm, "str/from-bytes", 0, "a Q-expression", a[0]);
  std::string out;
  size_t n = 1;
  for (Value c = a[0]; is_cons(c); c = cdr(c), ++n) {
    Value v = car(c);
    if (!is_int(v) || int_value(v) < 0 || int_value(v) > 255) {
      return vm.error("str/from-bytes: element " + std::to_string(n) +
                      " is not a byte (0 to 255): " + readable_for_message(v));
    }
    out += char(int_value(v));
  }
  return str(vm, out);
}

// ---- searching -----------------------------------------------------------------------------

Value builtin_find(VM& vm, Args a) {
  NEED_STRINGS("str/find", 2);
  std::string_view s = sv(a[0]), needle = sv(a[1]);
  NEED_VALID("str/find", a[0]);
  NEED_VALID("str/find", a[1], "the needle's ");  // else it could match inside a character
  size_t from = 0;
  if (a.n > 2) {
    if (Value e = char_index(vm, "str/find", a, 2, char_count(vm, a[0]), true, from); !e.is_undefined()) return e;
  }
  size_t at = s.find(needle, char_offset(vm, a[0], from));
  if (at == std::string_view::npos) return Value::fixnum(-1);
  return make_int(vm.heap(), int64_t(chars_before(vm, a[0], at)));
}

Value builtin_contains(VM& vm, Args a) {
  NEED_STRINGS("str/contains?", 2);
  return boolean(sv(a[0]).find(sv(a[1])) != std::string_view::npos);
}

Value builtin_starts_with(VM& vm, Args a) {
  NEED_STRINGS("str/starts-with?", 2);
  return boolean(sv(a[0]).starts_with(sv(a[1])));
}

Value builtin_ends_with(VM& vm, Args a) {
  NEED_STRINGS("str/ends-with?", 2);
  return boolean(sv(a[0]).ends_with(sv(a[1])));
}

Value builtin_compare(VM& vm, Args a) {
  NEED_STRINGS("str/compare", 2);
  int c = sv(a[0]).compare(sv(a[1]));
  return Value::fixnum(c < 0 ? -1 : c > 0 ? 1 : 0);
}

// ---- splitting, joining, replacing ---------------------------------------------------------

Value builtin_split(VM& vm, Args a) {
  NEED_STRINGS("str/split", 2);
  std::string_view s = sv(a[0]), sep = sv(a[1]);
  if (sep.empty()) return vm.error("str/split: the separator is empty (str/chars splits into characters)");
  ListBuilder out(vm.heap(), true);
  for (size_t start = 0;;) {
    size_t at = s.find(sep, start);
    if (at == std::string_view::npos) {
      out.push(str(vm, s.substr(start)));
      break;
    }
    out.push(str(vm, s.substr(start, at - start)));
    start = at + sep.size();
  }
  return out.finish();
}

Value builtin_join(VM& vm, Args a) {
  NEED_STRINGS("str/join", 1);
  if (!is_qexpr(a[1])) return arg_error(vm, "str/join", 1, "a Q-expression", a[1]);
  std::string out;
  size_t n = 1;
  for (Value c = a[1]; is_cons(c); c = cdr(c), ++n) {
    if (!is_string(car(c))) {
      return vm.error("str/join: element " + std::to_string(n) + " of the list must be a String, got " +
                      type_name(car(c)));
    }
    if (n > 1) out += sv(a[0]);
    out += sv(car(c));
  }
  return str(vm, out);
}

Value builtin_replace(VM& vm, Args a) {
  NEED_STRINGS("str/replace", 3);
  std::string_view s = sv(a[0]), old = sv(a[1]), now = sv(a[2]);
  if (old.empty()) return vm.error("str/replace: the string to replace is empty");
  std::string out;
  size_t start = 0;
  for (size_t at; (at = s.find(old, start)) != std::string_view::npos; start = at + old.size()) {
    out += s.substr(start, at - start);
    out += now;
  }
  out += s.substr(start);
  return str(vm, out);
}

Value builtin_repeat(VM& vm, Args a) {
  NEED_STRINGS("str/repeat", 1);
  if (!is_int(a[1])) return arg_error(vm, "str/repeat", 1, "an Integer", a[1]);
  int64_t n = int_value(a[1]);
  if (n < 0) return vm.error("str/repeat: the count is negative: " + std::to_string(n));
  std::string_view s = sv(a[0]);
  if (s.empty()) return a[0];
  if (uint64_t(n) > memory_limit(vm) / s.size()) return vm.error("out of memory");
  std::string out;
  out.reserve(s.size() * size_t(n));
  for (int64_t i = 0; i < n; ++i) out += s;
  return str(vm, out);
}

// ---- case (Unicode, by libc's C.UTF-8 locale) and whitespace (ASCII) -----------------------

// glibc's C.UTF-8 locale, whose towupper_l/towlower_l are Unicode's simple (one character to one
// character) case mappings: no table of our own. Null when the C library has no such locale,
// and then only ASCII letters change.
locale_t utf8_ctype() {
  static const locale_t loc = newlocale(LC_CTYPE_MASK, "C.UTF-8", locale_t(nullptr));
  return loc;
}

char upper(char c) { return c >= 'a' && c <= 'z' ? char(c - 32) : c; }
char lower(char c) { return c >= 'A' && c <= 'Z' ? char(c + 32) : c; }

// `s` with every character mapped by `map` (towupper_l or towlower_l); invalid UTF-8 is an error.
Value map_case(VM& vm, Args a, const char* fn, bool up) {
  NEED_STRINGS(fn, 1);
  std::string_view s = sv(a[0]);
  locale_t loc = utf8_ctype();
  if (utf8::is_ascii(s) || loc == locale_t(nullptr)) {
    std::string out(s);
    for (char& c : out) c = up ? upper(c) : lower(c);
    return str(vm, out);
  }
  NEED_VALID(fn, a[0]);
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size();) {
    uint32_t cp = utf8::decode(s, i);
    auto mapped = uint32_t(up ? towupper_l(wint_t(cp), loc) : towlower_l(wint_t(cp), loc));
    if (!utf8::encode(out, mapped)) utf8::encode(out, cp);
  }
  return str(vm, out);
}

Value builtin_upper(VM& vm, Args a) { return map_case(vm, a, "str/upper", true); }
Value builtin_lower(VM& vm, Args a) { return map_case(vm, a, "str/lower", false); }

constexpr std::string_view kSpace = " \t\n\v\f\r";

Value trim(VM& vm, Args a, const char* fn, bool left, bool right) {
  NEED_STRINGS(fn, 1);
  std::string_view s = sv(a[0]);
  size_t b = left ? s.find_first_not_of(kSpace) : 0;
  if (b == std::string_view::npos) return str(vm, "");
  size_t e = right ? s.find_last_not_of(kSpace) + 1 : s.size();
  return str(vm, s.substr(b, e - b));
}

Value builtin_trim(VM& vm, Args a) { return trim(vm, a, "str/trim", true, true); }
Value builtin_trim_left(VM& vm, Args a) { return trim(vm, a, "str/trim-left", true, false); }
Value builtin_trim_right(VM& vm, Args a) { return trim(vm, a, "str/trim-right", false, true); }

// ---- formatting and conversions ------------------------------------------------------------

Value builtin_format(VM& vm, Args a) {
  NEED_STRINGS("str/format", 1);
  std::string out;
  std::string problem = format_values(sv(a[0]), std::span<const Value>(a.v + 1, a.n - 1), out);
  if (!problem.empty()) return vm.error(problem);
  return str(vm, out);
}

Value builtin_from(VM& vm, Args a) {
  if (is_string(a[0])) return a[0];
  return str(vm, display(a[0]));
}

Value builtin_to_int(VM& vm, Args a) {
  NEED_STRINGS("str/to-int", 1);
  int64_t base = 10;
  if (a.n > 1) {
    if (!is_int(a[1])) return arg_error(vm, "str/to-int", 1, "an Integer", a[1]);
    base = int_value(a[1]);
    if (base < 2 || base > 36) return vm.error("str/to-int: the base must be from 2 to 36, got " + std::to_string(base));
  }
  // A sign and digits, nothing else (from_chars takes no space, "+" or "0x", as strtoll would).
  std::string_view text = sv(a[0]);
  std::string_view number = text.starts_with('+') && !text.starts_with("+-") ? text.substr(1) : text;
  int64_t n = 0;
  auto [end, problem] = std::from_chars(number.data(), number.data() + number.size(), n, int(base));
  if (end != number.data() + number.size() || (problem != std::errc() && problem != std::errc::result_out_of_range)) {
    return vm.error("str/to-int: not an integer in base " + std::to_string(base) + ": " +
                    readable_for_message(a[0]));
  }
  if (problem != std::errc()) return vm.error("str/to-int: out of the 64-bit range: " + readable_for_message(a[0]));
  return make_int(vm.heap(), n);
}

Value builtin_to_symbol(VM& vm, Args a) {
  NEED_STRINGS("str/to-symbol", 1);
  if (sv(a[0]).empty()) return vm.error("str/to-symbol: a symbol's name cannot be empty");
  return Value::object(vm.symbols().intern(sv(a[0])));
}

// ---- the string builder --------------------------------------------------------------------

Value builtin_builder(VM& vm, Args) {
  auto* b = static_cast<StrBuilder*>(vm.heap().alloc_old(sizeof(StrBuilder), ObjType::kStrBuilder));
  b->bytes = new std::string();
  vm.heap().count_outside_bytes(ptrdiff_t(b->bytes->capacity()));  // what finalize_builder uncounts
  return Value::object(b);
}

Value builtin_add(VM& vm, Args a) {
  if (!is_str_builder(a[0])) return arg_error(vm, "str/add!", 0, "a StringBuilder", a[0]);
  std::string& bytes = *a[0].as<StrBuilder>()->bytes;
  // Garbage builders must bring a collection near, as garbage strings do (finalize_builder
  // uncounts); counted on the way out, so also when an append throws bad_alloc.
  struct CountGrowth {
    Heap& heap;
    const std::string& bytes;
    size_t before = bytes.capacity();
    ~CountGrowth() { heap.count_outside_bytes(ptrdiff_t(bytes.capacity() - before)); }
  } count{vm.heap(), bytes};
  for (uint32_t i = 1; i < a.n; ++i) {
    if (is_string(a[i])) {
      bytes += sv(a[i]);
    } else {
      print_display(bytes, a[i]);
    }
  }
  return a[0];
}

Value builtin_build(VM& vm, Args a) {
  if (!is_str_builder(a[0])) return arg_error(vm, "str/build", 0, "a StringBuilder", a[0]);
  return str(vm, *a[0].as<StrBuilder>()->bytes);
}

const BuiltinInfo kString[] = {
    {"str/length", "s", "Number of characters of the UTF-8 string `s` (`len` counts bytes).", 1, 1, 0, 0,
     builtin_length, nullptr},
    {"str/slice", "s start [end]",
     "The characters of `s` from index `start` up to, not including, `end` (default: the end). Indices "
     "count characters from 0; negative ones count from the end.",
     2, 3, 0, 0, builtin_slice, nullptr},
    {"str/char-at", "s i", "The character at index `i` of `s` (from 0; negative from the end), as a String.", 2, 2,
     0, 0, builtin_char_at, nullptr},
    {"str/chars", "s", "The characters of `s`, as a Q-expression of one-character Strings.", 1, 1, 0, 0,
     builtin_chars, nullptr},
    {"str/codepoints", "s", "The Unicode code points of the characters of `s`, as Integers.", 1, 1, 0, 0,
     builtin_codepoints, nullptr},
    {"str/from-codepoints", "codes", "The UTF-8 String of a Q-expression of Unicode code points.", 1, 1, 0, 0,
     builtin_from_codepoints, nullptr},
    {"str/valid?", "s", "1 when `s` is well-formed UTF-8, else 0.", 1, 1, 0, 0, builtin_valid, nullptr},
    {"str/bytes", "s", "The bytes of `s`, as Integers from 0 to 255.", 1, 1, 0, 0, builtin_bytes, nullptr},
    {"str/from-bytes", "bytes", "The String of a Q-expression of bytes (Integers from 0 to 255); it may be "
     "any bytes, UTF-8 or not.", 1, 1, 0, 0, builtin_from_bytes, nullptr},
    {"str/find", "s needle [start]",
     "Index (in characters, from 0) of the first `needle` in `s` at or after character `start`, or -1.", 2, 3,
     0, 0, builtin_find, nullptr},
    {"str/contains?", "s needle", "1 when `needle` occurs in `s`, else 0.", 2, 2, 0, 0, builtin_contains, nullptr},
    {"str/starts-with?", "s prefix", "1 when `s` starts with `prefix`, else 0.", 2, 2, 0, 0, builtin_starts_with,
     nullptr},
    {"str/ends-with?", "s suffix", "1 when `s` ends with `suffix`, else 0.", 2, 2, 0, 0, builtin_ends_with,
     nullptr},
    {"str/compare", "a b", "-1, 0 or 1 as `a` sorts before, with or after `b` (bytewise).", 2, 2, 0, 0,
     builtin_compare, nullptr},
    {"str/split", "s sep", "The pieces of `s` between occurrences of `sep`, as a Q-expression of Strings.", 2, 2,
     0, 0, builtin_split, nullptr},
    {"str/join", "sep strings", "The Strings of the Q-expression `strings` joined with `sep` between them.", 2, 2,
     0, 0, builtin_join, nullptr},
    {"str/replace", "s old new", "`s` with every occurrence of `old` replaced by `new`.", 3, 3, 0, 0,
     builtin_replace, nullptr},
    {"str/repeat", "s n", "`s` repeated `n` times.", 2, 2, 0, 0, builtin_repeat, nullptr},
    {"str/upper", "s",
     "`s` in upper case, character by character (Unicode's simple mappings: \"wörld\" gives \"WÖRLD\", "
     "ß stays ß); invalid UTF-8 is an error.",
     1, 1, 0, 0, builtin_upper, nullptr},
    {"str/lower", "s",
     "`s` in lower case, character by character (Unicode's simple mappings: \"ÉTÉ\" gives \"été\"); "
     "invalid UTF-8 is an error.",
     1, 1, 0, 0, builtin_lower, nullptr},
    {"str/trim", "s", "`s` without ASCII whitespace at either end.", 1, 1, 0, 0, builtin_trim, nullptr},
    {"str/trim-left", "s", "`s` without ASCII whitespace at the start.", 1, 1, 0, 0, builtin_trim_left, nullptr},
    {"str/trim-right", "s", "`s` without ASCII whitespace at the end.", 1, 1, 0, 0, builtin_trim_right, nullptr},
    {"str/format", "format & xs",
     "`format` with each directive %[-0+][width][.precision]c replaced by the next argument: %s any value "
     "(strings without quotes), %d an Integer, %x/%X an Integer in hexadecimal, %f a number; %% is a "
     "percent sign.",
     1, -1, 0, 0, builtin_format, nullptr},
    {"str/from", "x", "`x` as a String, as print shows it (a String is returned as it is).", 1, 1, 0, 0,
     builtin_from, nullptr},
    {"str/to-int", "s [base]", "The Integer written in `s` (optional sign, digits in `base`, default 10).", 1, 2,
     0, 0, builtin_to_int, nullptr},
    {"str/to-symbol", "s", "The symbol named `s`.", 1, 1, 0, 0, builtin_to_symbol, nullptr},
    {"str/builder", "", "A new, empty string builder: a mutable buffer for building a String in linear time.", 0,
     0, builtinflag::kCallBare, 0, builtin_builder, nullptr},
    {"str/add!", "b & xs",
     "Appends each value to the string builder `b` (strings as they are, others as print shows them). "
     "Returns `b`.",
     1, -1, 0, 0, builtin_add, nullptr},
    {"str/build", "b", "The String the builder `b` holds so far (`b` can go on growing).", 1, 1, 0, 0,
     builtin_build, nullptr},
};

}  // namespace

constinit const std::span<const BuiltinInfo> string_builtins{kString};

size_t finalize_builder(Object* o) {
  auto* b = static_cast<StrBuilder*>(o);
  size_t counted = b->bytes->capacity();
  delete b->bytes;
  b->bytes = nullptr;
  return counted;
}

}  // namespace valk
