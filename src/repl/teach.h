// teach.h: the "hint:" lines printed after an error's first line (which stays as LANGUAGE.md
// says) for the mistakes newcomers make: names, parameters, bodies and if branches written in
// ( ) instead of { }, and unbound names close to a bound one ("did you mean `len`?").
#pragma once

#include <string>
#include <string_view>

#include "vm/vm.h"

namespace valk {

// The hints for `error`, each line "hint: ..." ending in a newline ("" when none applies).
// `line` is the source line the error is placed on, "" when unknown.
std::string error_hints(VM& vm, Value error, std::string_view line);

// The source line an error is placed on: from `text` (the code being run, whose first line is
// `first_line` of file `text_file`) when it holds it, else from the file on disk; "" if unknown.
std::string error_source_line(VM& vm, Value error, std::string_view text, uint32_t first_line, uint32_t text_file);
// The text of line `n` of a file on disk, "" when it cannot be read.
std::string line_of_file(const std::string& path, uint32_t n);
// Line `n` of `text`, whose first line is numbered `first`; "" when outside it.
std::string line_of_text(std::string_view text, uint32_t first, uint32_t n);

// Inserts the hints after the first line of a formatted error.
std::string with_hints(const std::string& formatted, const std::string& hints);

// The bound global name closest to `name` by edit distance, when close enough to be a typo
// (1 edit for names of 3 or 4 letters, 2 beyond; none for shorter names); "" when none.
std::string closest_bound_name(VM& vm, std::string_view name);

}  // namespace valk
