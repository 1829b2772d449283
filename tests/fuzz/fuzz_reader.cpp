// fuzz_reader.cpp: libFuzzer main for the reader (`make fuzz`).
#include "fuzz/targets.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  valk::fuzz::read_one(data, size);
  return 0;
}
