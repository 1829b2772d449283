// strformat.h: the formatter of str/format (%s %d %x %X %f %%, flags - 0 +, width, precision),
// separate from the builtin so the fuzz target (tests/fuzz/format_target.cpp) calls exactly this code.
#pragma once

#include <span>
#include <string>
#include <string_view>

#include "value/value.h"

namespace valk {

// Appends `fmt` with its directives replaced by `args` to `out`. Returns "" or the error message
// (which starts with "str/format: "). Argument numbers in messages count the format as 1.
std::string format_values(std::string_view fmt, std::span<const Value> args, std::string& out);

}  // namespace valk
