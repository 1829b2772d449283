// options.cpp: parsing of the command line and of the VALK_* environment variables.
#include "repl/options.h"

#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace valk {

const char kVersion[] = "valk 0.1.0 (Valkyria)";

const char kUsage[] =
    "usage: valk [options] [FILE...]\n"
    "\n"
    "  valk                  the REPL when stdin is a terminal, else runs stdin as a program\n"
    "  valk FILE...          runs the files in order\n"
    "  valk -e EXPR          evaluates EXPR (as one REPL line) and prints its value\n"
    "  valk --disasm FILE    runs FILE, then prints the bytecode of each function it defined\n"
    "  valk --repl           the REPL even when stdin is not a terminal\n"
    "\n"
    "options:\n"
    "  --heap-limit BYTES    raise \"out of memory\" past this much live data (VALK_HEAP_LIMIT;\n"
    "                        suffixes k, m, g; 0 means no limit, the default)\n"
    "  --nursery BYTES       size of the young generation (VALK_NURSERY; default 2m)\n"
    "  --gc-stress           collect at every safe point (VALK_GC_STRESS=1)\n"
    "  --gc-verify           check the heap after every major collection (VALK_GC_VERIFY=1)\n"
    "  --help, --version\n";

namespace {

// "64m" -> 67108864; nothing on a malformed size.
std::optional<size_t> parse_size(const char* text) {
  if (!text || *text < '0' || *text > '9') return std::nullopt;  // no sign, no blanks
  errno = 0;
  char* end = nullptr;
  unsigned long long n = std::strtoull(text, &end, 10);
  if (errno == ERANGE) return std::nullopt;
  size_t scale = 1;
  if (*end == 'k' || *end == 'K') scale = size_t(1) << 10;
  if (*end == 'm' || *end == 'M') scale = size_t(1) << 20;
  if (*end == 'g' || *end == 'G') scale = size_t(1) << 30;
  if (scale != 1) ++end;
  if (*end) return std::nullopt;
  if (n > SIZE_MAX / scale) return std::nullopt;
  return size_t(n) * scale;
}

bool env_flag(const char* name) {
  const char* v = std::getenv(name);
  return v && *v && std::strcmp(v, "0") != 0;
}

bool apply_size(const char* what, const char* text, size_t& into) {
  auto n = parse_size(text);
  if (!n) {
    std::fprintf(stderr, "valk: %s: not a size: '%s' (examples: 1048576, 512k, 64m, 2g)\n", what,
                 text ? text : "");
    return false;
  }
  into = *n;
  return true;
}

}  // namespace

std::optional<Options> parse_options(int argc, char** argv) {
  Options o;
  if (const char* v = std::getenv("VALK_HEAP_LIMIT")) {
    if (!apply_size("VALK_HEAP_LIMIT", v, o.vm.heap.heap_limit)) return std::nullopt;
  }
  if (const char* v = std::getenv("VALK_NURSERY")) {
    if (!apply_size("VALK_NURSERY", v, o.vm.heap.nursery_bytes)) return std::nullopt;
  }
  o.vm.heap.stress = env_flag("VALK_GC_STRESS");
  o.vm.heap.verify = env_flag("VALK_GC_VERIFY");
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto value = [&](const char* opt) -> const char* {
      if (i + 1 >= argc) {
        std::fprintf(stderr, "valk: %s needs a value\n%s", opt, kUsage);
        return nullptr;
      }
      return argv[++i];
    };
    if (a == "--help" || a == "-h") {
      o.mode = Options::Mode::kHelp;
    } else if (a == "--version") {
      o.mode = Options::Mode::kVersion;
    } else if (a == "-e") {
      const char* v = value("-e");
      if (!v) return std::nullopt;
      o.mode = Options::Mode::kExpression;
      o.expression = v;
    } else if (a == "--disasm") {
      const char* v = value("--disasm");
      if (!v) return std::nullopt;
      o.mode = Options::Mode::kDisasm;
      o.files.push_back(v);
    } else if (a == "--repl") {
      o.mode = Options::Mode::kRepl;
    } else if (a == "--heap-limit") {
      if (!apply_size("--heap-limit", value("--heap-limit"), o.vm.heap.heap_limit)) return std::nullopt;
    } else if (a == "--nursery") {
      if (!apply_size("--nursery", value("--nursery"), o.vm.heap.nursery_bytes)) return std::nullopt;
    } else if (a == "--gc-stress") {
      o.vm.heap.stress = true;
    } else if (a == "--gc-verify") {
      o.vm.heap.verify = true;
    } else if (a.size() > 1 && a[0] == '-') {
      std::fprintf(stderr, "valk: unknown option %s\n%s", a.c_str(), kUsage);
      return std::nullopt;
    } else {
      o.files.push_back(a);
      if (o.mode == Options::Mode::kAuto) o.mode = Options::Mode::kFiles;
    }
  }
  return o;
}

}  // namespace valk
