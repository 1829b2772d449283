// fuzz_json.cpp: libFuzzer main for json/decode and json/encode (`make fuzz`).
#include "fuzz/targets.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  valk::fuzz::json_one(data, size);
  return 0;
}
