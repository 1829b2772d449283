// fuzz_eval.cpp: libFuzzer main for reading, compiling and evaluating (`make fuzz`).
#include "fuzz/targets.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  valk::fuzz::eval_one(data, size);
  return 0;
}
