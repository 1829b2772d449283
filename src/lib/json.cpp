// json.cpp: json/decode and json/encode. Decoding is simdjson's (Debian's libsimdjson), loaded on
// first use as libvalk-simdjson.so (src/jsonparse); this file builds Valk values from its events
// and words its errors. Encoding is ours: compact, keys sorted, strings escaped.
#include "lib/json.h"

#include <dlfcn.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <optional>
#include <vector>

#include "config/limits.h"
#include "jsonparse/parser.h"
#include "lib/builtin.h"
#include "lib/check.h"
#include "value/dict.h"
#include "value/make.h"
#include "value/print.h"
#include "value/utf8.h"
#include "vm/vm.h"

#ifndef VALK_PLUGIN_DIR
#define VALK_PLUGIN_DIR "/usr/local/lib/valk"
#endif
#ifndef VALK_PLUGIN_FROM_BIN
#define VALK_PLUGIN_FROM_BIN "../lib/valk"
#endif

namespace valk {

namespace {

// ---- decoding ------------------------------------------------------------------------------------

// The parser is libvalk-simdjson.so (src/jsonparse), loaded at the first json/decode: linked into
// valk, simdjson and the shared libstdc++ it needs cost every start more than the VM's own start.
// It is looked for beside the binary (a build tree), in <bin>/../<libdir>/valk (installed, wherever
// the prefix; VALK_PLUGIN_FROM_BIN), then in the folder chosen when valk was built (VALK_PLUGIN_DIR).
constexpr const char* kParserFile = "libvalk-simdjson.so";

std::string exe_dir() {
  char buf[4096];
  ssize_t n = ::readlink("/proc/self/exe", buf, sizeof buf - 1);
  if (n <= 0) return ".";
  std::string path(buf, size_t(n));
  return path.substr(0, path.rfind('/'));
}

struct Parser {
  ValkJsonParseFn parse = nullptr;
  std::string why;  // when it could not be loaded
};

Parser load_parser() {
  std::string dir = exe_dir();
  for (const std::string& folder : {dir, dir + "/" VALK_PLUGIN_FROM_BIN, std::string(VALK_PLUGIN_DIR)}) {
    std::string path = folder + "/" + kParserFile;
    if (::access(path.c_str(), R_OK) != 0) continue;
    void* lib = ::dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
    if (lib == nullptr) return {nullptr, ::dlerror()};
    auto fn = reinterpret_cast<ValkJsonParseFn>(::dlsym(lib, kValkJsonParseSymbol));
    if (fn == nullptr) return {nullptr, path + " has no " + kValkJsonParseSymbol};
    return {fn, ""};
  }
  return {nullptr, std::string(kParserFile) + " is neither beside valk, in " VALK_PLUGIN_FROM_BIN ", nor in " + VALK_PLUGIN_DIR};
}

// Loaded once per process (isolates share it; a function-local static is initialized once even
// when two threads ask at the same time).
const Parser& parser() {
  static const Parser loaded = load_parser();
  return loaded;
}

// Builds Valk values from the parser's events: a stack of the arrays and objects still open.
// Allocates in the nursery without collecting, as the rest of json_decode.
struct Building {
  struct Open {
    ListBuilder list;                 // an array's items
    std::optional<DictBuilder> dict;  // an object's entries (none for an array)
    Value key = Value::undefined();   // the key whose value comes next
  };
  Heap& heap;
  std::vector<Open> open;
  Value done = Value::undefined();

