// parser.cpp: libvalk-simdjson.so, JSON parsing on Debian's simdjson behind the C interface of
// parser.h. Loaded by json/decode on first use (src/lib/json.cpp), never linked into valk: simdjson
// brings the shared libstdc++, whose loading and relocation were most of every start's time.
#include "jsonparse/parser.h"

#include <simdjson.h>

#include <algorithm>

namespace {

namespace od = simdjson::ondemand;
using simdjson::error_code;

// ---- a valid document -----------------------------------------------------------------------------

// The document is parsed by simdjson's DOM parser, which picks the fastest kernel of this CPU at
// run time. It cannot say where an error is; On-Demand can (but only with the portable kernel,
// since we are built for any x86-64), so a malformed document is walked once more with it.

// The DOM parser is given one level more than max_depth: its own count leaves out an empty
// innermost array or object but counts a scalar's, so at max_depth it refused 1024 arrays around
// a number and took 1024 around nothing. Here an array or object deeper than max_depth ends the
// emit (false), and the walk below says where.
bool emit(simdjson::dom::element e, const ValkJsonSink& sink, void* ctx, uint32_t depth, uint32_t max_depth) {
  using simdjson::dom::element_type;
  switch (e.type()) {
    case element_type::ARRAY: {
      if (depth > max_depth) return false;
      sink.array_begin(ctx);
      simdjson::dom::array items = e.get_array().value_unsafe();  // a copy: the result is a temporary
      for (simdjson::dom::element x : items) {
        if (!emit(x, sink, ctx, depth + 1, max_depth)) return false;
      }
      sink.array_end(ctx);
      return true;
    }
    case element_type::OBJECT: {
      if (depth > max_depth) return false;
      sink.object_begin(ctx);
      simdjson::dom::object fields = e.get_object().value_unsafe();
      for (auto field : fields) {
        sink.key(ctx, field.key.data(), field.key.size());
        if (!emit(field.value, sink, ctx, depth + 1, max_depth)) return false;
      }
      sink.object_end(ctx);
      return true;
    }
    case element_type::INT64: sink.integer(ctx, e.get_int64().value_unsafe()); return true;
    case element_type::UINT64: sink.real(ctx, double(e.get_uint64().value_unsafe())); return true;
    case element_type::DOUBLE: sink.real(ctx, e.get_double().value_unsafe()); return true;
    case element_type::STRING: {
      std::string_view s = e.get_string().value_unsafe();
      sink.string(ctx, s.data(), s.size());
      return true;
    }
    case element_type::BOOL: sink.boolean(ctx, e.get_bool().value_unsafe() ? 1 : 0); return true;
    case element_type::NULL_VALUE: sink.null(ctx); return true;
  }
  __builtin_unreachable();
}

// ---- a malformed document ---------------------------------------------------------------------------

// Walks every value with On-Demand, which stops where the text is wrong.
// depth: the levels of arrays and objects v is in, and v itself when it is one (a scalar inside
// the deepest allowed array is no level of its own).
error_code walk(od::value v, uint32_t depth, uint32_t max_depth) {
  od::json_type type;
  if (auto e = v.type().get(type)) return e;
  bool container = type == od::json_type::array || type == od::json_type::object;
  if (container && depth > max_depth) return simdjson::DEPTH_ERROR;
  switch (type) {
    case od::json_type::array: {
      od::array a;
      if (auto e = v.get_array().get(a)) return e;
      for (auto item : a) {
        od::value x;
        if (auto e = item.get(x)) return e;
        if (auto e = walk(x, depth + 1, max_depth)) return e;
      }
      return simdjson::SUCCESS;
    }
    case od::json_type::object: {
      od::object o;
      if (auto e = v.get_object().get(o)) return e;
      for (auto field : o) {
        std::string_view key;
        if (auto e = field.unescaped_key().get(key)) return e;
        if (auto e = walk(field.value(), depth + 1, max_depth)) return e;
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

error_code walk_document(od::document& doc, uint32_t max_depth) {
  od::json_type type;
  if (auto e = doc.type().get(type)) return e;
  if (type != od::json_type::array && type != od::json_type::object) return walk_scalar(doc, type);
  od::value root;
  if (auto e = doc.get_value().get(root)) return e;
  return walk(root, 1, max_depth);
}

ValkJsonError kind(error_code e) {
  switch (e) {
    case simdjson::SUCCESS: return kValkJsonOk;
    case simdjson::DEPTH_ERROR: return kValkJsonDepth;
    case simdjson::STRING_ERROR: return kValkJsonString;
    case simdjson::UNCLOSED_STRING: return kValkJsonUnclosedString;
    case simdjson::UNESCAPED_CHARS: return kValkJsonUnescaped;
    case simdjson::UTF8_ERROR: return kValkJsonUtf8;
    case simdjson::NUMBER_ERROR:
    case simdjson::NUMBER_OUT_OF_RANGE: return kValkJsonNumber;
    case simdjson::T_ATOM_ERROR:
    case simdjson::F_ATOM_ERROR:
    case simdjson::N_ATOM_ERROR: return kValkJsonLiteral;
    case simdjson::TRAILING_CONTENT: return kValkJsonTrailing;
    case simdjson::EMPTY: return kValkJsonEmpty;
    default: return kValkJsonOther;  // simdjson has ~40 codes; the rest read as one message
  }
}

// Where the text is wrong, and why: from the On-Demand walk when it finds the error (with the
// DOM parser's reason when it is more precise), else from what the DOM parser said.
ValkJsonResult locate(const char* text, size_t size, uint32_t max_depth, error_code dom_error) {
  thread_local od::parser parser;
  simdjson::padded_string padded(text, size);
  od::document doc;
  // The walk stops past max_depth itself; On-Demand's own depth must stay above that (past its
  // max_depth it asserts in builds with assertions, and in others is out of bounds).
  constexpr size_t kWalkDepthMargin = 8;
  error_code e = parser.allocate(std::max<size_t>(size, 64), max_depth + kWalkDepthMargin);
  if (!e) e = parser.iterate(padded).get(doc);
  size_t offset = size;
  if (!e) {
    e = walk_document(doc, max_depth);
    const char* at = nullptr;
    if (!e && doc.current_location().get(at) == simdjson::SUCCESS) e = simdjson::TRAILING_CONTENT;
    if (e && doc.current_location().get(at) == simdjson::SUCCESS && at >= padded.data() &&
        at <= padded.data() + size) {
      offset = size_t(at - padded.data());
    }
  }
  bool dom_precise = dom_error != simdjson::TAPE_ERROR && dom_error != simdjson::INCORRECT_TYPE;
  return {kind(dom_precise || !e ? dom_error : e), kind(dom_error), offset};
}

}  // namespace

extern "C" __attribute__((visibility("default"))) ValkJsonResult valk_json_parse(
    const char* text, size_t size, uint32_t max_depth, const ValkJsonSink* sink, void* ctx) {
  // The parser keeps its buffers between documents (simdjson copies the text into its own padded
  // buffer).
  thread_local simdjson::dom::parser parser(simdjson::SIMDJSON_MAXSIZE_BYTES);
  if (parser.allocate(std::max<size_t>(size, 64), max_depth + 1) != simdjson::SUCCESS) {
    return {kValkJsonOutOfMemory, kValkJsonOutOfMemory, 0};
  }
  simdjson::dom::element root;
  error_code e = parser.parse(text, size, true).get(root);
  if (e) return locate(text, size, max_depth, e);
  if (!emit(root, *sink, ctx, 1, max_depth)) return locate(text, size, max_depth, simdjson::DEPTH_ERROR);
  return {kValkJsonOk, kValkJsonOk, 0};
}
