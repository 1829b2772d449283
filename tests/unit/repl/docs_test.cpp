// docs_test.cpp: the REPL sessions written in the README and docs/ (lines `valkyria> entry`
// followed by what it prints) replayed through the REPL, so that the documentation cannot drift
// from what valk does. Each session (a block of consecutive lines) runs in its own REPL, so its
// lines count from 1 as the page says; the sessions of one page share a VM, top to bottom.
// An entry shown with no output must not raise; printed lines must match exactly; an "Error: ..."
// line and the lines indented under it must appear, in order, in what the REPL writes to stderr.
#include <gtest/gtest.h>

#include <fstream>
#include <string>
#include <vector>

#include "../vm/harness.h"
#include "repl/repl.h"

namespace valk {
namespace {

using test::Harness;

constexpr std::string_view kPrompt = "valkyria> ";

struct Entry {
  int page_line;
  std::string text;
  std::vector<std::string> out, err;  // expected
};

// The page's sessions: runs of lines that open with a prompt (after an optional 4-space indent).
std::vector<std::vector<Entry>> sessions_of(const std::string& path) {
  std::ifstream in(path);
  std::vector<std::vector<Entry>> sessions;
  std::string line;
  bool open = false;
  for (int number = 1; std::getline(in, line); ++number) {
    std::string body = line.starts_with("    ") ? line.substr(4) : line;
    if (body.starts_with(kPrompt)) {
      if (!open) sessions.emplace_back();
      open = true;
      sessions.back().push_back(Entry{number, body.substr(kPrompt.size()), {}, {}});
      continue;
    }
    if (!open || body.empty() || body.starts_with("```") || line.find_first_not_of(' ') == std::string::npos) {
      open = false;
      continue;
    }
    Entry& e = sessions.back().back();
    bool error_part = body.starts_with("Error: ") || (!e.err.empty() && body.starts_with("  "));
    (error_part ? e.err : e.out).push_back(body);
  }
  return sessions;
}

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  for (size_t at = 0; at < text.size();) {
    size_t nl = text.find('\n', at);
    if (nl == std::string::npos) nl = text.size();
    lines.push_back(text.substr(at, nl - at));
    at = nl + 1;
  }
  return lines;
}

// True when `want` appears in `got` in order (other lines, such as the source excerpt, between).
bool in_order(const std::vector<std::string>& want, const std::vector<std::string>& got) {
  size_t i = 0;
  for (const std::string& g : got) {
    if (i < want.size() && g == want[i]) ++i;
  }
  return i == want.size();
}

void replay_page(const std::string& page, int at_least) {
  auto sessions = sessions_of(std::string(VALK_SOURCE_DIR) + "/" + page);
  Harness h;
  int checked = 0;
  for (const auto& session : sessions) {
    Repl repl(h.vm(), false);
    uint32_t line = 1;
    for (const Entry& e : session) {
      repl.evaluate(e.text, line++);
      std::string where = page + ":" + std::to_string(e.page_line) + ": " + e.text;
      std::vector<std::string> out = lines_of(h.out()), err = lines_of(h.err());
      if (!e.out.empty()) {
        EXPECT_EQ(out, e.out) << where;
      }
      if (e.err.empty()) {
        EXPECT_TRUE(err.empty()) << where << "\n  raised: " << (err.empty() ? "" : err[0]);
      } else {
        EXPECT_TRUE(in_order(e.err, err)) << where << "\n  wrote: " << testing::PrintToString(err);
      }
      ++checked;
    }
  }
  EXPECT_GE(checked, at_least) << page << ": the sessions were not found";
}

TEST(DocSessions, Readme) { replay_page("README.md", 25); }
TEST(DocSessions, Concurrency) { replay_page("docs/CONCURRENCY.md", 3); }
TEST(DocSessions, Marshal) { replay_page("docs/MARSHAL.md", 5); }

}  // namespace
}  // namespace valk
