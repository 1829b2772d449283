// srcpos.h: a source position (file, line, column) packed in 64 bits, and the table of file names.
// Positions live inside the list cells the reader makes, so they survive as long as the code does
// and move with it; the file table only grows (names are few and small).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "config/limits.h"

namespace valk {

class SrcPos {
 public:
  constexpr SrcPos() = default;
  static SrcPos make(uint32_t file, uint32_t line, uint32_t col) {
    if (line > limits::kMaxLine) line = limits::kMaxLine;
    if (col > limits::kMaxColumn) col = limits::kMaxColumn;
    SrcPos p;
    p.bits_ = (uint64_t(file) << (kLineShift + limits::kLineBits)) | (uint64_t(line) << kLineShift) | col;
    return p;
  }
  bool known() const { return bits_ != 0; }
  uint32_t file() const { return uint32_t(bits_ >> (kLineShift + limits::kLineBits)); }
  uint32_t line() const { return uint32_t((bits_ >> kLineShift) & limits::kMaxLine); }
  uint32_t col() const { return uint32_t(bits_ & limits::kMaxColumn); }
  friend bool operator==(SrcPos a, SrcPos b) { return a.bits_ == b.bits_; }

 private:
  static constexpr int kLineShift = limits::kColumnBits;
  uint64_t bits_ = 0;
};
static_assert(sizeof(SrcPos) == 8);
static_assert(limits::kColumnBits + limits::kLineBits + 16 <= 64 && limits::kMaxSourceFiles < (1u << 16));

// File names by id. Id 0 means "unknown"; the same name always gets the same id.
class SourceFiles {
 public:
  uint32_t intern(std::string_view name);
  std::string_view name(uint32_t id) const;
  // True for the sources built into the binary (the prelude, the test module).
  bool is_builtin(uint32_t id) const { return name(id).substr(0, 9) == "<builtin "; }
  // "file:line:col", or "" for an unknown position.
  std::string format(SrcPos pos) const;

 private:
  std::vector<std::string> names_{""};
};

}  // namespace valk
