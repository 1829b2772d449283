// cli_test.cpp: the golden command-line cases of tests/cli/*.cli, each run on the real valk
// binary (from tests/cli, so paths in messages are short). A case is:
//
//   # what it checks                  comments (optional)
//   $ VAR=value valk -e "+ 1 2" -     the command: environment, then valk and its arguments
//   < a line of stdin                 (any number)
//   3                                 expected stdout, line by line
//   ! an expected line of stderr      (any number)
//   ? 0                               the exit status; ends the case
//
// Arguments are split at blanks; "double" and 'single' quotes group, and \" \\ \n \t work inside
// double quotes.
#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "../unit/repl/exec.h"

namespace valk {
namespace {

namespace fs = std::filesystem;

struct CliCase {
  std::string where;  // file:line of the "$" line
  std::vector<std::pair<std::string, std::string>> env;
  std::vector<std::string> args;
  std::string input, out, err;
  int status = 0;
};

void PrintTo(const CliCase& c, std::ostream* os) { *os << c.where; }

fs::path cli_dir() { return fs::path(VALK_SOURCE_DIR) / "tests" / "cli"; }

std::vector<std::string> split_command(const std::string& line) {
  std::vector<std::string> words;
  std::string word;
  bool in_word = false;
  for (size_t i = 0; i < line.size(); ++i) {
    char c = line[i];
    if (c == ' ' || c == '\t') {
      if (in_word) words.push_back(word);
      word.clear();
      in_word = false;
    } else if (c == '\'') {
      size_t end = line.find('\'', i + 1);
      word += line.substr(i + 1, end - i - 1);
      i = end;
      in_word = true;
    } else if (c == '"') {
      for (++i; i < line.size() && line[i] != '"'; ++i) {
        if (line[i] == '\\' && i + 1 < line.size()) {
          char e = line[++i];
          word += e == 'n' ? '\n' : e == 't' ? '\t' : e;
        } else {
          word += line[i];
        }
      }
      in_word = true;
    } else {
      word += c;
      in_word = true;
    }
  }
  if (in_word) words.push_back(word);
  return words;
}

void parse_command(CliCase& c, const std::string& line) {
  std::vector<std::string> words = split_command(line);
  size_t i = 0;
  for (; i < words.size() && words[i] != "valk"; ++i) {
    size_t eq = words[i].find('=');
    c.env.emplace_back(words[i].substr(0, eq), words[i].substr(eq + 1));
  }
  c.args.assign(words.begin() + long(std::min(i + 1, words.size())), words.end());
}

std::vector<CliCase> load_cases() {
  std::vector<CliCase> cases;
  if (!fs::exists(cli_dir())) return cases;
  std::vector<fs::path> files;
  for (const auto& e : fs::directory_iterator(cli_dir())) {
    if (e.path().extension() == ".cli") files.push_back(e.path());
  }
  std::sort(files.begin(), files.end());
  for (const fs::path& p : files) {
    std::ifstream in(p);
    std::string line;
    int n = 0;
    CliCase current;
    bool open = false;
    while (std::getline(in, line)) {
      ++n;
      if (!open) {
        if (line.rfind("$ ", 0) != 0) continue;  // comments and blank lines between cases
        current = CliCase{};
        current.where = p.filename().string() + ":" + std::to_string(n);
        parse_command(current, line.substr(2));
        open = true;
      } else if (line.rfind("< ", 0) == 0 || line == "<") {
        current.input += (line.size() > 2 ? line.substr(2) : "") + "\n";
      } else if (line.rfind("! ", 0) == 0 || line == "!") {
        current.err += (line.size() > 2 ? line.substr(2) : "") + "\n";
      } else if (line.rfind("? ", 0) == 0) {
        current.status = std::stoi(line.substr(2));
        cases.push_back(current);
        open = false;
      } else {
        current.out += line + "\n";
      }
    }
  }
  return cases;
}

class Cli : public ::testing::TestWithParam<CliCase> {};

TEST_P(Cli, Golden) {
  const CliCase& c = GetParam();
  Exec r = run_valk(c.args, c.input, c.env, std::chrono::seconds(60), cli_dir().string());
  EXPECT_FALSE(r.timed_out);
  EXPECT_EQ(r.out, c.out);
  EXPECT_EQ(r.err, c.err);
  EXPECT_EQ(r.status, c.status);
}

INSTANTIATE_TEST_SUITE_P(Cases, Cli, ::testing::ValuesIn(load_cases()),
                         [](const ::testing::TestParamInfo<CliCase>& info) {
                           std::string name;
                           for (char ch : info.param.where) name += std::isalnum(static_cast<unsigned char>(ch)) ? ch : '_';
                           return name;
                         });

TEST(CliCases, AreFound) { EXPECT_GE(load_cases().size(), 20u); }

}  // namespace
}  // namespace valk
