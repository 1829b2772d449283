// options.cpp: parsing of the command line and of the VALK_* environment variables.
#include "repl/options.h"

#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cctype>
#include <cstring>

#include <histedit.h>
#include <nghttp2/nghttp2.h>
#include <openssl/crypto.h>
#include <uv.h>

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

namespace valk {

const char kVersion[] = "valk 0.1.0 (Valkyria)";

const char kUsage[] =
    "usage: valk [options] [-e EXPR]... [FILE | -] [ARGS...]\n"
    "\n"
    "  valk                  the REPL when stdin is a terminal, else runs stdin as a program\n"
    "  valk FILE ARGS...     runs FILE; the arguments after it are the program's (sys/args)\n"
    "  valk -e EXPR          evaluates EXPR (as one REPL line) and prints its value; repeatable,\n"
    "                        the expressions run in order, before FILE\n"
    "  valk - ARGS...        runs the program read from stdin\n"
    "  valk -e EXPR -- ARGS  gives ARGS to the expressions as (sys/args)\n"
    "  valk --disasm FILE    runs FILE, then prints the bytecode of each function it defined\n"
    "  valk --repl [FILE]    runs the steps given, then the REPL (even when stdin is not a terminal)\n"
    "\n"
    "options (--opt VALUE or --opt=VALUE):\n"
    "  -e, --eval EXPR       evaluate EXPR and print its value\n"
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

// VALK_GC_STRESS and the like: unset or empty is off; else a boolean word, or a complaint.
bool env_flag(const char* name, bool& into) {
  const char* v = std::getenv(name);
  if (!v || !*v) return true;
  auto b = parse_bool(v);
  if (!b) {
    std::fprintf(stderr, "valk: %s: not a boolean: '%s' (use 1, 0, true, false, yes or no)\n", name, v);
    return false;
  }
  into = *b;
  return true;
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

namespace {

// What is wrong, then the usage's first line (valk --help prints all of it).
[[nodiscard]] bool usage_error(const std::string& what) {
  std::string first_line(kUsage, std::strchr(kUsage, '\n'));
  std::fprintf(stderr, "valk: %s\n%s (valk --help for more)\n", what.c_str(), first_line.c_str());
  return false;
}

// Walks argv; each argument is used or rejected.
class ArgParser {
 public:
  ArgParser(int argc, char** argv, Options& o) : argc_(argc), argv_(argv), o_(o) {}
  bool run();

 private:
  bool option(const std::string& name, const std::optional<std::string>& attached);
  // The option's value: after '=' or the next argument.
  std::optional<std::string> value(const std::string& name, const std::optional<std::string>& attached);
  bool flag(const std::string& name, const std::optional<std::string>& attached, bool& into);
  void add_step(Step::Kind kind, std::string text) {
    o_.steps.push_back(Step{kind, std::move(text)});
    if (o_.mode == Options::Mode::kAuto) o_.mode = Options::Mode::kRun;
  }

  int argc_;
  char** argv_;
  Options& o_;
  int i_ = 1;
  bool program_given_ = false;  // a FILE or `-`: what follows it is the program's (sys/args)
};

std::optional<std::string> ArgParser::value(const std::string& name, const std::optional<std::string>& attached) {
  if (attached) return attached;
  if (i_ + 1 >= argc_) {
    (void)usage_error(name + " needs a value");
    return std::nullopt;
  }
  return std::string(argv_[++i_]);
}

bool ArgParser::flag(const std::string& name, const std::optional<std::string>& attached, bool& into) {
  if (!attached) {
    into = true;
    return true;
  }
  auto b = parse_bool(*attached);
  if (!b) return usage_error(name + ": not a boolean: '" + *attached + "' (use 1, 0, true, false, yes or no)");
  into = *b;
  return true;
}

bool ArgParser::option(const std::string& name, const std::optional<std::string>& attached) {
  bool no_value = !attached;
  if ((name == "--help" || name == "-h") && no_value) {
    o_.mode = Options::Mode::kHelp;
  } else if (name == "--version" && no_value) {
    o_.mode = Options::Mode::kVersion;
  } else if (name == "-e" || name == "--eval") {
    auto v = value(name, attached);
    if (!v) return false;
    add_step(Step::Kind::kExpression, *v);
  } else if (name == "--disasm") {
    auto v = value(name, attached);
    if (!v) return false;
    add_step(Step::Kind::kFile, *v);
    o_.disasm = true;
    program_given_ = true;
  } else if (name == "--repl" && no_value) {
    o_.mode = Options::Mode::kRepl;
  } else if (name == "--heap-limit" || name == "--nursery") {
    auto v = value(name, attached);
    if (!v) return false;
    return apply_size(name.c_str(), v->c_str(), name == "--nursery" ? o_.vm.heap.nursery_bytes : o_.vm.heap.heap_limit);
  } else if (name == "--gc-stress") {
    return flag(name, attached, o_.vm.heap.stress);
  } else if (name == "--gc-verify") {
    return flag(name, attached, o_.vm.heap.verify);
  } else if (attached && (name == "--help" || name == "-h" || name == "--version" || name == "--repl")) {
    return usage_error(name + " takes no value");
  } else {
    return usage_error("unknown option " + name);
  }
  return true;
}

// Options and -e steps come first; the program (FILE or `-`) ends them, as in lua, python and
// node, so that `valk script.valk input.txt` and `#!/usr/bin/env valk` scripts get their arguments.
bool ArgParser::run() {
  for (; i_ < argc_ && !program_given_; ++i_) {
    std::string a = argv_[i_];
    if (a == "--") break;
    if (a == "-") {
      add_step(Step::Kind::kStdin, "<stdin>");
      program_given_ = true;
    } else if (a.size() > 1 && a[0] == '-') {
      size_t eq = a.find('=');
      bool long_option = a.size() > 2 && a[1] == '-';
      std::optional<std::string> attached;
      if (long_option && eq != std::string::npos) attached = a.substr(eq + 1);
      if (!option(long_option ? a.substr(0, eq) : a, attached)) return false;
    } else {
      add_step(Step::Kind::kFile, a);
      program_given_ = true;
    }
  }
  if (i_ < argc_ && std::string_view(argv_[i_]) == "--") ++i_;
  for (; i_ < argc_; ++i_) o_.args.emplace_back(argv_[i_]);
  return true;
}

}  // namespace

std::optional<bool> parse_bool(const std::string& text) {
  std::string t;
  for (char c : text) t += char(std::tolower(static_cast<unsigned char>(c)));
  if (t == "1" || t == "true" || t == "yes") return true;
  if (t == "0" || t == "false" || t == "no") return false;
  return std::nullopt;
}

std::string version_text() {
  std::string s = std::string(kVersion) + "\n";
#ifdef VALK_LIBEDIT_VERSION
  s += "libedit " VALK_LIBEDIT_VERSION "\n";
#else
  s += "libedit (histedit " + std::to_string(LIBEDIT_MAJOR) + "." + std::to_string(LIBEDIT_MINOR) + ")\n";
#endif
  s += std::string("libuv ") + uv_version_string() + "\n";
  s += "PCRE2 " + std::to_string(PCRE2_MAJOR) + "." + std::to_string(PCRE2_MINOR) + "\n";
  s += std::string("nghttp2 ") + nghttp2_version(0)->version_str + "\n";
  s += std::string(OpenSSL_version(OPENSSL_VERSION)) + "\n";
  s += "simdjson " VALK_SIMDJSON_VERSION "\n";
#if defined(__clang__)
  s += "built with clang " __clang_version__ "\n";
#elif defined(__GNUC__)
  s += "built with g++ " __VERSION__ "\n";
#endif
  return s;
}

std::optional<Options> parse_options(int argc, char** argv) {
  Options o;
  if (const char* v = std::getenv("VALK_HEAP_LIMIT")) {
    if (!apply_size("VALK_HEAP_LIMIT", v, o.vm.heap.heap_limit)) return std::nullopt;
  }
  if (const char* v = std::getenv("VALK_NURSERY")) {
    if (!apply_size("VALK_NURSERY", v, o.vm.heap.nursery_bytes)) return std::nullopt;
  }
  if (!env_flag("VALK_GC_STRESS", o.vm.heap.stress)) return std::nullopt;
  if (!env_flag("VALK_GC_VERIFY", o.vm.heap.verify)) return std::nullopt;
  if (!ArgParser(argc, argv, o).run()) return std::nullopt;
  return o;
}

}  // namespace valk
