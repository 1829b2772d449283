// teach.h: how the command line and the REPL show an error to a person. After its first line
// (which stays as LANGUAGE.md says) come the source line with a caret under the column, and
// "hint:" lines for the mistakes newcomers make: names, parameters, bodies and if branches
// written in ( ) instead of { }, and unbound names close to a bound one ("did you mean `len`?").
// On a terminal, unless NO_COLOR is set, the parts are in colour.
#pragma once

#include <cstdint>
#include <cstdio>
#include <string>
#include <string_view>

#include "vm/vm.h"

namespace valk {

// The hints for `error`, each line "hint: ..." ending in a newline ("" when none applies).
// `line` is the source line the error is placed on, "" when unknown.
std::string error_hints(VM& vm, Value error, std::string_view line);

// Hints for a result that is likely a mistake: `fun` given no body gives a partial application
// (as the original does), which a person rarely meant. "" when none.
std::string result_hints(VM& vm, Value result);

// A line's result as the REPL and -e print it: readable (Strings in quotes, with escapes), but a
// String returned by a call of a builtin flagged kShowsText, such as (doc f), as plain text.
std::string shown_result(Value forms, Value result);

// The source line an error is placed on: from `text` (the code being run, whose first line is
// `first_line` of file `text_file`) when it holds it, else from the file on disk; "" if unknown.
std::string error_source_line(VM& vm, Value error, std::string_view text, uint32_t first_line, uint32_t text_file);
// The text of line `n` of a file on disk, "" when it cannot be read.
std::string line_of_file(const std::string& path, uint32_t n);
// Line `n` of `text`, whose first line is numbered `first`; "" when outside it.
std::string line_of_text(std::string_view text, uint32_t first, uint32_t n);

// The code an error may be placed in: `text`, whose first line is `first_line` of file `file`
// (an empty text when the error comes from a file on disk).
struct SourceText {
  std::string_view text;
  uint32_t first_line = 1;
  uint32_t file = 0;
};

// `formatted` (the error's first line, then its trace) with, after the first line, the source
// line and a caret under the error's column, then the hints; coloured when `colour`.
std::string explain_error(VM& vm, Value error, const std::string& formatted, const SourceText& source, bool colour);

// The source line and the caret under column `col` (1-based, in code points), each line ending
// in a newline; a window around the column when the line is long; "" for an empty line.
std::string source_excerpt(std::string_view line, uint32_t line_number, uint32_t col, bool colour);

// True when output to `stream` should be coloured: a terminal, NO_COLOR unset or empty, and TERM
// not "dumb" (https://no-color.org).
bool colour_wanted(std::FILE* stream);

// The bound global name closest to `name` by edit distance, when close enough to be a typo
// (1 edit for names of 3 or 4 letters, 2 beyond; none for shorter names); "" when none.
std::string closest_bound_name(VM& vm, std::string_view name);

}  // namespace valk
