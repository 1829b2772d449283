// disasm.h: bytecode as text, for `valk --disasm FILE` and (disasm f).
#pragma once

#include <string>

#include "value/object.h"

namespace valk {

class SourceFiles;

// One line per instruction ("  12  CALL 2        ; file:3:5"), then the prototypes of the
// lambdas it creates, indented.
std::string disassemble(const Proto* proto, const SourceFiles& files, int indent = 0);

}  // namespace valk
