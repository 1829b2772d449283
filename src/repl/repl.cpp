// repl.cpp: the REPL on libedit (a banner, line editing, history in ~/.valk_history, tab
// completion of bound names, results coloured by type on a terminal), with Ctrl-C delivered to
// the VM as an interrupt.
#include "repl/repl.h"

#include <editline/readline.h>
#include <signal.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "aio/loop.h"
#include "read/reader.h"
#include "lib/introspect.h"
#include "repl/options.h"
#include "repl/teach.h"
#include "value/print.h"

namespace valk {

namespace {

VM* g_vm = nullptr;  // for the signal handler and the completion callbacks
volatile sig_atomic_t g_sigint = 0;

void on_sigint(int) {
  g_sigint = 1;
  if (g_vm) {
    g_vm->interrupt();
    g_vm->loop().wake();  // the prompt waits in the loop (read_line)
  }
}

// The line libedit's callback interface hands over (read_line).
std::string* g_line = nullptr;
bool g_line_done = false;
bool g_line_eof = false;
void on_line(char* raw) {
  g_line_done = true;
  if (!raw) {
    g_line_eof = true;
    return;
  }
  *g_line = raw;
  std::free(raw);
}

char* complete_name(const char* text, int state) {
  static size_t index;
  static std::vector<Symbol*> names;
  if (state == 0) {
    index = 0;
    names = global_names(*g_vm, text);  // what vm/names lists
  }
  if (index < names.size()) return strdup(std::string(names[index++]->name()).c_str());
  return nullptr;
}

char** complete(const char* text, int, int) {
  rl_attempted_completion_over = 1;
  if (*text == '\0') {
    // Tab on blanks (pasted indented code) indents, rather than listing every bound name.
    rl_insert_text("\t");
    return nullptr;
  }
  return rl_completion_matches(text, complete_name);
}

bool is_repl_command(Value v) {
  return is_builtin_with(v, builtinflag::kReplCommand);
}

// The colour of a printed result on a terminal: by what kind of value it is.
std::string_view result_colour(Value v) {
  if (is_number(v)) return "\x1b[36m";                     // cyan
  if (is_string(v)) return "\x1b[32m";                     // green
  if (is_function(v)) return "\x1b[35m";                   // magenta
  if (is_error(v)) return "\x1b[31m";                      // red
  return "";
}

}  // namespace

std::string format_error_for_user(VM& vm, Value error) {
  vm.settle_trace(error);
  const auto* e = error.as<ErrorObj>();
  std::string s = "Error: ";
  s += e->message.as<String>()->view();
  if (e->pos.known()) s += "\n  at " + vm.files().format(e->pos);
  for (Value t = e->trace; is_cons(t); t = cdr(t)) {
    std::string_view line = car(t).as<String>()->view();
    if (line.substr(0, 11) == "<top level>") continue;
    s += VM::is_trace_note(line) ? "\n  " : "\n  in ";
    s += line;
  }
  return s;
}

Repl::Repl(VM& vm, bool interactive, std::FILE* input) : vm_(vm), interactive_(interactive), input_(input) {
  g_vm = &vm;
  file_ = vm.files().intern("<repl>");
  struct sigaction sa {};
  sa.sa_handler = on_sigint;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGINT, &sa, nullptr);
  if (!interactive_) return;
  colour_results_ = colour_wanted(vm.out());
  if (const char* home = std::getenv("HOME")) history_path_ = std::string(home) + "/.valk_history";
  rl_readline_name = "valk";
  rl_attempted_completion_function = complete;
  rl_basic_word_break_characters = const_cast<char*>(" \t\n\"(){};");
  using_history();
  stifle_history(1000);
  if (!history_path_.empty()) read_history(history_path_.c_str());
}

Repl::~Repl() { g_vm = nullptr; }

// A line without its newline, as std::getline gives it, but read with stdio: std::cin would link
// in iostreams, whose static initializer builds every locale facet before main and touches a
// fifth of the binary's pages (resident memory of every program, REPL or not).
static bool read_plain_line(std::FILE* in, std::string& line) {
  line.clear();
  int c;
  while ((c = std::getc(in)) != EOF && c != '\n') line.push_back(char(c));
  return c == '\n' || !line.empty();
}

