// embedded.h: the Valk sources built into the binary (lib/prelude.valk, lib/modules/test.valk),
// and the paths the original's programs load them by.
#pragma once

#include <string>
#include <string_view>

#include "value/value.h"

namespace valk {

class VM;

enum class EmbeddedFile { kPrelude = 0, kTestModule = 1 };

std::string_view embedded_source(EmbeddedFile f);
// "src/prelude.valk" and "src/modules/test.valk": what `load` serves these for when no such file
// exists.
std::string_view embedded_alias(EmbeddedFile f);
// The documentation of a function the embedded file defines with (fun {name ...} ...) or
// (def {name} ...): the comment ending its definition's line, else the comment lines just above
// it, joined; "" when it has none. The prelude's comments are its functions' docs (doc, help).
std::string embedded_doc(EmbeddedFile f, std::string_view name);
// The forms of an embedded file (read once per VM, then kept, so their compiled code is too).
Value read_embedded(VM& vm, EmbeddedFile f);

}  // namespace valk
