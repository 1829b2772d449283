// main.cpp: the valk command: runs the steps of the command line in order (expressions, files
// read form by form, stdin), then the REPL when asked or when nothing else was given.
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>
#include <string>

#include "aio/loop.h"
#include "compile/disasm.h"
#include "compile/proto.h"
#include "read/reader.h"
#include "read/stream.h"
#include "repl/options.h"
#include "repl/repl.h"
#include "repl/teach.h"
#include "value/print.h"

namespace valk {
namespace {

// Exit statuses of valk itself (a program chooses its own with `exit`).
constexpr int kExitError = 1;        // an uncaught error
constexpr int kExitInterrupted = 130;  // Ctrl-C (SIGINT), as shells report 128 + 2

VM* g_running = nullptr;  // the VM a SIGINT interrupts while steps run

void on_sigint(int) {
  if (g_running) {
    g_running->interrupt();
    g_running->loop().wake();  // the main fiber may be waiting in the loop (await, the program's end)
  }
  signal(SIGINT, SIG_DFL);  // a second Ctrl-C ends valk at once
}

bool is_interrupt(Value error) {
  return (error.obj()->flags & errflag::kUncatchable) && error.as<ErrorObj>()->message.as<String>()->view() == "interrupted";
}

// Prints an uncaught error as teach.h shows it (source line, caret, hints); returns the exit
// status it calls for.
int report(VM& vm, Value error, std::string_view text = {}, uint32_t first_line = 1, uint32_t text_file = 0) {
  std::fflush(vm.out());
  std::string shown = explain_error(vm, error, vm.describe_error(error), SourceText{text, first_line, text_file},
                                    colour_wanted(vm.err()));
  std::fprintf(vm.err(), "%s\n", shown.c_str());
  return is_interrupt(error) ? kExitInterrupted : kExitError;
}

Value read_error(VM& vm, const ReadError& error) {
  Value e = vm.error(error.message);
  e.as<ErrorObj>()->pos = error.pos;
  return e;
}

// Reads one piece of a program and runs its forms in order; an error value or undefined.
Value run_piece(VM& vm, const std::string& piece, uint32_t file, uint32_t first_line) {
  ReadResult read = read_forms(vm.heap(), vm.symbols(), ReadInput{piece, file, first_line, false});
  if (!read.ok) return read_error(vm, read.error);
  Value cell = read.forms;
  RootGuard guard(vm, cell);  // running a form may move the list
  for (; is_cons(cell); cell = cdr(cell)) {
    Value r = vm.eval_toplevel(car(cell), cell_pos(cell));
    if (is_error(r)) return r;
  }
  return Value::undefined();
}

// Runs a program from `in` form by form (see read/stream.h); returns the exit status.
int run_stream(VM& vm, std::FILE* in, const std::string& name) {
  uint32_t file = vm.files().intern(name);
  size_t limit = vm.heap().config().heap_limit;
  SourceStream stream(in, limit != 0 && limit < limits::kMaxSourceBytes ? limit : limits::kMaxSourceBytes);
  std::string piece;
  uint32_t first_line = 1;
  for (;;) {
    SourceStream::Next next = stream.next(piece, first_line);
    if (next == SourceStream::Next::kEnd) return 0;
    if (next == SourceStream::Next::kError) {
      std::fflush(vm.out());
      std::fprintf(vm.err(), "%s:%u: %s%s\n", name.c_str(), unsigned(first_line),
                   vm.heap().config().heap_limit ? "out of memory: " : "", stream.error().c_str());
      return kExitError;
    }
    Value r = run_piece(vm, piece, file, first_line);
    if (is_error(r)) return report(vm, r, piece, first_line, file);
  }
}

int run_file(VM& vm, const std::string& path) {
  std::FILE* f = std::fopen(path.c_str(), "rb");
  // fopen opens a directory for reading; its first read fails (EISDIR): one message for both.
  struct stat st;
  if (f && fstat(fileno(f), &st) == 0 && S_ISDIR(st.st_mode)) {
    std::fclose(f);
    f = nullptr;
    errno = EISDIR;
  }
  if (!f) {
    std::fprintf(stderr, "valk: cannot open %s: %s\n", path.c_str(), std::strerror(errno));
    return kExitError;
  }
  int status = run_stream(vm, f, path);
  std::fclose(f);
  return status;
}

int run_expression(VM& vm, const std::string& expr) {
  uint32_t file = vm.files().intern("<-e>");
  // Like a REPL line: the data are one S-expression (see repl.cpp).
  ReadResult read = read_forms(vm.heap(), vm.symbols(), ReadInput{expr, file, 1, false});
  if (!read.ok) return report(vm, read_error(vm, read.error), expr, 1, file);
  if (read.forms.is_nil()) return 0;  // blank, or only comments: nothing to evaluate
  Value r = vm.eval_toplevel(read.forms, cell_pos(read.forms), CodeShape::kList);
  if (is_error(r)) return report(vm, r, expr, 1, file);
  std::string out = shown_result(read.forms, r) + "\n";
  std::fwrite(out.data(), 1, out.size(), vm.out());
  std::fflush(vm.out());
  std::fputs(result_hints(vm, r).c_str(), vm.err());
  return 0;
}

// Prints the bytecode of every function the file defined globally.
void disasm_file(VM& vm, const std::string& path) {
  uint32_t file = vm.files().intern(path);
  std::string out;
  for (Symbol* s : vm.symbols().all()) {
    if (!is_closure(s->global)) continue;
    const Proto* p = s->global.as<Closure>()->proto.as<Proto>();
    if (p->extra->pos.file() != file) continue;
    out += disassemble(p, vm.files()) + "\n";
  }
  std::fwrite(out.data(), 1, out.size(), vm.out());
}

int run_step(VM& vm, const Step& step) {
  switch (step.kind) {
    case Step::Kind::kExpression: return run_expression(vm, step.text);
    case Step::Kind::kFile: return run_file(vm, step.text);
    case Step::Kind::kStdin: return run_stream(vm, stdin, "<stdin>");
  }
  return 0;
}

int run_steps(VM& vm, const Options& o) {
  g_running = &vm;
  signal(SIGINT, on_sigint);
  int status = 0;
  for (const Step& step : o.steps) {
    status = run_step(vm, step);
    if (status != 0) break;
  }
  if (status == 0) {  // the program ends when no fiber, timer or handle is left, or on a Ctrl-C
    Value stopped = vm.run_pending();
    if (!stopped.is_undefined()) status = report(vm, stopped);
  }
  if (status == 0 && o.disasm) {
    for (const Step& step : o.steps) {
      if (step.kind == Step::Kind::kFile) disasm_file(vm, step.text);
    }
  }
  signal(SIGINT, SIG_DFL);
  g_running = nullptr;
  return status;
}

int main_with(Options& o) {
  if (o.mode == Options::Mode::kHelp) {
    std::fputs(kUsage, stdout);
    return 0;
  }
  if (o.mode == Options::Mode::kVersion) {
    std::fputs(version_text().c_str(), stdout);
    return 0;
  }
  o.vm.args = o.args;
  // An error in a loaded file is shown as one in the main file is (the file is read from disk).
  o.vm.show_load_error = [](VM& vm, Value error) {
    return explain_error(vm, error, vm.describe_error(error), SourceText{}, colour_wanted(vm.err()));
  };
  auto vm = std::make_unique<VM>(o.vm);
  int status = run_steps(*vm, o);
  if (status == 0) {
    bool tty = isatty(0) != 0;
    if (o.mode == Options::Mode::kRepl || (o.mode == Options::Mode::kAuto && tty)) {
      status = Repl(*vm, tty).run();
    } else if (o.mode == Options::Mode::kAuto) {
      Options stdin_only;
      stdin_only.steps.push_back(Step{Step::Kind::kStdin, "<stdin>"});
      status = run_steps(*vm, stdin_only);
    }
  }
  std::fflush(stdout);
  return status;
}

}  // namespace
}  // namespace valk

int main(int argc, char** argv) {
  auto options = valk::parse_options(argc, argv);
  if (!options) return 2;
  return valk::main_with(*options);
}
