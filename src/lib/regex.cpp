// regex.cpp: the re/ builtins on PCRE2 (UTF mode with Unicode classes, JIT-compiled): match with
// numbered and named captures, find all, replace with group references, split. Compiled patterns
// are cached per thread, least recently used dropped past limits::kRegexCacheEntries.
#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include <list>
#include <memory>
#include <string>
#include <unordered_map>

#include "config/limits.h"
#include "lib/builtin.h"
#include "lib/check.h"
#include "value/make.h"
#include "value/utf8.h"
#include "vm/vm.h"

namespace valk {

namespace {

struct CodeFree {
  void operator()(pcre2_code* c) const { pcre2_code_free(c); }
};
struct MatchDataFree {
  void operator()(pcre2_match_data* m) const { pcre2_match_data_free(m); }
};
using Code = std::unique_ptr<pcre2_code, CodeFree>;
using MatchData = std::unique_ptr<pcre2_match_data, MatchDataFree>;

// Least-recently-used cache of compiled patterns: the list holds the entries, most recent first.
class PatternCache {
 public:
  struct Entry {
    std::string pattern;
    Code code;
  };
  pcre2_code* find(const std::string& pattern) {
    auto it = index_.find(pattern);
    if (it == index_.end()) return nullptr;
    entries_.splice(entries_.begin(), entries_, it->second);
    return it->second->code.get();
  }
  pcre2_code* add(std::string pattern, Code code) {
    if (entries_.size() >= limits::kRegexCacheEntries) {
      index_.erase(entries_.back().pattern);
      entries_.pop_back();
    }
    entries_.push_front(Entry{std::move(pattern), std::move(code)});
    index_[entries_.front().pattern] = entries_.begin();
    return entries_.front().code.get();
  }
  size_t size() const { return entries_.size(); }