  void add(Value v) {
    if (open.empty()) {
      done = v;
      return;
    }
    Open& top = open.back();
    if (!top.dict) {
      top.list.push(v);
    } else {
      top.dict->add(top.key, v);  // a repeated key: the last one wins
    }
  }
  Value close() {
    Open& top = open.back();
    Value v = top.dict ? top.dict->finish() : top.list.finish();
    open.pop_back();
    return v;
  }
};

Building& at(void* ctx) { return *static_cast<Building*>(ctx); }

const ValkJsonSink kSink = {
    [](void* c) { at(c).open.push_back({ListBuilder(at(c).heap, true), std::nullopt}); },
    [](void* c) { at(c).add(at(c).close()); },
    [](void* c) { at(c).open.push_back({ListBuilder(at(c).heap, true), DictBuilder(at(c).heap)}); },
    [](void* c, const char* s, size_t n) { at(c).open.back().key = make_string(at(c).heap, {s, n}); },
    [](void* c) { at(c).add(at(c).close()); },
    [](void* c, int64_t v) { at(c).add(make_int(at(c).heap, v)); },
    [](void* c, double v) { at(c).add(make_float(at(c).heap, v)); },
    [](void* c, const char* s, size_t n) { at(c).add(make_string(at(c).heap, {s, n})); },
    [](void* c, int v) { at(c).add(Value::fixnum(v)); },
    [](void* c) { at(c).add(Value::empty_sexpr()); },
};

// Byte offset of the first control character inside a string (simdjson finds them before any
// walk, so it cannot say where), or the end.
size_t first_unescaped(std::string_view text) {
  bool in_string = false;
  for (size_t i = 0; i < text.size(); ++i) {
    unsigned char c = text[i];
    if (!in_string) {
      in_string = c == '"';
    } else if (c == '\\') {
      ++i;
    } else if (c == '"') {
      in_string = false;
    } else if (c < 0x20) {
      return i;
    }
  }
  return text.size();
}

int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  c = char(c | 0x20);
  return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

// The code unit of the \uXXXX escape at text[i], or -1 when it is not one.
int32_t escaped_unit(std::string_view text, size_t i) {
  if (i + 6 > text.size() || text[i] != '\\' || text[i + 1] != 'u') return -1;
  int32_t unit = 0;
  for (size_t k = i + 2; k < i + 6; ++k) {
    int d = hex_digit(text[k]);
    if (d < 0) return -1;
    unit = unit * 16 + d;
  }
  return unit;
}

// Bytes of the escape at text[i] (a backslash in a string), or 0 when JSON has no such escape:
// an unknown letter, too few hex digits, a surrogate not in a high-low pair.
size_t escape_size(std::string_view text, size_t i) {
  constexpr std::string_view kOneLetter = "\"\\/bfnrt";
  if (i + 1 < text.size() && kOneLetter.find(text[i + 1]) != std::string_view::npos) return 2;
  int32_t unit = escaped_unit(text, i);
  if (unit < 0 || (unit >= 0xDC00 && unit <= 0xDFFF)) return 0;
  if (unit < 0xD800 || unit > 0xDBFF) return 6;
  int32_t low = escaped_unit(text, i + 6);
  return low >= 0xDC00 && low <= 0xDFFF ? 12 : 0;
}

// Byte offset of the first bad escape in a string, or npos: simdjson reports a bad string where
// the string ends, not at its escape.
size_t first_bad_escape(std::string_view text) {
  bool in_string = false;
  for (size_t i = 0; i < text.size(); ++i) {
    if (!in_string) {
      in_string = text[i] == '"';
    } else if (text[i] == '"') {
      in_string = false;
    } else if (text[i] == '\\') {
      size_t n = escape_size(text, i);
      if (n == 0) return i;
      i += n - 1;
    }
  }
  return std::string_view::npos;
}

// True when rest is one whole number or literal. simdjson calls such a value malformed when it
// ends the text inside an array or object (it reads past it), where the text was only cut short.
bool whole_scalar(std::string_view rest) {
  if (rest == "true" || rest == "false" || rest == "null") return true;
  size_t i = rest.substr(0, 1) == "-" ? 1 : 0;
  auto digits = [&] {
    size_t from = i;
    while (i < rest.size() && rest[i] >= '0' && rest[i] <= '9') ++i;
    return i - from;
  };
  size_t whole = digits();
  if (whole == 0 || (whole > 1 && rest[i - whole] == '0')) return false;
  if (i < rest.size() && rest[i] == '.') {
    ++i;
    if (digits() == 0) return false;
  }
  if (i < rest.size() && (rest[i] == 'e' || rest[i] == 'E')) {
    ++i;
    if (i < rest.size() && (rest[i] == '+' || rest[i] == '-')) ++i;
    if (digits() == 0) return false;
  }
  return i == rest.size();
}

// Why the text is malformed, in words a JSON user knows (simdjson's own messages name its internals).
std::string reason(ValkJsonError e) {
  switch (e) {
    case kValkJsonDepth: return "nested deeper than " + std::to_string(limits::kJsonMaxDepth) + " levels";
    case kValkJsonString: return "bad string or escape";
    case kValkJsonUnclosedString: return "unclosed string";
    case kValkJsonUnescaped: return "control character in a string";
    case kValkJsonUtf8: return "invalid UTF-8";
    case kValkJsonNumber: return "bad number";
    case kValkJsonLiteral: return "bad literal";
    case kValkJsonTrailing: return "text after the document";
    case kValkJsonEmpty: return "no document";
    case kValkJsonOk:
    case kValkJsonOther:
    case kValkJsonOutOfMemory: break;
  }
  return "unexpected character";
}

// The message of a malformed document: the offset is the parser's, except for the errors simdjson
// finds before any walk (so cannot place) or places after the fault, which are found here.
std::string malformed(std::string_view text, ValkJsonResult r) {
  size_t offset = r.offset;
  ValkJsonError error = r.error;
  if (r.cause == kValkJsonUtf8) offset = utf8::first_invalid(text);
  if (r.cause == kValkJsonUnescaped) offset = first_unescaped(text);
  if (r.cause == kValkJsonEmpty) offset = 0;
  if (error == kValkJsonString) offset = std::min(offset, first_bad_escape(text));
  // A value at the end of the text after an opening bracket: the text ends too soon, as "[1,2 " does.
  bool inside = text.find_first_not_of(" \t\n\r") < offset;
  if ((error == kValkJsonNumber || error == kValkJsonLiteral || error == kValkJsonOther) && inside &&
      offset < text.size() && whole_scalar(text.substr(offset))) {
    offset = text.size();
    error = kValkJsonOther;
  }
  // A number or literal alone at the top followed by more text: simdjson places the error at the
  // value's start (as text after the document, or as a literal read together with what follows).
  constexpr std::string_view kSpace = " \t\n\r";
  size_t start = text.find_first_not_of(kSpace);
  if ((error == kValkJsonTrailing || error == kValkJsonNumber || error == kValkJsonLiteral) && offset == start) {
    size_t end = std::min(text.find_first_of(" \t\n\r[]{},:\"", start), text.size());
    size_t next = text.find_first_not_of(kSpace, end);
    if (next != std::string_view::npos && whole_scalar(text.substr(start, end - start))) {
      offset = next;
      error = kValkJsonTrailing;
    }
  }
  return "malformed JSON at byte " + std::to_string(offset) + ": " + reason(error);
}

// ---- encoding -----------------------------------------------------------------------------------

const char kHex[] = "0123456789abcdef";

std::string cannot(const char* what, Value v) {
  return std::string("cannot encode ") + what + ": " + readable_for_message(v);
}

std::string encode_string(std::string_view s, std::string& out) {
  size_t bad = utf8::first_invalid(s);
  if (bad != utf8::kValid) return "cannot encode a String with invalid UTF-8 at byte " + std::to_string(bad);
  out += '"';
  for (unsigned char c : s) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\b': out += "\\b"; break;
      case '\f': out += "\\f"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (c < 0x20) {
          out += "\\u00";
          out += kHex[c >> 4];
          out += kHex[c & 15];
        } else {
          out += char(c);
        }
    }
  }
  out += '"';
  return "";
}

