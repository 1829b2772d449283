// fileio.h: reading a whole source file, shared by load and the command line.
#pragma once

#include <string>

namespace valk {

// Reads the file at `path` into `text`. Returns "" on success, else why it could not
// ("No such file or directory", "too large", ...).
std::string read_whole_file(const std::string& path, std::string& text);

}  // namespace valk
