// json.h: JSON text to Valk values and back (lib/json.cpp, on Debian's simdjson). Shared by the
// json/ builtins and the fuzz target (tests/fuzz/json_target.cpp). docs/JSON.md has the mapping.
#pragma once

#include <string>
#include <string_view>

#include "gc/heap.h"
#include "value/object.h"

namespace valk {

// Decodes one JSON document into `out` (objects -> Dicts with String keys, arrays -> Q-expressions,
// integers -> Integers, other numbers -> Floats, true/false -> 1/0, null -> ()). Returns "" on
// success, else the message "malformed JSON at byte N: why". Never collects.
std::string json_decode(Heap& heap, std::string_view text, Value& out);

// Encodes `v` as compact JSON into `out` (object keys sorted bytewise). Returns "" on success,
// else the message naming the value that cannot be encoded. Never collects.
std::string json_encode(Value v, std::string& out);

}  // namespace valk
