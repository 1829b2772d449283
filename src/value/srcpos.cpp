// srcpos.cpp: the table of source file names.
#include "value/srcpos.h"

namespace valk {

uint32_t SourceFiles::intern(std::string_view name) {
  for (size_t i = 1; i < names_.size(); ++i) {
    if (names_[i] == name) return uint32_t(i);
  }
  if (names_.size() > limits::kMaxSourceFiles) return uint32_t(limits::kMaxSourceFiles);
  names_.emplace_back(name);
  return uint32_t(names_.size() - 1);
}

std::string_view SourceFiles::name(uint32_t id) const {
  return id < names_.size() ? std::string_view(names_[id]) : std::string_view("?");
}

std::string SourceFiles::format(SrcPos pos) const {
  if (!pos.known()) return "";
  return std::string(name(pos.file())) + ":" + std::to_string(pos.line()) + ":" +
         std::to_string(pos.col());
}

}  // namespace valk
