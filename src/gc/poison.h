// poison.h: under AddressSanitizer, heap memory not handed out (the rest of the nursery, free and
// uncarved old-space cells) is marked unaddressable, so a write past an object into it is
// reported; the heap's own chunks are one malloc each, which ASan alone sees only as a whole.
// In every other build both calls are empty and the allocation fast path is unchanged.
#pragma once

#include <cstddef>

#if defined(__SANITIZE_ADDRESS__)
#define VALK_HEAP_POISON 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define VALK_HEAP_POISON 1
#endif
#endif

#ifdef VALK_HEAP_POISON
#include <sanitizer/asan_interface.h>
#endif

namespace valk {

// Both take 8-byte-aligned ranges (ASan's granule): every object and cell of the heap is one.
inline void heap_poison([[maybe_unused]] void* begin, [[maybe_unused]] size_t bytes) {
#ifdef VALK_HEAP_POISON
  ASAN_POISON_MEMORY_REGION(begin, bytes);
#endif
}
inline void heap_unpoison([[maybe_unused]] void* begin, [[maybe_unused]] size_t bytes) {
#ifdef VALK_HEAP_POISON
  ASAN_UNPOISON_MEMORY_REGION(begin, bytes);
#endif
}

}  // namespace valk
