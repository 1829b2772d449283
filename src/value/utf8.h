// utf8.h: validating, decoding and encoding UTF-8. Strings are bytes that hold UTF-8; the str/
// builtins that count or index characters validate first and name the first invalid byte.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace valk::utf8 {

inline constexpr size_t kValid = std::string_view::npos;
inline constexpr uint32_t kMaxCodepoint = 0x10FFFF;

// Byte offset of the first byte that does not start a well-formed sequence (overlong forms,
// surrogates and code points above U+10FFFF are ill-formed), or kValid.
size_t first_invalid(std::string_view s);

// True when every byte is below 0x80 (then characters and bytes are the same).
bool is_ascii(std::string_view s);

// Decodes the character starting at byte `i` of a valid string and moves `i` past it.
uint32_t decode(std::string_view s, size_t& i);

// Appends the encoding of `cp`; false (nothing appended) for a surrogate or a value above
// U+10FFFF.
bool encode(std::string& out, uint32_t cp);

// Characters in a valid string.
size_t count(std::string_view s);

// Byte offset of character `k` (k <= count) of a valid string, starting from byte `from`.
size_t offset_of(std::string_view s, size_t k, size_t from = 0);

}  // namespace valk::utf8
