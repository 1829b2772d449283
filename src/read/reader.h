// reader.h: text to forms. Lists are built from cells that record where each element was written
// (SourceCons), so errors in code can name file:line:col. The reader keeps its open brackets on
// an explicit stack: nesting costs no C stack, and past limits::kMaxNesting it stops cleanly.
#pragma once

#include <string>
#include <string_view>

#include "gc/heap.h"
#include "value/srcpos.h"
#include "value/symbol.h"

namespace valk {

struct ReadError {
  std::string message;  // what is wrong, e.g. "unterminated string"
  SrcPos pos;           // where
  bool incomplete;      // the text ended inside a list or string: more input could complete it
};

struct ReadResult {
  // The forms read, as a list whose cells record each form's position: a Q-expression, or an
  // S-expression when read with as_sexpr (the REPL reads a line as one S-expression).
  Value forms;
  bool ok;
  ReadError error;
};

struct ReadInput {
  std::string_view text;
  uint32_t file;            // id from SourceFiles
  uint32_t first_line = 1;  // line number of the text's first line
  bool as_sexpr = false;
};

ReadResult read_forms(Heap& heap, SymbolTable& symbols, const ReadInput& input);

// True for bytes that may appear in a symbol.
bool is_symbol_char(unsigned char c);

}  // namespace valk
