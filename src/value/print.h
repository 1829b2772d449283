// print.h: turning values into text. Readable form for the REPL and for values inside lists
// ({1 2 3}, "hi", (+ 1 2), <lambda {x y}>, Error: msg); display form for print and printf %s,
// where a string shows its bytes without quotes. Both walk lists without recursion.
#pragma once

#include <string>

#include "value/value.h"

namespace valk {

void print_readable(std::string& out, Value v);
void print_display(std::string& out, Value v);
std::string readable(Value v);
// The readable form for an error message: whole when it has at most limits::kMessageValueChars
// characters, else cut there and followed by "…" and its size ("xxx…" (100002 bytes)).
std::string readable_for_message(Value v);
// Text for an error message cut the same way (a piece of a format, say).
std::string shortened_for_message(std::string s);
std::string display(Value v);
// The shortest text that reads back to the same double, as Python's repr writes it: fixed
// notation from 1e-4 up to 1e16 (100000.0, 0.0001), exponent form beyond (1e+16, 1e-05); always a
// "." or an exponent so that it reads back as a Float; inf, -inf and nan for the others.
void print_float(std::string& out, double d);

}  // namespace valk
