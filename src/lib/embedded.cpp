// embedded.cpp: access to the built-in Valk sources (their text comes from a file CMake generates).
#include "lib/embedded.h"

#include <cstdio>
#include <cstdlib>

#include "read/reader.h"
#include "vm/vm.h"

namespace valk {

extern const char kPreludeSource[];
extern const char kTestModuleSource[];

std::string_view embedded_source(EmbeddedFile f) {
  return f == EmbeddedFile::kPrelude ? kPreludeSource : kTestModuleSource;
}

std::string_view embedded_alias(EmbeddedFile f) {
  return f == EmbeddedFile::kPrelude ? "src/prelude.valk" : "src/modules/test.valk";
}

Value read_embedded(VM& vm, EmbeddedFile f) {
  Value& cached = vm.embedded_forms(int(f));
  if (!cached.is_undefined()) return cached;
  uint32_t file = vm.files().intern(std::string("<builtin ") + std::string(embedded_alias(f)) + ">");
  ReadResult r = read_forms(vm.heap(), vm.symbols(), ReadInput{embedded_source(f), file, 1, false});
  if (!r.ok) {
    std::fprintf(stderr, "embedded %s: %s\n", std::string(embedded_alias(f)).c_str(), r.error.message.c_str());
    std::abort();
  }
  cached = r.forms;
  return cached;
}

}  // namespace valk