std::string encode_value(Value v, std::string& out, uint32_t depth);

std::string encode_list(Value v, std::string& out, uint32_t depth) {
  out += '[';
  for (Value l = v; is_cons(l); l = cdr(l)) {
    if (l != v) out += ',';
    if (std::string e = encode_value(car(l), out, depth + 1); !e.empty()) return e;
  }
  out += ']';
  return "";
}

struct Entry {
  std::string_view name;  // the key's text in JSON
  Value key;
  Value value;
};

// Keys are Strings or Symbols (their names); sorted bytewise so that equal dicts give equal text.
// The String "a" and the Symbol a are two keys of a Dict but one name in JSON: an error, since a
// reader of the text would keep only one of them.
std::string encode_dict(Value v, std::string& out, uint32_t depth) {
  std::vector<Entry> entries;
  std::string problem;
  dict_for_each(v, [&](Value k, Value x) {
    if (is_string(k)) {
      entries.push_back({k.as<String>()->view(), k, x});
    } else if (is_symbol(k)) {
      entries.push_back({k.as<Symbol>()->name(), k, x});
    } else if (problem.empty()) {
      problem = cannot("a key that is not a String or Symbol", k);
    }
  });
  if (!problem.empty()) return problem;
  std::sort(entries.begin(), entries.end(), [](const Entry& a, const Entry& b) { return a.name < b.name; });
  out += '{';
  for (size_t i = 0; i < entries.size(); ++i) {
    if (i && entries[i].name == entries[i - 1].name) {
      return cannot("a key given both as a String and as a Symbol",
                    is_string(entries[i].key) ? entries[i].key : entries[i - 1].key);
    }
    if (i) out += ',';
    if (std::string e = encode_string(entries[i].name, out); !e.empty()) return e;
    out += ':';
    if (std::string e = encode_value(entries[i].value, out, depth + 1); !e.empty()) return e;
  }
  out += '}';
  return "";
}

