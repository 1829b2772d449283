// options.h: the command line and the environment settings of valk (docs/SETTINGS.md).
// Every argument is used or rejected: what to run is a list of steps (-e expressions, then one
// program file or stdin), run in the order given; the arguments after the program are its own.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "vm/vm.h"

namespace valk {

// One thing to run, in command-line order.
struct Step {
  enum class Kind { kExpression, kFile, kStdin };
  Kind kind;
  std::string text;  // the expression, or the file's path
};

struct Options {
  enum class Mode { kAuto, kRepl, kRun, kHelp, kVersion };
  Mode mode = Mode::kAuto;       // kRun once a step is given; kRepl with --repl (after the steps)
  std::vector<Step> steps;
  std::vector<std::string> args;  // after FILE (or "--"): the program's arguments (sys/args)
  bool disasm = false;            // print the bytecode of the functions the files defined
  VmConfig vm;
};

// Parses argv and the VALK_* environment variables. Returns the options, or prints what is
// wrong to stderr and returns nothing (valk then exits with status 2).
std::optional<Options> parse_options(int argc, char** argv);

// "1" "true" "yes" -> true, "0" "false" "no" -> false (any case); nothing for anything else.
std::optional<bool> parse_bool(const std::string& text);

extern const char kUsage[];
extern const char kVersion[];
// kVersion, then one line per library valk is built with, and the compiler.
std::string version_text();

}  // namespace valk
