// teach.cpp: an error as shown to a person (see teach.h): the source excerpt, hints for common
// mistakes found from the error's message and the source line it is placed on, colours. Only
// the command line and the REPL print them: error values and their first lines are unchanged.
#include "repl/teach.h"

#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <vector>

#include "lib/builtin.h"
#include "read/reader.h"
#include "value/print.h"
#include "value/utf8.h"

namespace valk {

namespace {

// Names shorter than this get no "did you mean": one edit away from `x` is every one-letter name.
constexpr size_t kMinSuggestedLength = 3;
constexpr std::string_view kUnboundPrefix = "LEnv: Symbol `";
constexpr std::string_view kUnboundSuffix = "` is not bound";
constexpr std::string_view kTooManyArguments = "More arguments were given than required.";
// A source line longer than this many code points is shown as a window around the column.
constexpr uint32_t kExcerptHalfWidth = 60;

// ANSI colours (SGR) of the parts of an error.
constexpr std::string_view kColourReset = "\x1b[0m";
constexpr std::string_view kColourFirstLine = "\x1b[1;31m";  // bold red
constexpr std::string_view kColourCaret = "\x1b[1;31m";
constexpr std::string_view kColourGutter = "\x1b[34m";      // blue
constexpr std::string_view kColourHint = "\x1b[36m";        // cyan

std::string painted(std::string_view text, std::string_view colour, bool on) {
  if (!on || text.empty()) return std::string(text);
  return std::string(colour) + std::string(text) + std::string(kColourReset);
}

bool is_continuation_byte(char c) { return (static_cast<unsigned char>(c) & 0xC0) == 0x80; }


// Edits (insert, delete, replace, swap two neighbours) turning a into b: `lne` is one from `len`.
size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<std::vector<size_t>> d(a.size() + 1, std::vector<size_t>(b.size() + 1));
  for (size_t i = 0; i <= a.size(); ++i) d[i][0] = i;
  for (size_t j = 0; j <= b.size(); ++j) d[0][j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    for (size_t j = 1; j <= b.size(); ++j) {
      d[i][j] = std::min({d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1)});
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1]) d[i][j] = std::min(d[i][j], d[i - 2][j - 2] + 1);
    }
  }
  return d[a.size()][b.size()];
}

// The unbound name of an "LEnv: Symbol `x` is not bound" message, or "".
std::string_view unbound_name(std::string_view message) {
  if (!message.starts_with(kUnboundPrefix) || !message.ends_with(kUnboundSuffix)) return {};
  return message.substr(kUnboundPrefix.size(), message.size() - kUnboundPrefix.size() - kUnboundSuffix.size());
}

// The text of `line` before column `col` (1-based, in code points), without the blanks and
// opening parentheses just before it (`(\\ (x) ...)` is read as `(\\ x ...)`).
std::string before_column(std::string_view line, uint32_t col) {
  std::string s(line.substr(0, col == 0 ? 0 : utf8::offset_of(line, col - 1)));
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '(')) s.pop_back();
  return s;
}

bool ends_with_word(const std::string& s, std::string_view word) {
  return s.ends_with(word) && (s.size() == word.size() || s[s.size() - word.size() - 1] == '(' ||
                               s[s.size() - word.size() - 1] == ' ');
}

// True when `name` is one of the words inside the last "{...}" that follows `opener` in s.
bool named_in_braces_after(const std::string& s, std::string_view opener, std::string_view name) {
  size_t at = s.rfind(opener);
  if (at == std::string::npos) return false;
  size_t open = s.find('{', at), close = s.find('}', at);
  if (open == std::string::npos || close == std::string::npos || close < open) return false;
  std::string inside = " " + s.substr(open + 1, close - open - 1) + " ";
  for (char& c : inside) {
    if (c == '\t') c = ' ';
  }
  return inside.find(" " + std::string(name) + " ") != std::string::npos;
}

std::string unbound_hints(VM& vm, std::string_view name, const std::string& before) {
  std::string n(name);
  if (ends_with_word(before, "def") || ends_with_word(before, "=")) {
    return "hint: the names to bind are written in { }: (" + std::string(before.ends_with("=") ? "=" : "def") +
           " {" + n + "} ...)\n";
  }
  if (ends_with_word(before, "fun")) {
    return "hint: fun takes the name and the parameters in { }, then the body in { }: (fun {" + n +
           " x} {...})\n";
  }
  if (ends_with_word(before, "\\")) {
    return "hint: a lambda's parameters and body are written in { }: (\\ {" + n + "} {...})\n";
  }
  if (named_in_braces_after(before, "(fun ", name) || named_in_braces_after(before, "(\\ ", name)) {
    return "hint: a body written in ( ) runs at once, where `" + n +
           "` is not bound; write it in { } so that it runs at each call\n";
  }
  std::string close = closest_bound_name(vm, name);
  if (!close.empty()) return "hint: did you mean `" + close + "`?\n";
  return "";
}

