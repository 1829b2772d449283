// options.h: the command line and the environment settings of valk (docs/SETTINGS.md).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "vm/vm.h"

namespace valk {

struct Options {
  enum class Mode { kAuto, kRepl, kFiles, kExpression, kDisasm, kHelp, kVersion };
  Mode mode = Mode::kAuto;
  std::vector<std::string> files;
  std::string expression;
  VmConfig vm;
};

// Parses argv and the VALK_* environment variables. Returns the options, or prints what is
// wrong to stderr and returns nothing.
std::optional<Options> parse_options(int argc, char** argv);

extern const char kUsage[];
extern const char kVersion[];

}  // namespace valk
