// json_target.cpp: the fuzz target of json/decode (lib/json.cpp), see targets.h. A document that
// decodes must encode, decode again to an equal value and encode to the same text; one that does
// not must be rejected with "malformed JSON at byte N" for an N within the input.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "fuzz/targets.h"
#include "gc/heap.h"
#include "lib/json.h"
#include "value/equal.h"

namespace valk::fuzz {

void json_one(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  Heap heap(HeapConfig{});
  Value v;
  std::string error = json_decode(heap, text, v);
  if (!error.empty()) {
    constexpr std::string_view kPrefix = "malformed JSON at byte ";
    if (error.rfind(kPrefix, 0) != 0) __builtin_trap();
    if (std::stoull(error.substr(kPrefix.size())) > size) __builtin_trap();
    return;
  }
  std::string once;
  if (!json_encode(v, once).empty()) __builtin_trap();  // every decoded value encodes
  Value again;
  if (!json_decode(heap, once, again).empty() || !values_equal(v, again)) __builtin_trap();
  std::string twice;
  if (!json_encode(again, twice).empty() || twice != once) __builtin_trap();
}

}  // namespace valk::fuzz