 private:
  std::list<Entry> entries_;
  std::unordered_map<std::string, std::list<Entry>::iterator> index_;
};

thread_local PatternCache t_cache;

// The JIT's own stack for this thread: PCRE2's default (32 KB) stops patterns that nest groups
// deeply over long subjects with "JIT stack limit reached"; this one grows up to
// limits::kRegexJitStackBytes. Runaway backtracking is stopped by the match limit instead.
struct MatchContext {
  pcre2_jit_stack* stack = pcre2_jit_stack_create(32 * 1024, limits::kRegexJitStackBytes, nullptr);
  pcre2_match_context* context = pcre2_match_context_create(nullptr);
  MatchContext() {
    if (stack && context) pcre2_jit_stack_assign(context, nullptr, stack);
  }
  ~MatchContext() {
    pcre2_match_context_free(context);
    pcre2_jit_stack_free(stack);
  }
};
thread_local MatchContext t_match;

std::string pcre2_message(int code) {
  PCRE2_UCHAR buf[256];
  int n = pcre2_get_error_message(code, buf, sizeof buf);
  return n < 0 ? "error " + std::to_string(code) : std::string(reinterpret_cast<char*>(buf), size_t(n));
}

// The one Error for a PCRE2 error code: `fn: PCRE2's message`, or, for an error PCRE2 located in the
// pattern or the replacement (`what` is "bad pattern" or "bad replacement"), `fn: what at offset
// N: message` with N a byte offset into that string.
Value pcre2_error(VM& vm, const char* fn, int code, const char* what = nullptr, size_t offset = 0) {
  std::string where = what ? std::string(what) + " at offset " + std::to_string(offset) + ": " : "";
  return vm.error(std::string(fn) + ": " + where + pcre2_message(code));
}

// The compiled form of the pattern argument a[0]: from the cache or compiled now (then
// JIT-compiled; where the JIT is not available PCRE2 interprets). Null with `error` set when the
// pattern is not a String or does not compile.
pcre2_code* pattern_of(VM& vm, const char* fn, Args a, Value& error) {
  if (!is_string(a[0])) {
    error = arg_error(vm, fn, 0, "a String", a[0]);
    return nullptr;
  }
  std::string pattern(a[0].as<String>()->view());
  if (pcre2_code* code = t_cache.find(pattern)) return code;
  int err;
  PCRE2_SIZE offset;
  // UCP: \w, \d, \s, \b and POSIX classes such as [[:alpha:]] take Unicode's properties, as Python 3's
  // str patterns do; without it they are ASCII-only although `.` is one character.
  // NEVER_BACKSLASH_C: \C matches one byte, which splits a character and returns invalid UTF-8.
  pcre2_code* code = pcre2_compile(reinterpret_cast<PCRE2_SPTR>(pattern.data()), pattern.size(),
                                   PCRE2_UTF | PCRE2_UCP | PCRE2_NEVER_BACKSLASH_C, &err, &offset, nullptr);
  if (!code) {
    error = pcre2_error(vm, fn, err, "bad pattern", offset);
    return nullptr;
  }
  pcre2_jit_compile(code, PCRE2_JIT_COMPLETE);
  return t_cache.add(std::move(pattern), Code(code));
}

// The argument a[i] (the subject or the replacement), checked to be a String of valid UTF-8: PCRE2
// is called with PCRE2_NO_UTF_CHECK, which it trusts for both, so invalid UTF-8 must never reach it.
// Undefined when it is, else an Error.
Value utf8_arg(VM& vm, const char* fn, Args a, uint32_t i, std::string_view& s) {
  if (!is_string(a[i])) return arg_error(vm, fn, i, "a String", a[i]);
  s = a[i].as<String>()->view();
  size_t bad = utf8::first_invalid(s);
  if (bad != utf8::kValid) return vm.error(std::string(fn) + ": invalid UTF-8 at byte " + std::to_string(bad));
  return Value::undefined();
}

// Everything a builtin needs to run one pattern over one subject.
struct Search {
  pcre2_code* code = nullptr;
  std::string_view s;
  MatchData md;
  Value error = Value::undefined();
  bool ok() const { return error.is_undefined(); }
  PCRE2_SIZE* ovector() const { return pcre2_get_ovector_pointer(md.get()); }
};

Search start_search(VM& vm, const char* fn, Args a) {
  Search r;
  r.code = pattern_of(vm, fn, a, r.error);
  if (!r.code) return r;
  r.error = utf8_arg(vm, fn, a, 1, r.s);
  if (!r.ok()) return r;
  r.md = MatchData(pcre2_match_data_create_from_pattern(r.code, nullptr));
  return r;
}

// Finds the next match at or after `start`; after an empty match at `start` (prev_empty), first a
// non-empty match there, then from the next character (as pcre2demo does). Returns the number
// of groups set (> 0), 0 when no match, or an Error in `r.error` for a matching failure (such as
// the match limit).
int next_match(VM& vm, const char* fn, Search& r, size_t start, bool prev_empty) {
  auto subject = reinterpret_cast<PCRE2_SPTR>(r.s.data());
  for (;;) {
    uint32_t options = PCRE2_NO_UTF_CHECK | (prev_empty ? PCRE2_NOTEMPTY_ATSTART | PCRE2_ANCHORED : 0);
    int rc = pcre2_match(r.code, subject, r.s.size(), start, options, r.md.get(), t_match.context);
    // The JIT's stack is bounded (limits::kRegexJitStackBytes); the interpreter backtracks on the
    // heap, so a subject too long for the JIT's stack is matched again without it.
    if (rc == PCRE2_ERROR_JIT_STACKLIMIT) {
      rc = pcre2_match(r.code, subject, r.s.size(), start, options | PCRE2_NO_JIT, r.md.get(), t_match.context);
    }
    if (rc > 0) return rc;
    if (rc != PCRE2_ERROR_NOMATCH) {
      r.error = pcre2_error(vm, fn, rc);
      return 0;
    }
    if (!prev_empty) return 0;
    if (start >= r.s.size()) return 0;
    prev_empty = false;
    start = utf8::offset_of(r.s, 1, start);  // try past the empty match's character
  }
}

Value group(VM& vm, const Search& r, int i) {
  PCRE2_SIZE* ov = r.ovector();
  if (ov[2 * i] == PCRE2_UNSET) return Value::nil();
  return make_string(vm.heap(), r.s.substr(ov[2 * i], ov[2 * i + 1] - ov[2 * i]));
}

// The value of a match: {whole group1 group2 ...}, an unset group as {}.
Value match_list(VM& vm, const Search& r) {
  uint32_t groups;
  pcre2_pattern_info(r.code, PCRE2_INFO_CAPTURECOUNT, &groups);
  ListBuilder out(vm.heap(), true);
  for (uint32_t i = 0; i <= groups; ++i) out.push(group(vm, r, int(i)));
  return out.finish();
}

#define SEARCH(fn)                    \
  Search r = start_search(vm, fn, a); \
  if (!r.ok()) return r.error

Value builtin_match(VM& vm, Args a) {
  SEARCH("re/match");
  int rc = next_match(vm, "re/match", r, 0, false);
  if (!r.ok()) return r.error;
  return rc > 0 ? match_list(vm, r) : Value::nil();
}

Value builtin_test(VM& vm, Args a) {
  SEARCH("re/match?");
  int rc = next_match(vm, "re/match?", r, 0, false);
  if (!r.ok()) return r.error;
  return Value::fixnum(rc > 0 ? 1 : 0);
}

Value builtin_named(VM& vm, Args a) {
  SEARCH("re/named");
  int rc = next_match(vm, "re/named", r, 0, false);
  if (!r.ok()) return r.error;
  if (rc <= 0) return Value::nil();
  uint32_t count, entry_size;
  PCRE2_SPTR table;
  pcre2_pattern_info(r.code, PCRE2_INFO_NAMECOUNT, &count);
  pcre2_pattern_info(r.code, PCRE2_INFO_NAMEENTRYSIZE, &entry_size);
  pcre2_pattern_info(r.code, PCRE2_INFO_NAMETABLE, &table);
  ListBuilder out(vm.heap(), true);
  auto name_at = [&](uint32_t k) { return reinterpret_cast<const char*>(table + size_t(k) * entry_size + 2); };
  auto number_at = [&](uint32_t k) { return (table[size_t(k) * entry_size] << 8) | table[size_t(k) * entry_size + 1]; };
  // The table is sorted by name; a name that (?J) gives to several groups has a run of entries,
  // and its value is the first of them that is set, as re/replace's ${name} takes.
  for (uint32_t k = 0; k < count;) {
    std::string_view name = name_at(k);
    Value value = Value::nil();
    for (; k < count && name == name_at(k); ++k) {
      if (value.is_nil()) value = group(vm, r, number_at(k));
    }
    Value pair[] = {make_string(vm.heap(), name), value};
    out.push(make_list(vm.heap(), pair, true));
  }
  return out.finish();
}

// Calls `each` for every match, left to right. Returns an Error value or undefined.
template <class F>
Value each_match(VM& vm, const char* fn, Search& r, F&& each) {
  size_t start = 0;
  bool prev_empty = false;
  for (;;) {
    int rc = next_match(vm, fn, r, start, prev_empty);
    if (!r.ok()) return r.error;
    if (rc <= 0) return Value::undefined();
    PCRE2_SIZE* ov = r.ovector();
    each();
    start = ov[1];
    prev_empty = ov[0] == ov[1];
  }
}

Value builtin_find_all(VM& vm, Args a) {
  SEARCH("re/find-all");
  ListBuilder out(vm.heap(), true);
  Value e = each_match(vm, "re/find-all", r, [&] { out.push(group(vm, r, 0)); });
  return e.is_undefined() ? out.finish() : e;
}

Value builtin_match_all(VM& vm, Args a) {
  SEARCH("re/match-all");
  ListBuilder out(vm.heap(), true);
  Value e = each_match(vm, "re/match-all", r, [&] { out.push(match_list(vm, r)); });
  return e.is_undefined() ? out.finish() : e;
}

Value builtin_split(VM& vm, Args a) {
  SEARCH("re/split");
  ListBuilder out(vm.heap(), true);
  size_t piece = 0;
  Value e = each_match(vm, "re/split", r, [&] {
    PCRE2_SIZE* ov = r.ovector();
    if (ov[0] == ov[1]) return;  // an empty match does not split
    out.push(make_string(vm.heap(), r.s.substr(piece, ov[0] - piece)));
    piece = ov[1];
  });
  if (!e.is_undefined()) return e;
  out.push(make_string(vm.heap(), r.s.substr(piece)));
  return out.finish();
}

Value builtin_replace(VM& vm, Args a) {
  SEARCH("re/replace");
  std::string_view repl;
  Value e = utf8_arg(vm, "re/replace", a, 2, repl);
  if (!e.is_undefined()) return e;
  std::string out(r.s.size() + repl.size() + 64, '\0');
  // A group that did not take part in the match inserts nothing, as in Perl and Python (without
  // UNSET_EMPTY, "(a)(b)?" with "$2" would fail on "a"); a group the pattern lacks stays an error.
  uint32_t options = PCRE2_SUBSTITUTE_GLOBAL | PCRE2_SUBSTITUTE_OVERFLOW_LENGTH |
                     PCRE2_SUBSTITUTE_UNSET_EMPTY | PCRE2_NO_UTF_CHECK;
  for (;;) {
    PCRE2_SIZE length = out.size();
    int rc = pcre2_substitute(r.code, reinterpret_cast<PCRE2_SPTR>(r.s.data()), r.s.size(), 0, options, r.md.get(),
                              t_match.context, reinterpret_cast<PCRE2_SPTR>(repl.data()), repl.size(),
                              reinterpret_cast<PCRE2_UCHAR*>(out.data()), &length);
    if (rc >= 0) return make_string(vm.heap(), std::string_view(out.data(), length));
    if (rc == PCRE2_ERROR_JIT_STACKLIMIT && !(options & PCRE2_NO_JIT)) {
      options |= PCRE2_NO_JIT;  // as next_match does: the interpreter backtracks on the heap
      continue;
    }
    if (rc == PCRE2_ERROR_NOMEMORY && length != PCRE2_UNSET) {
      out.resize(length);  // the output did not fit: PCRE2 said how much it needs
      continue;
    }
    // PCRE2 leaves `length` at PCRE2_UNSET except for an error in the replacement's syntax, where it
    // is the offset of that error; matching failures (the match limit) are reported as re/match does.
    if (length == PCRE2_UNSET) return pcre2_error(vm, "re/replace", rc);
    return pcre2_error(vm, "re/replace", rc, "bad replacement", length);
  }
}

const BuiltinInfo kRegex[] = {
    {"re/match", "pattern s",
     "The first match of the regular expression `pattern` (PCRE2 syntax) in `s`: {whole group1 group2 ...}, "
     "an unset group as {}; {} when there is no match.",
     2, 2, 0, 0, builtin_match, nullptr},
    {"re/match?", "pattern s", "1 when `pattern` matches somewhere in `s`, else 0.", 2, 2, 0, 0, builtin_test,
     nullptr},
    {"re/named", "pattern s",
     "The named groups of the first match of `pattern` in `s`: {{\"name\" value} ...} sorted by name, an unset "
     "group's value as {}; {} when there is no match.",
     2, 2, 0, 0, builtin_named, nullptr},
    {"re/find-all", "pattern s", "Every non-overlapping match of `pattern` in `s`, as Strings.", 2, 2, 0, 0,
     builtin_find_all, nullptr},
    {"re/match-all", "pattern s", "Every non-overlapping match of `pattern` in `s`, each as re/match shows it.",
     2, 2, 0, 0, builtin_match_all, nullptr},
    {"re/replace", "pattern s replacement",
     "`s` with every match of `pattern` replaced by `replacement`, where $1 or ${1} is a numbered group, "
     "${name} a named one and $$ a dollar sign; a group that did not take part inserts nothing.",
     3, 3, 0, 0, builtin_replace, nullptr},
    {"re/split", "pattern s", "The pieces of `s` between matches of `pattern` (empty matches do not split).", 2,
     2, 0, 0, builtin_split, nullptr},
};

}  // namespace

constinit const std::span<const BuiltinInfo> regex_builtins{kRegex};
size_t regex_cache_size() { return t_cache.size(); }

}  // namespace valk
