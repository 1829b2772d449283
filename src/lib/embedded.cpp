// embedded.cpp: access to the built-in Valk sources (their text comes from a file CMake generates).
#include "lib/embedded.h"

#include <cstdio>
#include <cstdlib>
#include <vector>

#include "read/reader.h"
#include "vm/vm.h"

namespace valk {

extern const char kPreludeSource[];
extern const char kTestModuleSource[];

namespace {

// "; text" -> "text".
std::string_view comment_text(std::string_view line) {
  size_t i = line.find_first_not_of("; ");
  return i == std::string_view::npos ? std::string_view{} : line.substr(i);
}

bool defines(std::string_view line, std::string_view name) {
  for (std::string_view opener : {"(fun {", "(def {"}) {
    if (!line.starts_with(opener)) continue;
    std::string_view rest = line.substr(opener.size());
    if (rest.starts_with(name) && rest.size() > name.size() && (rest[name.size()] == ' ' || rest[name.size()] == '}')) {
      return true;
    }
  }
  return false;
}

}  // namespace

std::string embedded_doc(EmbeddedFile f, std::string_view name) {
  std::string_view text = embedded_source(f);
  std::vector<std::string_view> lines;
  for (size_t at = 0; at < text.size();) {
    size_t nl = text.find('\n', at);
    if (nl == std::string_view::npos) nl = text.size();
    lines.push_back(text.substr(at, nl - at));
    at = nl + 1;
  }
  for (size_t i = 0; i < lines.size(); ++i) {
    if (!defines(lines[i], name)) continue;
    if (size_t c = lines[i].find(" ; "); c != std::string_view::npos) return std::string(comment_text(lines[i].substr(c)));
    size_t first = i;
    while (first > 0 && lines[first - 1].starts_with(";")) --first;
    std::string doc;
    for (size_t j = first; j < i; ++j) doc += (doc.empty() ? "" : " ") + std::string(comment_text(lines[j]));
    return doc;
  }
  return "";
}

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
