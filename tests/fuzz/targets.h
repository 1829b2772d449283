// targets.h: what the fuzzers run on one input: the reader alone; reading, compiling and
// evaluating under a heap limit and a time budget; str/format's formatter; json/decode with an
// encode round trip; and unmarshal. Shared by the libFuzzer mains (fuzz_reader.cpp, fuzz_eval.cpp,
// fuzz_format.cpp, fuzz_json.cpp, fuzz_unmarshal.cpp; `make fuzz`) and the regression test that replays every
// input a fuzzer ever crashed on (tests/fuzz/regressions/, run by make test).
#pragma once

#include <cstddef>
#include <cstdint>

namespace valk::fuzz {

// Heap limit and time budget of one evaluation: enough for real programs, small enough that
// a fuzzer runs thousands of inputs a minute.
inline constexpr size_t kHeapLimitBytes = size_t(64) << 20;
inline constexpr int kBudgetMs = 1000;

void read_one(const uint8_t* data, size_t size);
void eval_one(const uint8_t* data, size_t size);
// The input split at its first NUL: the format, then (kind, value) byte pairs, one argument each.
void format_one(const uint8_t* data, size_t size);
// One JSON document: decoded, then encoded and decoded again (json_target.cpp).
void json_one(const uint8_t* data, size_t size);
// unmarshal of the bytes in a VM kept across inputs (renewed now and then); a value that comes
// back is printed, marshalled again and the heap verified by a full collection.
void unmarshal_one(const uint8_t* data, size_t size);

}  // namespace valk::fuzz
