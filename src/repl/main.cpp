// main.cpp: the valk command: the REPL, programs from files or stdin, -e, --disasm.
#include <unistd.h>

#include <cstdio>
#include <iostream>
#include <iterator>
#include <memory>
#include <string>

#include "compile/disasm.h"
#include "compile/proto.h"
#include "lib/fileio.h"
#include "read/reader.h"
#include "repl/options.h"
#include "repl/repl.h"
#include "value/print.h"

namespace valk {
namespace {

void report(VM& vm, Value error) {
  std::fflush(vm.out());
  std::fprintf(vm.err(), "%s\n", vm.describe_error(error).c_str());
}

// Runs a program's text; returns the exit status.
int run_text(VM& vm, const std::string& text, const std::string& name) {
  Value r = vm.run_source(text, name);
  if (is_error(r)) {
    report(vm, r);
    return 1;
  }
  return 0;
}

int run_files(VM& vm, const std::vector<std::string>& files) {
  for (const std::string& path : files) {
    std::string text;
    std::string why = read_whole_file(path, text);
    if (!why.empty()) {
      std::fprintf(stderr, "valk: cannot open %s: %s\n", path.c_str(), why.c_str());
      return 1;
    }
    if (int status = run_text(vm, text, path); status != 0) return status;
  }
  vm.run_pending();  // the program ends when no fiber, timer or handle is left
  return 0;
}

int run_expression(VM& vm, const std::string& expr) {
  uint32_t file = vm.files().intern("<-e>");
  // Like a REPL line: the data are one S-expression (see repl.cpp).
  ReadResult read = read_forms(vm.heap(), vm.symbols(), ReadInput{expr, file, 1, false});
  if (!read.ok) {
    Value e = vm.error(read.error.message);
    e.as<ErrorObj>()->pos = read.error.pos;
    report(vm, e);
    return 1;
  }
  Value r = vm.eval_toplevel(read.forms, cell_pos(read.forms), CodeShape::kList);
  if (is_error(r)) {
    report(vm, r);
    return 1;
  }
  std::string out = readable(r) + "\n";
  std::fwrite(out.data(), 1, out.size(), vm.out());
  return 0;
}

// Runs the file, then prints the bytecode of every function it defined globally.
int disasm_file(VM& vm, const std::string& path) {
  if (int status = run_files(vm, {path}); status != 0) return status;
  uint32_t file = vm.files().intern(path);
  std::string out;
  for (Symbol* s : vm.symbols().all()) {
    if (!is_closure(s->global)) continue;
    const Proto* p = s->global.as<Closure>()->proto.as<Proto>();
    if (p->extra->pos.file() != file) continue;
    out += disassemble(p, vm.files()) + "\n";
  }
  std::fwrite(out.data(), 1, out.size(), vm.out());
  return 0;
}

int main_with(Options& o) {
  if (o.mode == Options::Mode::kHelp) {
    std::fputs(kUsage, stdout);
    return 0;
  }
  if (o.mode == Options::Mode::kVersion) {
    std::puts(kVersion);
    return 0;
  }
  auto vm = std::make_unique<VM>(o.vm);
  int status = 0;
  switch (o.mode) {
    case Options::Mode::kFiles: status = run_files(*vm, o.files); break;
    case Options::Mode::kExpression: status = run_expression(*vm, o.expression); break;
    case Options::Mode::kDisasm: status = disasm_file(*vm, o.files[0]); break;
    case Options::Mode::kRepl: status = Repl(*vm, isatty(0) != 0).run(); break;
    case Options::Mode::kAuto:
      if (isatty(0)) {
        status = Repl(*vm, true).run();
      } else {
        std::string text(std::istreambuf_iterator<char>(std::cin), {});
        status = run_text(*vm, text, "<stdin>");
        if (status == 0) vm->run_pending();
      }
      break;
    default: break;
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
