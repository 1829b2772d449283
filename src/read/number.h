// number.h: the syntax of number literals, shared by the reader and by to-number.
// Integers: -?[0-9]+. Floats: -?[0-9]+ then .[0-9]+ and/or [eE][+-]?[0-9]+ (1.5, -0.25, 1e9).
// Anything else (5abc, -, .5, 1.) is not a number, and the reader makes it a symbol.
#pragma once

#include <string>
#include <string_view>

#include "gc/heap.h"
#include "value/value.h"

namespace valk {

enum class NumberSyntax { kNotNumber, kInteger, kFloat };

NumberSyntax classify_number(std::string_view text);

// The Integer or Float `text` denotes (classify_number(text) must not be kNotNumber), or
// undefined with *error set to "integer out of range: TEXT" / "float out of range: TEXT".
Value parse_number(Heap& heap, std::string_view text, NumberSyntax syntax, std::string* error);

}  // namespace valk