// depth: the levels of arrays and objects v is in, and v itself when it is one.
std::string encode_value(Value v, std::string& out, uint32_t depth) {
  if (is_int(v)) {
    out += std::to_string(int_value(v));
    return "";
  }
  if (is_float(v)) {
    double d = float_value(v);
    if (!std::isfinite(d)) return cannot("a Float that is not finite", v);
    print_float(out, d);
    return "";
  }
  if (is_string(v)) return encode_string(v.as<String>()->view(), out);
  if (v.is_empty_sexpr()) {
    out += "null";
    return "";
  }
  if ((is_list(v) || is_dict(v)) && depth > limits::kJsonMaxDepth) {
    return "cannot encode a value nested deeper than " + std::to_string(limits::kJsonMaxDepth) + " levels";
  }
  if (is_list(v)) return encode_list(v, out, depth);
  if (is_dict(v)) return encode_dict(v, out, depth);
  std::string name = type_name(v);
  bool vowel = std::string_view("AEIOU").find(name[0]) != std::string_view::npos;
  return cannot(((vowel ? "an " : "a ") + name).c_str(), v);
}

// ---- builtins -------------------------------------------------------------------------------------

Value builtin_decode(VM& vm, Args a) {
  if (!is_string(a[0])) return arg_error(vm, "json/decode", 0, "a String", a[0]);
  Value out;
  std::string e = json_decode(vm.heap(), a[0].as<String>()->view(), out);
  return e.empty() ? out : vm.error("json/decode: " + e);
}

Value builtin_encode(VM& vm, Args a) {
  std::string out;
  std::string e = json_encode(a[0], out);
  return e.empty() ? make_string(vm.heap(), out) : vm.error("json/encode: " + e);
}

const BuiltinInfo kJson[] = {
    {"json/decode", "text",
     "The value of a JSON document: objects become Dicts with String keys, arrays Q-expressions, integers "
     "Integers, other numbers Floats, true and false 1 and 0, null (). A malformed document is an error "
     "naming the byte offset.",
     1, 1, 0, 0, builtin_decode, nullptr},
    {"json/encode", "value",
     "Compact JSON text of value: Dicts (String or Symbol keys, sorted) become objects, lists arrays, "
     "Integers and finite Floats numbers, Strings strings, () null. Anything else is an error naming it.",
     1, 1, 0, 0, builtin_encode, nullptr},
};

}  // namespace

std::string json_decode(Heap& heap, std::string_view text, Value& out) {
  const Parser& p = parser();
  if (p.parse == nullptr) return "cannot load the JSON parser: " + p.why;
  Building building{heap, {}};
  ValkJsonResult r = p.parse(text.data(), text.size(), limits::kJsonMaxDepth, &kSink, &building);
  if (r.error == kValkJsonOutOfMemory) return "out of memory";
  if (r.error != kValkJsonOk) return malformed(text, r);
  out = building.done;
  return "";
}

std::string json_encode(Value v, std::string& out) { return encode_value(v, out, 1); }

constinit const std::span<const BuiltinInfo> json_builtins{kJson};

}  // namespace valk
