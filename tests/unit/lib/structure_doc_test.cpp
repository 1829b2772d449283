// structure_doc_test.cpp: the examples of docs/STRUCTURE.md (the page of lib/error.cpp and
// lib/introspect.cpp) run in one VM, top to bottom, each at its own line of the page: a line
// `form ; => value` must give that value, `; => error: msg` must raise msg, a bare form must not raise.
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>
#include <string>

#include "../vm/harness.h"

namespace valk {
namespace {

using test::Harness;

std::string trim(const std::string& s) {
  size_t b = s.find_first_not_of(" \t");
  size_t e = s.find_last_not_of(" \t");
  return b == std::string::npos ? "" : s.substr(b, e - b + 1);
}

TEST(StructureDoc, ExamplesGiveWhatThePageSays) {
  std::ifstream in(std::string(VALK_SOURCE_DIR) + "/docs/STRUCTURE.md");
  ASSERT_TRUE(in) << "docs/STRUCTURE.md not found";
  Harness h;
  std::string line;
  bool in_block = false;
  int number = 0, checked = 0;
  while (std::getline(in, line)) {
    ++number;
    if (line.starts_with("```")) {
      in_block = line == "```valk";
      continue;
    }
    if (!in_block || trim(line).empty()) continue;
    size_t arrow = line.find("; =>");
    std::string code = trim(line.substr(0, arrow));
    std::string expected = arrow == std::string::npos ? "" : trim(line.substr(arrow + 4));
    // At its own line, so positions in errors and traces are the page's.
    Value v = h.run(std::string(size_t(number - 1), '\n') + code, "STRUCTURE.md");
    std::string where = "STRUCTURE.md:" + std::to_string(number) + ": " + code;
    if (expected.starts_with("error: ")) {
      EXPECT_TRUE(is_error(v)) << where;
      EXPECT_EQ(h.show(v), "Error: " + expected.substr(7)) << where;
    } else if (!expected.empty()) {
      EXPECT_FALSE(is_error(v)) << where << "\n  raised: " << h.show(v);
      EXPECT_EQ(h.show(v), expected) << where;
    } else {
      EXPECT_FALSE(is_error(v)) << where << "\n  raised: " << h.show(v);
    }
    ++checked;
  }
  EXPECT_GE(checked, 20);  // the page's examples were found
}

}  // namespace
}  // namespace valk
