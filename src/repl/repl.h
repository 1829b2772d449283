// repl.h: the read-eval-print loop. One entry is one line, or several lines until brackets and
// strings close; its data are evaluated as one S-expression (`+ 1 2` gives 3). Nothing typed can
// end it but Ctrl-D (or exit); Ctrl-C stops a running evaluation and returns to the prompt.
#pragma once

#include <cstdio>
#include <string>

#include "vm/vm.h"

namespace valk {

class Repl {
 public:
  // interactive: a terminal, with line editing (libedit), history and completion; else lines
  // are read from `input` (stdin unless a test gives another) plainly and no prompt is shown.
  Repl(VM& vm, bool interactive, std::FILE* input = stdin);
  ~Repl();
  int run();

  // Evaluates one complete entry and prints its value or its error (also used by tests).
  void evaluate(const std::string& text, uint32_t first_line);

 private:
  enum class Input { kLine, kEnd, kInterrupted };
  Input read_line(const char* prompt, std::string& line);
  // Prints an error and the hints for it (text: the entry it came from, for its source line).
  void print_error(Value error, const std::string& text, uint32_t first_line);

  VM& vm_;
  bool interactive_;
  std::FILE* input_;
  bool colour_results_ = false;  // a terminal without NO_COLOR (teach.h colour_wanted)
  std::string history_path_;
  uint32_t line_ = 1;
  uint32_t file_ = 0;
};

// "Error: message", then where it happened and the chain of calls, for the REPL and -e.
std::string format_error_for_user(VM& vm, Value error);

}  // namespace valk