// The name called at column `col` of `line`: the symbol after the call's "(" (or at the column,
// for a REPL line written without the outer parentheses); "" when there is none.
std::string called_name(std::string_view line, uint32_t col) {
  size_t i = col == 0 ? 0 : utf8::offset_of(line, col - 1);
  while (i < line.size() && (line[i] == '(' || line[i] == ' ' || line[i] == '\t')) ++i;
  size_t start = i;
  while (i < line.size() && is_symbol_char(static_cast<unsigned char>(line[i]))) ++i;
  return std::string(line.substr(start, i - start));
}

// "More arguments were given than required" names no function (LANGUAGE.md keeps it so): the
// hint names the lambda called there and its parameters.
std::string arity_hint(VM& vm, std::string_view line, uint32_t col) {
  std::string name = called_name(line, col);
  if (name.empty()) return "";
  Value f = vm.sym(name)->global;
  if (!is_closure(f)) return "";
  const Proto* p = f.as<Closure>()->proto.as<Proto>();
  std::string formals = readable(p->formals);  // {a b}
  std::string params = formals.substr(1, formals.size() - 2);
  return "hint: `" + name + "` takes " + std::to_string(p->nparams) + (p->nparams == 1 ? " argument" : " arguments") +
         ": (" + name + (params.empty() ? "" : " ") + params + ")\n";
}

// The prelude function the user's code called when an error was raised inside the prelude
// (error/trace runs innermost first: the last prelude call before the first user frame), or "".
std::string prelude_entry(const ErrorObj* e) {
  std::string entry;
  for (Value t = e->frames; is_cons(t); t = cdr(t)) {
    Value call = car(t);  // {function file line column}
    if (!is_cons(call) || !is_cons(cdr(call)) || !is_string(car(cdr(call)))) return "";
    std::string_view file = car(cdr(call)).as<String>()->view();
    if (file.empty()) continue;  // a native frame such as try
    if (!file.starts_with("<builtin ")) return entry;
    if (!is_string(car(call))) return "";
    entry = std::string(car(call).as<String>()->view());
  }
  return "";
}

// A type error raised inside the prelude is shown at the user's call (its position); the hint
// names the prelude function that call reached, and for lists the `{ }` they are written in.
std::string prelude_hint(const ErrorObj* e, std::string_view message) {
  if (message.find(" must be a") == std::string_view::npos) return "";
  std::string entry = prelude_entry(e);
  if (entry.empty()) return "";
  // Only an argument that is not a list: "each entry must be a Q-expression" (dict/map's
  // function returned a bad entry) is no list the call was given.
  if (message.find("argument") != std::string_view::npos && message.find("must be a Q-expression") != std::string_view::npos) {
    return "hint: `" + entry + "` was given something that is not a list; lists are written in { }, as in {1 2 3}\n";
  }
  return "hint: the error is inside `" + entry + "`, from a value this call passed it\n";
}

}  // namespace

std::string closest_bound_name(VM& vm, std::string_view name) {
  if (name.size() < kMinSuggestedLength) return "";
  size_t allowed = name.size() <= 4 ? 1 : 2;
  std::string best;
  size_t best_distance = allowed + 1;
  for (Symbol* s : vm.symbols().all()) {
    if (s->global.is_undefined() || s->name() == name) continue;
    std::string_view candidate = s->name();
    size_t length_gap = candidate.size() > name.size() ? candidate.size() - name.size() : name.size() - candidate.size();
    if (length_gap > allowed) continue;
    size_t d = edit_distance(name, candidate);
    if (d < best_distance || (d == best_distance && !best.empty() && candidate < best)) {
      best_distance = d;
      best = std::string(candidate);
    }
  }
  return best_distance <= allowed ? best : "";
}

std::string error_hints(VM& vm, Value error, std::string_view line) {
  if (!is_error(error)) return "";
  const auto* e = error.as<ErrorObj>();
  std::string_view message = e->message.as<String>()->view();
  std::string before = e->pos.known() ? before_column(line, e->pos.col()) : "";
  if (std::string_view name = unbound_name(message); !name.empty()) return unbound_hints(vm, name, before);
  if (message.starts_with(kTooManyArguments) && e->pos.known()) return arity_hint(vm, line, e->pos.col());
  if (message.starts_with("if: argument 2 must be a Q-expression") ||
      message.starts_with("if: argument 3 must be a Q-expression")) {
    return "hint: the branches of if are written in { }, so that only one of them runs: (if c {a} {b})\n";
  }
  return prelude_hint(e, message);
}

std::string result_hints(VM& vm, Value result) {
  if (!is_partial(result)) return "";
  Value fn = result.as<Partial>()->fn;
  if (fn == vm.sym("fun")->global) {
    return "hint: fun takes the name and parameters, then the body, each in { }: (fun {f x} {+ x 1})\n";
  }
  return "";
}

