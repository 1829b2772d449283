// poll.h: the word the VM polls at safe points; the heap sets a bit in it to ask for a collection.
#pragma once

#include <atomic>
#include <cstdint>

namespace valk {

struct PollWord {
  std::atomic<uint32_t>* word = nullptr;
  uint32_t bit = 0;
  void raise() const {
    if (word) word->fetch_or(bit, std::memory_order_relaxed);
  }
  void lower() const {
    if (word) word->fetch_and(~bit, std::memory_order_relaxed);
  }
};

}  // namespace valk
