// fuzz_unmarshal.cpp: libFuzzer main for unmarshal (`make fuzz`).
#include "fuzz/targets.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  valk::fuzz::unmarshal_one(data, size);
  return 0;
}
