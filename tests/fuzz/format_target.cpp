// format_target.cpp: the fuzz target of str/format (lib/strformat.cpp), see targets.h. The
// arguments are an Integer, a String of that many 'x' and UTF-8 bytes, {} or a list, by kind.
// Exactly one of the two results must come back: an error naming str/format, or the output.
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include "fuzz/targets.h"
#include "gc/heap.h"
#include "lib/strformat.h"
#include "value/make.h"

namespace {

valk::Value argument(valk::Heap& heap, uint8_t kind, uint8_t value) {
  switch (kind % 5) {
    case 0: return valk::make_int(heap, int64_t(int8_t(value)) * 1'000'003);
    case 1: return valk::make_int(heap, value & 1 ? INT64_MIN : INT64_MAX);
    case 2: return valk::make_string(heap, std::string(value % 40, 'x') + "\xC3\xA9\xF0\x9F\x98");
    case 3: return valk::Value::nil();
    default: {
      valk::Value items[] = {valk::make_int(heap, value), valk::make_string(heap, "s")};
      return valk::make_list(heap, items, true);
    }
  }
}

}  // namespace

namespace valk::fuzz {

void format_one(const uint8_t* data, size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  size_t nul = input.find('\0');
  std::string_view fmt = input.substr(0, nul);
  std::string_view rest = nul == std::string_view::npos ? std::string_view() : input.substr(nul + 1);
  valk::Heap heap(valk::HeapConfig{});
  std::vector<valk::Value> args;
  for (size_t i = 0; i + 1 < rest.size() && args.size() < 16; i += 2) {
    args.push_back(argument(heap, uint8_t(rest[i]), uint8_t(rest[i + 1])));
  }
  std::string out;
  std::string error = valk::format_values(fmt, args, out);
  // Exactly one of the two: an error message naming str/format, or the output.
  if (!error.empty() && error.rfind("str/format: ", 0) != 0) __builtin_trap();
}

}  // namespace valk::fuzz