std::string shown_result(Value forms, Value result) {
  if (!is_string(result) || !is_cons(forms)) return readable(result);
  // The line is one call, `(doc f)`, or written without its parentheses, `doc f`.
  Value call = is_cons(car(forms)) && cdr(forms).is_nil() ? car(forms) : forms;
  Value f = is_symbol(car(call)) ? car(call).as<Symbol>()->global : Value::undefined();
  return is_builtin_with(f, builtinflag::kShowsText) ? std::string(result.as<String>()->view()) : readable(result);
}

std::string error_source_line(VM& vm, Value error, std::string_view text, uint32_t first_line, uint32_t text_file) {
  SrcPos pos = error.as<ErrorObj>()->pos;
  if (!pos.known()) return "";
  if (pos.file() == text_file) {
    std::string line = line_of_text(text, first_line, pos.line());
    if (!line.empty()) return line;
  }
  std::string_view name = vm.files().name(pos.file());
  if (name.starts_with("<")) return "";  // <stdin>, <-e>, <repl>, the built-in sources
  return line_of_file(std::string(name), pos.line());
}

std::string line_of_text(std::string_view text, uint32_t first, uint32_t n) {
  if (n < first) return "";
  size_t start = 0;
  for (uint32_t l = first; l < n; ++l) {
    size_t nl = text.find('\n', start);
    if (nl == std::string_view::npos) return "";
    start = nl + 1;
  }
  size_t end = text.find('\n', start);
  return std::string(text.substr(start, end == std::string_view::npos ? std::string_view::npos : end - start));
}

std::string line_of_file(const std::string& path, uint32_t n) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec)) return "";  // never read /dev/zero or a pipe
  std::ifstream in(path, std::ios::binary);
  std::string line;
  for (uint32_t l = 1; l <= n; ++l) {
    if (!std::getline(in, line)) return "";
  }
  return line;
}

// True when the line has a control character (other than a tab) that a terminal would act on.
bool has_control_character(std::string_view line) {
  return std::any_of(line.begin(), line.end(), [](char c) {
    auto u = static_cast<unsigned char>(c);
    return (u < 0x20 && c != '\t' && c != '\r') || u == 0x7f;
  });
}

std::string source_excerpt(std::string_view line, uint32_t line_number, uint32_t col, bool colour) {
  if (line.find_first_not_of(" \t\r") == std::string_view::npos || col == 0) return "";
  if (has_control_character(line)) return "";
  // A window of the line around the column, so that a caret on a huge line stays readable.
  size_t caret = col - 1;  // in code points
  size_t first = caret > kExcerptHalfWidth ? caret - kExcerptHalfWidth : 0;
  size_t begin = utf8::offset_of(line, first);
  size_t end = utf8::offset_of(line, caret + kExcerptHalfWidth);
  std::string shown = (begin > 0 ? "..." : "") + std::string(line.substr(begin, end - begin)) +
                      (end < line.size() ? "..." : "");
  if (!shown.empty() && shown.back() == '\r') shown.pop_back();
  // Under the text, blanks up to the column; tabs stay tabs so that the caret lines up.
  std::string pad(begin > 0 ? 3 : 0, ' ');
  for (size_t i = begin, cp = first; i < line.size() && cp < caret; ++i) {
    if (is_continuation_byte(line[i])) continue;
    pad += line[i] == '\t' ? '\t' : ' ';
    ++cp;
  }
  std::string number = std::to_string(line_number);
  std::string gutter = painted(number + " | ", kColourGutter, colour);
  std::string blank_gutter = painted(std::string(number.size(), ' ') + " | ", kColourGutter, colour);
  return "  " + gutter + shown + "\n  " + blank_gutter + pad + painted("^", kColourCaret, colour) + "\n";
}

std::string explain_error(VM& vm, Value error, const std::string& formatted, const SourceText& source, bool colour) {
  vm.settle_trace(error);  // the hints read error/trace's calls
  std::string line = error_source_line(vm, error, source.text, source.first_line, source.file);
  std::string hints = error_hints(vm, error, line);
  SrcPos pos = error.as<ErrorObj>()->pos;
  std::string excerpt = pos.known() ? source_excerpt(line, pos.line(), pos.col(), colour) : "";
  if (colour && !hints.empty()) {
    std::string lines;
    for (size_t at = 0, nl; at < hints.size(); at = nl + 1) {
      nl = hints.find('\n', at);
      lines += painted(hints.substr(at, nl - at), kColourHint, true) + "\n";
    }
    hints = lines;
  }
  size_t nl = formatted.find('\n');
  std::string first = painted(formatted.substr(0, nl), kColourFirstLine, colour);
  std::string rest = nl == std::string::npos ? "" : formatted.substr(nl + 1);
  std::string out = first + "\n" + excerpt + hints + rest;
  if (rest.empty()) out.pop_back();
  return out;
}

bool colour_wanted(std::FILE* stream) {
  const char* no_colour = std::getenv("NO_COLOR");
  if (no_colour && *no_colour) return false;
  const char* term = std::getenv("TERM");
  if (term && std::strcmp(term, "dumb") == 0) return false;
  return isatty(fileno(stream)) != 0;
}

}  // namespace valk
