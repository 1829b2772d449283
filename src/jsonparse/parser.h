// parser.h: the C interface of libvalk-simdjson.so (parser.cpp), the JSON parser that json/decode
// (src/lib/json.cpp) loads on first use, so that simdjson and the libstdc++ it needs are not
// loaded and relocated at every start of valk (docs/PERFORMANCE.md, "Startup").
#pragma once

#include <cstddef>
#include <cstdint>

extern "C" {

// Where a malformed document is wrong, in the parser's own terms (json.cpp words them).
enum ValkJsonError : int {
  kValkJsonOk = 0,
  kValkJsonDepth,
  kValkJsonString,
  kValkJsonUnclosedString,
  kValkJsonUnescaped,
  kValkJsonUtf8,
  kValkJsonNumber,
  kValkJsonLiteral,
  kValkJsonTrailing,
  kValkJsonEmpty,
  kValkJsonOther,
  kValkJsonOutOfMemory,
};

// The values of a valid document, depth first: an array is array_begin, its items, array_end; an
// object is object_begin, then a key and its value per field, then object_end.
struct ValkJsonSink {
  void (*array_begin)(void* ctx);
  void (*array_end)(void* ctx);
  void (*object_begin)(void* ctx);
  void (*key)(void* ctx, const char* text, size_t size);
  void (*object_end)(void* ctx);
  void (*integer)(void* ctx, int64_t v);
  void (*real)(void* ctx, double v);  // also integers above INT64_MAX (docs/JSON.md)
  void (*string)(void* ctx, const char* text, size_t size);
  void (*boolean)(void* ctx, int v);
  void (*null)(void* ctx);
};

struct ValkJsonResult {
  ValkJsonError error;  // why the text is wrong (kValkJsonOk: it is not)
  ValkJsonError cause;  // what the fast parser said, which decides how `offset` is found
  size_t offset;        // the byte where the text is wrong, as far as the parser can tell
};

// Parses text[0, size) nested at most max_depth levels. A valid document is sent to sink, else
// nothing is sent and the result says where and why it is malformed.
ValkJsonResult valk_json_parse(const char* text, size_t size, uint32_t max_depth, const ValkJsonSink* sink, void* ctx);

// The name valk_json_parse is looked up by (dlsym).
inline constexpr const char* kValkJsonParseSymbol = "valk_json_parse";
using ValkJsonParseFn = ValkJsonResult (*)(const char*, size_t, uint32_t, const ValkJsonSink*, void*);
}
