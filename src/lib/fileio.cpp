// fileio.cpp: whole-file reads.
#include "lib/fileio.h"

#include <cerrno>
#include <cstdio>
#include <cstring>

#include "config/limits.h"

namespace valk {

std::string read_whole_file(const std::string& path, std::string& text) {
  std::FILE* f = std::fopen(path.c_str(), "rb");
  if (!f) return std::strerror(errno);
  text.clear();
  char buf[65536];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, f)) > 0) {
    text.append(buf, n);
    if (text.size() > limits::kMaxSourceBytes) {
      std::fclose(f);
      return "too large (more than " + std::to_string(limits::kMaxSourceBytes) + " bytes)";
    }
  }
  bool failed = std::ferror(f) != 0;
  int saved = errno;
  std::fclose(f);
  return failed ? std::strerror(saved) : "";
}

}  // namespace valk
