// json.cpp: json/decode and json/encode. Decoding walks simdjson's On-Demand API (Debian's
// libsimdjson), which validates as it goes and can say where it stopped, so a malformed document
// is reported with its byte offset. Encoding is ours: compact, keys sorted, strings escaped.
#include "lib/json.h"

#include <simdjson.h>

#include <algorithm>
#include <cmath>
#include <utility>
#include <vector>

#include "config/limits.h"
#include "lib/builtin.h"
#include "lib/check.h"
#include "value/dict.h"
#include "value/make.h"
#include "value/print.h"
#include "value/utf8.h"
#include "vm/vm.h"

namespace valk {

namespace {

namespace od = simdjson::ondemand;
using simdjson::error_code;

// ---- decoding ------------------------------------------------------------------------------------

// The document is parsed by simdjson's DOM parser, which picks the fastest kernel of this CPU at
// run time. It cannot say where an error is; On-Demand can (but only with the portable kernel,
// since we are built for any x86-64), so a malformed document is walked once more with it.

Value decode_element(Heap& heap, simdjson::dom::element e) {
  using simdjson::dom::element_type;
  switch (e.type()) {
    case element_type::ARRAY: {
      ListBuilder list(heap, true);
      simdjson::dom::array items = e.get_array().value_unsafe();  // a copy: the result is a temporary
      for (simdjson::dom::element x : items) list.push(decode_element(heap, x));
      return list.finish();
    }
    case element_type::OBJECT: {
      Value dict = dict_empty(heap);
      simdjson::dom::object fields = e.get_object().value_unsafe();
      for (auto field : fields) {
        // a repeated key: the last one wins
        dict = dict_assoc(heap, dict, make_string(heap, field.key), decode_element(heap, field.value));
      }
      return dict;
    }
    case element_type::INT64: return make_int(heap, e.get_int64().value_unsafe());
    // Above INT64_MAX: the nearest float, as most decoders do (docs/JSON.md).
    case element_type::UINT64: return make_float(heap, double(e.get_uint64().value_unsafe()));
    case element_type::DOUBLE: return make_float(heap, e.get_double().value_unsafe());
    case element_type::STRING: return make_string(heap, e.get_string().value_unsafe());
    case element_type::BOOL: return Value::fixnum(e.get_bool().value_unsafe() ? 1 : 0);
    case element_type::NULL_VALUE: return Value::empty_sexpr();
  }
  __builtin_unreachable();
}

// Walks every value with On-Demand, which stops where the text is wrong.
error_code walk(od::value v, uint32_t depth) {
  if (depth > limits::kJsonMaxDepth) return simdjson::DEPTH_ERROR;
  od::json_type type;
  if (auto e = v.type().get(type)) return e;
  switch (type) {
    case od::json_type::array: {
      od::array a;
      if (auto e = v.get_array().get(a)) return e;
      for (auto item : a) {
        od::value x;
        if (auto e = item.get(x)) return e;
        if (auto e = walk(x, depth + 1)) return e;
      }
      return simdjson::SUCCESS;
    }
    case od::json_type::object: {
      od::object o;
      if (auto e = v.get_object().get(o)) return e;
      for (auto field : o) {
        std::string_view key;
        if (auto e = field.unescaped_key().get(key)) return e;
        if (auto e = walk(field.value(), depth + 1)) return e;
      }
      return simdjson::SUCCESS;
    }
    case od::json_type::number: return v.get_number().error();
    case od::json_type::string: return v.get_string().error();
    case od::json_type::boolean: return v.get_bool().error();
    case od::json_type::null: {
      bool null = false;
      if (auto e = v.is_null().get(null)) return e;
      return null ? simdjson::SUCCESS : simdjson::N_ATOM_ERROR;
    }
  }
  return simdjson::INCORRECT_TYPE;
}

error_code walk_scalar(od::document& doc, od::json_type type) {
  switch (type) {
    case od::json_type::number: return doc.get_number().error();
    case od::json_type::string: return doc.get_string().error();
    case od::json_type::boolean: return doc.get_bool().error();
    case od::json_type::null: {
      bool null = false;
      if (auto e = doc.is_null().get(null)) return e;
      return null ? simdjson::SUCCESS : simdjson::N_ATOM_ERROR;
    }
    case od::json_type::array:
    case od::json_type::object: break;
  }
  return simdjson::INCORRECT_TYPE;
}

error_code walk_document(od::document& doc) {
  od::json_type type;
  if (auto e = doc.type().get(type)) return e;
  if (type != od::json_type::array && type != od::json_type::object) return walk_scalar(doc, type);
  od::value root;
  if (auto e = doc.get_value().get(root)) return e;
  return walk(root, 1);
}

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

// Why simdjson stopped, in words a JSON user knows (its own messages name its internals).
std::string reason(error_code e) {
  switch (e) {
    case simdjson::DEPTH_ERROR: return "nested deeper than " + std::to_string(limits::kJsonMaxDepth) + " levels";
    case simdjson::STRING_ERROR: return "bad string or escape";
    case simdjson::UNCLOSED_STRING: return "unclosed string";
    case simdjson::UNESCAPED_CHARS: return "control character in a string";
    case simdjson::UTF8_ERROR: return "invalid UTF-8";
    case simdjson::NUMBER_ERROR:
    case simdjson::NUMBER_OUT_OF_RANGE: return "bad number";
    case simdjson::T_ATOM_ERROR:
    case simdjson::F_ATOM_ERROR:
    case simdjson::N_ATOM_ERROR: return "bad literal";
    case simdjson::TRAILING_CONTENT: return "text after the document";
    case simdjson::EMPTY: return "no document";
    default: return "unexpected character";
  }
}

// Where the text is wrong, and why: from the On-Demand walk when it finds the error (with the
// DOM parser's reason when it is more precise), else from what the DOM parser said.
std::string locate(std::string_view text, error_code dom_error) {
  thread_local od::parser parser;
  simdjson::padded_string padded(text);
  od::document doc;
  // The walk stops past kJsonMaxDepth itself; On-Demand's own depth must stay above that (past
  // its max_depth it asserts in builds with assertions, and in others is out of bounds).
  constexpr size_t kWalkDepthMargin = 8;
  error_code e = parser.allocate(std::max<size_t>(text.size(), 64), limits::kJsonMaxDepth + kWalkDepthMargin);
  if (!e) e = parser.iterate(padded).get(doc);
  size_t offset = text.size();
  if (!e) {
    e = walk_document(doc);
    const char* at = nullptr;
    if (!e && doc.current_location().get(at) == simdjson::SUCCESS) e = simdjson::TRAILING_CONTENT;
    if (e && doc.current_location().get(at) == simdjson::SUCCESS && at >= padded.data() &&
        at <= padded.data() + text.size()) {
      offset = size_t(at - padded.data());
    }
  }
  if (dom_error == simdjson::UTF8_ERROR) offset = utf8::first_invalid(text);
  if (dom_error == simdjson::UNESCAPED_CHARS) offset = first_unescaped(text);
  if (dom_error == simdjson::EMPTY) offset = 0;
  bool dom_precise = dom_error != simdjson::TAPE_ERROR && dom_error != simdjson::INCORRECT_TYPE;
  return "malformed JSON at byte " + std::to_string(offset) + ": " + reason(dom_precise || !e ? dom_error : e);
}

// ---- encoding -----------------------------------------------------------------------------------

const char kHex[] = "0123456789abcdef";

std::string cannot(const char* what, Value v) {
  std::string shown = readable(v);
  if (shown.size() > 60) shown = shown.substr(0, 57) + "...";
  return std::string("cannot encode ") + what + ": " + shown;
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

// Keys are Strings or Symbols (their names); sorted bytewise so that equal dicts give equal text.
std::string encode_dict(Value v, std::string& out, uint32_t depth) {
  std::vector<std::pair<std::string_view, Value>> entries;
  std::string problem;
  dict_for_each(v, [&](Value k, Value x) {
    if (is_string(k)) {
      entries.emplace_back(k.as<String>()->view(), x);
    } else if (is_symbol(k)) {
      entries.emplace_back(k.as<Symbol>()->name(), x);
    } else if (problem.empty()) {
      problem = cannot("a key that is not a String or Symbol", k);
    }
  });
  if (!problem.empty()) return problem;
  std::sort(entries.begin(), entries.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  out += '{';
  for (size_t i = 0; i < entries.size(); ++i) {
    if (i) out += ',';
    if (std::string e = encode_string(entries[i].first, out); !e.empty()) return e;
    out += ':';
    if (std::string e = encode_value(entries[i].second, out, depth + 1); !e.empty()) return e;
  }
  out += '}';
  return "";
}

std::string encode_value(Value v, std::string& out, uint32_t depth) {
  if (depth > limits::kJsonMaxDepth) {
    return "cannot encode a value nested deeper than " + std::to_string(limits::kJsonMaxDepth) + " levels";
  }
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
  // The parser keeps its buffers between documents (simdjson copies the text into its own padded
  // buffer).
  thread_local simdjson::dom::parser parser(simdjson::SIMDJSON_MAXSIZE_BYTES);
  if (parser.allocate(std::max<size_t>(text.size(), 64), limits::kJsonMaxDepth) != simdjson::SUCCESS) {
    return "out of memory";
  }
  simdjson::dom::element root;
  error_code e = parser.parse(text.data(), text.size(), true).get(root);
  if (e) return locate(text, e);
  out = decode_element(heap, root);
  return "";
}

std::string json_encode(Value v, std::string& out) { return encode_value(v, out, 1); }

std::span<const BuiltinInfo> json_builtins() { return kJson; }

}  // namespace valk
