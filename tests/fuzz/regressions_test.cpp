// regressions_test.cpp: replays every input a fuzzer crashed on (tests/fuzz/regressions/<target>/,
// one file each, named after what it was), and format's and unmarshal's seed corpora, through the fuzzers' own code.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "fuzz/targets.h"

namespace valk {
namespace {

namespace fs = std::filesystem;

std::vector<std::string> inputs(const char* target, const char* kind = "regressions") {
  std::vector<std::string> texts;
  fs::path dir = fs::path(VALK_SOURCE_DIR) / "tests" / "fuzz" / kind / target;
  if (!fs::exists(dir)) return texts;
  for (const auto& e : fs::directory_iterator(dir)) {
    if (e.path().filename() == "README") continue;
    std::ifstream in(e.path(), std::ios::binary);
    std::ostringstream s;
    s << in.rdbuf();
    texts.push_back(s.str());
  }
  return texts;
}

const uint8_t* bytes(const std::string& s) { return reinterpret_cast<const uint8_t*>(s.data()); }

TEST(FuzzRegressions, ReaderInputs) {
  auto texts = inputs("reader");
  EXPECT_FALSE(texts.empty());
  for (const std::string& t : texts) fuzz::read_one(bytes(t), t.size());
}

TEST(FuzzRegressions, EvalInputs) {
  auto texts = inputs("eval");
  EXPECT_FALSE(texts.empty());
  for (const std::string& t : texts) fuzz::eval_one(bytes(t), t.size());
}

// str/format's target keeps no crash yet: its seed corpus is replayed with whatever it keeps.
TEST(FuzzRegressions, FormatInputs) {
  auto texts = inputs("format", "corpus");
  EXPECT_GE(texts.size(), 4u);
  for (const std::string& t : inputs("format")) texts.push_back(t);
  for (const std::string& t : texts) fuzz::format_one(bytes(t), t.size());
}

// json's target keeps no crash yet: the JSONTestSuite-style files it is seeded with are replayed.
TEST(FuzzRegressions, JsonInputs) {
  std::vector<std::string> texts;
  for (const auto& e : fs::directory_iterator(fs::path(VALK_SOURCE_DIR) / "tests" / "json")) {
    if (e.path().extension() != ".json") continue;
    std::ifstream in(e.path(), std::ios::binary);
    std::ostringstream s;
    s << in.rdbuf();
    texts.push_back(s.str());
  }
  EXPECT_GE(texts.size(), 70u);
  for (const std::string& t : inputs("json")) texts.push_back(t);
  for (const std::string& t : texts) fuzz::json_one(bytes(t), t.size());
}

// unmarshal's seed corpus is marshal's own output for every tag; kept crashes would join it.
TEST(FuzzRegressions, UnmarshalInputs) {
  auto texts = inputs("unmarshal", "corpus");
  EXPECT_GE(texts.size(), 10u);
  for (const std::string& t : inputs("unmarshal")) texts.push_back(t);
  for (const std::string& t : texts) {
    fuzz::unmarshal_one(bytes(t), t.size());
    for (size_t n = 0; n < t.size(); ++n) fuzz::unmarshal_one(bytes(t), n);  // and every truncation
  }
}

}  // namespace
}  // namespace valk
