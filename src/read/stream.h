// stream.h: a program read from a file a piece at a time. Each piece holds whole top-level
// forms (it ends at a line break outside any list or string), so `valk FILE` reads and runs a
// large file form by form instead of holding all of it, and stops at the first byte the reader
// would refuse (`valk /dev/zero` reads one byte, not a gigabyte).
#pragma once

#include <cstdint>
#include <cstdio>
#include <string>

namespace valk {

class SourceStream {
 public:
  // Reads from `file` (not owned); a piece longer than `max_piece` bytes is an error.
  SourceStream(std::FILE* file, size_t max_piece) : file_(file), max_piece_(max_piece) {}

  enum class Next { kPiece, kEnd, kError };
  // The next piece and the line its first byte is on. kError: error() says why (an I/O error,
  // or a form longer than max_piece).
  Next next(std::string& piece, uint32_t& first_line);
  const std::string& error() const { return error_; }

 private:
  // Feeds one byte to the scanner; true when the piece must end after it.
  bool ends_piece(unsigned char c);
  bool fill();

  std::FILE* file_;
  size_t max_piece_;
  std::string buffer_;  // bytes read from the file and not yet handed out
  size_t pos_ = 0;      // first byte of buffer_ not handed out yet
  size_t scan_ = 0;     // next byte of buffer_ to scan
  uint32_t line_ = 1;   // line of the next byte
  int depth_ = 0;
  bool in_string_ = false;
  bool escape_ = false;
  bool in_comment_ = false;
  bool eof_ = false;
  std::string error_;
};

}  // namespace valk
