// equal.h: Valk's structural equality (the builtin ==) and the hash consistent with it, both
// without unbounded recursion. Each type's part is its row in value/types.cpp.
#pragma once

#include <cstdint>
#include <functional>
#include <string_view>

#include "value/value.h"

namespace valk {

// Numbers by value (numbers_equal), strings by bytes, symbols by name, lists element by element and of the
// same kind ({} is not ()), builtins by identity, lambdas by formals and body, errors by message.
bool values_equal(Value a, Value b);

// True when d is integral and within int64 (then *out is it): such a float equals that integer.
bool double_as_int(double d, int64_t* out);
// Numeric equality of two Integers/Floats: exact across types (1 == 1.0, but 2^53+1 != 2^53 as
// a float); nan equals nan, so that == stays an equivalence (dictionary keys need it).
bool numbers_equal(Value a, Value b);

// Lists and dicts nested deeper than this do not contribute to a hash (so hashing never recurses
// deeply; equal values still hash alike, since both stop at the same depth). Numbers, Strings
// and Symbols, which hold nothing, count at every depth. At 4, keys that differed only five
// levels down all collided, and a Dict of 4,000 of them took 0.8 s.
inline constexpr int kHashDepth = 8;

// A hash with values_equal(a, b) implying hash_value(a) == hash_value(b).
uint64_t hash_value(Value v);
uint64_t hash_value_at(Value v, int depth);

inline uint64_t hash_mix(uint64_t x) {  // splitmix64's finalizer
  x ^= x >> 30;
  x *= 0xBF58476D1CE4E5B9ull;
  x ^= x >> 27;
  x *= 0x94D049BB133111EBull;
  return x ^ (x >> 31);
}
inline uint64_t hash_combine(uint64_t h, uint64_t x) { return hash_mix(h ^ (x + 0x9E3779B97F4A7C15ull + (h << 6))); }
// A String's hash: its bytes'.
inline uint64_t hash_bytes(std::string_view bytes) { return std::hash<std::string_view>{}(bytes); }
// Integers hash to themselves, as in Python and Clojure: consecutive keys then fill consecutive
// slots of a Table and one path of a Dict's trie, which keeps them in cache. (Tables probe with
// perturbation, so strided keys do not cluster.)
inline uint64_t hash_int(int64_t i) { return uint64_t(i); }

}  // namespace valk
