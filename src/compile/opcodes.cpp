// opcodes.cpp: the table of instruction names, formats and descriptions, from opcodes.def.
#include "compile/opcodes.h"

namespace valk {

const OpInfo kOpInfo[kOpCount] = {
#define OP(name, format, watched, doc) {#name, OpFormat::format, watched, doc},
#include "compile/opcodes.def"
#undef OP
};

}  // namespace valk
