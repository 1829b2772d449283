// fuzz_format.cpp: libFuzzer main for str/format (`make fuzz`).
#include "fuzz/targets.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  valk::fuzz::format_one(data, size);
  return 0;
}
