// help.cpp: `help` and `quit`, the REPL's orientation: (help) says how Valk is written and lists
// the areas (the prefixes of the bound names, such as str/ and aio/), (help "str") lists an
// area's functions with the first line of their documentation, (help f) prints (doc f).
#include <cstdio>
#include <cstdlib>
#include <map>
#include <string>

#include "lib/builtin.h"
#include "lib/check.h"
#include "vm/vm.h"

namespace valk {

namespace {

constexpr const char* kIntroduction =
    "Valk is a Lisp: a call is written (f a b), and what must not run at once is written in { }:\n"
    "  (def {x} 5)                  binds x          (fun {add a b} {+ a b})   a function\n"
    "  (if (> x 1) {\"big\"} {\"small\"})  branches      (map (\\ {n} {* n n}) {1 2 3})  a lambda\n"
    "(help f) shows what f does, (help \"str\") lists an area's functions; (quit) or Ctrl-D leaves.\n";

// Prints to the VM's output and answers ().
Value print_text(VM& vm, const std::string& text) {
  std::fwrite(text.data(), 1, text.size(), vm.out());
  return Value::empty_sexpr();
}

// Areas: every prefix before a '/' of a bound name, with how many names it has.
std::map<std::string, int> areas(VM& vm) {
  std::map<std::string, int> out;
  for (Symbol* s : vm.symbols().all()) {
    if (s->global.is_undefined()) continue;
    std::string_view name = s->name();
    size_t slash = name.find('/');
    if (slash != std::string_view::npos && slash > 0 && slash + 1 < name.size()) ++out[std::string(name.substr(0, slash))];
  }
  return out;
}

std::string overview(VM& vm) {
  std::string text = kIntroduction;
  text += "Areas:";
  for (const auto& [area, count] : areas(vm)) text += " " + area + "/ (" + std::to_string(count) + ")";
  return text + "\n";
}

// The first line of a function's documentation after its signature line.
std::string summary(VM& vm, Value f) {
  Value doc = function_doc(vm, f);
  if (!is_string(doc)) return "";
  std::string_view text = doc.as<String>()->view();
  size_t nl = text.find('\n');
  std::string_view rest = nl == std::string_view::npos ? "" : text.substr(nl + 1);
  return std::string(rest.substr(0, rest.find('\n')));
}

Value area_help(VM& vm, std::string area) {
  if (!area.empty() && area.back() == '/') area.pop_back();
  std::string prefix = area + "/", text;
  for (Symbol* s : vm.symbols().all()) {
    if (s->global.is_undefined() || !s->name().starts_with(prefix)) continue;
    text += "  " + std::string(s->name());
    if (is_function(s->global)) text += "  " + summary(vm, s->global);
    text += "\n";
  }
  if (text.empty()) return vm.error("help: no function is bound under " + prefix + " (try (help) for the areas)");
  return print_text(vm, prefix + "\n" + text);
}

Value builtin_help(VM& vm, Args a) {
  if (a.n == 0) return print_text(vm, overview(vm));
  if (is_string(a[0])) return area_help(vm, std::string(a[0].as<String>()->view()));
  if (is_function(a[0])) {
    Value doc = function_doc(vm, a[0]);
    if (is_error(doc)) return doc;
    return print_text(vm, std::string(doc.as<String>()->view()) + "\n");
  }
  return arg_error(vm, "help", 0, "a Function or a String naming an area", a[0]);
}

Value builtin_quit(VM& vm, Args) {
  std::fflush(vm.out());
  std::fflush(vm.err());
  std::exit(0);
}

const BuiltinInfo kHelp[] = {
    {"help", "[topic]",
     "Prints how Valk is written and its areas; (help f) prints the documentation of f; (help \"str\") lists "
     "the functions under str/. Returns ().",
     0, 1, builtinflag::kCallBare | builtinflag::kReplCommand, 0, builtin_help, nullptr},
    {"quit", "", "Ends the program (the REPL) with exit status 0, as Ctrl-D does.", 0, 0, builtinflag::kNullary | builtinflag::kReplCommand,
     0, builtin_quit, nullptr},
};

}  // namespace

constinit const std::span<const BuiltinInfo> help_builtins{kHelp};

}  // namespace valk
