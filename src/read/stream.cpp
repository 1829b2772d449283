// stream.cpp: splitting a program's bytes into pieces of whole top-level forms, with a small
// scanner that follows brackets, strings and comments (the reader proper parses each piece).
#include "read/stream.h"

#include <cerrno>
#include <cstring>

#include "read/reader.h"

namespace valk {

namespace {
constexpr size_t kChunkBytes = size_t(64) << 10;

bool is_blank(unsigned char c) { return c == ' ' || c == '\t' || c == '\v' || c == '\r' || c == '\n' || c == '\f'; }
}  // namespace

bool SourceStream::ends_piece(unsigned char c) {
  if (c == '\n') ++line_;
  if (in_comment_) {
    in_comment_ = c != '\n';
    return c == '\n' && depth_ == 0;
  }
  if (in_string_) {
    if (escape_) {
      escape_ = false;
    } else if (c == '\\') {
      escape_ = true;
    } else if (c == '"') {
      in_string_ = false;
    }
    return false;
  }
  switch (c) {
    case '"': in_string_ = true; return false;
    case ';': in_comment_ = true; return false;
    case '(':
    case '{':
    case '[': ++depth_; return false;
    case ')':
    case '}':
    case ']': return --depth_ < 0;  // unbalanced: the reader reports it, nothing after matters
    case '\n': return depth_ == 0;
  }
  // A byte the reader refuses ends the piece at once, so that nothing after it is read.
  return !is_blank(c) && !is_symbol_char(c);
}

bool SourceStream::fill() {
  if (eof_) return false;
  char chunk[kChunkBytes];
  size_t n = std::fread(chunk, 1, sizeof chunk, file_);
  if (n == 0) {
    eof_ = true;
    if (std::ferror(file_)) error_ = std::strerror(errno);
    return false;
  }
  buffer_.append(chunk, n);
  return true;
}

SourceStream::Next SourceStream::next(std::string& piece, uint32_t& first_line) {
  // Bytes before pos_ were handed out; drop them once they are most of the buffer.
  if (pos_ > kChunkBytes && pos_ * 2 > buffer_.size()) {
    buffer_.erase(0, pos_);
    scan_ -= pos_;
    pos_ = 0;
  }
  first_line = line_;
  for (;;) {
    while (scan_ < buffer_.size()) {
      if (ends_piece(static_cast<unsigned char>(buffer_[scan_++]))) {
        if (scan_ - pos_ > max_piece_) break;
        piece.assign(buffer_, pos_, scan_ - pos_);
        pos_ = scan_;
        return Next::kPiece;
      }
    }
    if (scan_ - pos_ > max_piece_) {
      error_ = "a form longer than " + std::to_string(max_piece_) + " bytes";
      return Next::kError;
    }
    if (!fill()) break;
  }
  if (!error_.empty()) return Next::kError;
  if (pos_ == buffer_.size()) return Next::kEnd;
  piece.assign(buffer_, pos_, buffer_.size() - pos_);
  pos_ = scan_ = buffer_.size();
  return Next::kPiece;
}

}  // namespace valk