Repl::Input Repl::read_line(const char* prompt, std::string& line) {
  if (!interactive_) return read_plain_line(input_, line) ? Input::kLine : Input::kEnd;
  std::fflush(vm_.out());
  g_sigint = 0;
  // libedit is driven by the loop, so that fibers and timers go on while the prompt waits.
  g_line = &line;
  g_line_done = g_line_eof = false;
  rl_callback_handler_install(prompt, on_line);
  vm_.loop().wait_for_input(
      0,
      [] {
        rl_callback_read_char();
        return g_line_done;
      },
      [] { return g_sigint != 0; });
  rl_callback_handler_remove();
  g_line = nullptr;
  if (g_line_done && !g_line_eof) return Input::kLine;
  if (!g_sigint) return Input::kEnd;  // Ctrl-D
  std::fputc('\n', vm_.out());          // Ctrl-C: drop what was typed, as a shell does
  return Input::kInterrupted;
}

void Repl::print_error(Value error, const std::string& text, uint32_t first_line) {
  std::fflush(vm_.out());
  std::string shown = explain_error(vm_, error, format_error_for_user(vm_, error), SourceText{text, first_line, file_},
                                    colour_wanted(vm_.err()));
  std::fprintf(vm_.err(), "%s\n", shown.c_str());
}

void Repl::evaluate(const std::string& text, uint32_t first_line) {
  // The line's data are one S-expression; read as a Q-expression and run as code, it is not
  // "written with parentheses", so `f` alone shows f rather than calling it (LANGUAGE.md 4.2).
  ReadResult read = read_forms(vm_.heap(), vm_.symbols(), ReadInput{text, file_, first_line, false});
  if (!read.ok) {
    Value e = vm_.error(read.error.message);
    e.as<ErrorObj>()->pos = read.error.pos;
    print_error(e, text, first_line);
    return;
  }
  if (read.forms.is_nil()) return;  // an empty line or only comments
  SrcPos pos = cell_pos(read.forms);
  vm_.clear_interrupt();  // a Ctrl-C typed at the prompt is not for this entry
  Value result = vm_.eval_toplevel(read.forms, pos, CodeShape::kList);
  if (is_repl_command(result) && is_symbol(car(read.forms)) && cdr(read.forms).is_nil()) {
    result = vm_.call(result, {});  // `help` or `quit` typed alone does what it says
  }
  if (is_error(result)) {
    print_error(result, text, first_line);
    return;
  }
  std::string out = shown_result(read.forms, result);
  std::string_view colour = colour_results_ ? result_colour(result) : "";
  if (!colour.empty()) out = std::string(colour) + out + "\x1b[0m";
  out += '\n';
  std::fwrite(out.data(), 1, out.size(), vm_.out());
  std::fflush(vm_.out());
  std::string hints = result_hints(vm_, result);
  if (!hints.empty()) std::fputs(hints.c_str(), vm_.err());
}

int Repl::run() {
  if (interactive_) {
    std::fprintf(vm_.out(), "%s  (help) to start, (quit) or Ctrl-D to leave\n", kVersion);
  }
  std::string entry, line;
  for (;;) {
    uint32_t first_line = line_;
    Input in = read_line("valkyria> ", line);
    if (in == Input::kEnd) break;
    if (in == Input::kInterrupted) continue;
    entry = line;
    ++line_;
    // Keep reading while the entry is an unfinished list or string.
    bool abandoned = false;
    for (;;) {
      ReadResult probe = read_forms(vm_.heap(), vm_.symbols(), ReadInput{entry, file_, first_line, false});
      if (probe.ok || !probe.error.incomplete) break;
      in = read_line("......... ", line);
      if (in != Input::kLine) {
        abandoned = in == Input::kInterrupted;
        break;
      }
      entry += '\n';
      entry += line;
      ++line_;
    }
    if (abandoned) continue;
    if (interactive_ && entry.find_first_not_of(" \t") != std::string::npos) {
      add_history(entry.c_str());
      if (!history_path_.empty()) write_history(history_path_.c_str());
    }
    evaluate(entry, first_line);
  }
  if (interactive_) std::fputc('\n', vm_.out());
  std::fflush(vm_.out());
  return 0;
}

}  // namespace valk
