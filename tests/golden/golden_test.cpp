// golden_test.cpp: runs the Valk files of tests/valk/ (not suites/) and checks the expectations
// written beside their forms. Each expectation is one test case:
//
//   (+ 1 2)          ; expect: 3
//   (head {})        ; expect error: head: expected a non-empty Q-expression, got {}
//   (head 1)         ; expect error at 7:1: head: argument 1 must be a Q-expression, got Integer
//   (print "hi")     ; expect output: hi
//
// An expectation belongs to the last form that starts on or before its line. A form without an
// expectation must not raise an error. A file runs once, top to bottom, in one fresh VM (with
// VALK_GC_STRESS=1 in the environment, under collection at every safe point), from tests/valk/
// (modules.valk imports the modules of tests/valk/mods/).
#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "read/reader.h"
#include "value/print.h"
#include "vm/vm.h"

namespace valk {
namespace {

namespace fs = std::filesystem;

struct Expectation {
  std::string file;  // path relative to tests/valk
  uint32_t line;     // of the expectation comment
  std::string kind;  // "value", "error", "output"
  std::string text;
  std::string error_at;  // "L:C" for "expect error at L:C:", else ""
};

// How gtest shows an expectation in failure messages.
void PrintTo(const Expectation& e, std::ostream* os) { *os << e.file << ":" << e.line << " (" << e.kind << ")"; }

std::string trim(std::string s) {
  size_t b = s.find_first_not_of(" \t\r");
  size_t e = s.find_last_not_of(" \t\r");
  return b == std::string::npos ? "" : s.substr(b, e - b + 1);
}

std::string read_text(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

fs::path valk_dir() { return fs::path(VALK_SOURCE_DIR) / "tests" / "valk"; }

// Finds "; expect...:" comments, line by line.
std::vector<Expectation> scan_expectations(const std::string& rel, const std::string& text) {
  std::vector<Expectation> out;
  std::istringstream lines(text);
  std::string line;
  uint32_t n = 0;
  while (std::getline(lines, line)) {
    ++n;
    size_t at = line.find("; expect");
    if (at == std::string::npos) continue;
    std::string rest = line.substr(at + 8);
    Expectation e{rel, n, "", "", ""};
    if (rest.rfind(": ", 0) == 0) {
      e.kind = "value";
      e.text = trim(rest.substr(2));
    } else if (rest.rfind(" error at ", 0) == 0) {
      e.kind = "error";
      std::string r = rest.substr(10);
      size_t colon = r.find(": ");
      e.error_at = r.substr(0, colon);
      e.text = trim(r.substr(colon + 2));
    } else if (rest.rfind(" error: ", 0) == 0) {
      e.kind = "error";
      e.text = trim(rest.substr(8));
    } else if (rest.rfind(" output: ", 0) == 0) {
      e.kind = "output";
      e.text = rest.substr(9);
    } else {
      continue;
    }
    out.push_back(e);
  }
  return out;
}

std::vector<Expectation> all_expectations() {
  std::vector<Expectation> all;
  if (!fs::exists(valk_dir())) return all;
  std::vector<fs::path> files;
  for (auto& entry : fs::directory_iterator(valk_dir())) {
    if (entry.path().extension() == ".valk") files.push_back(entry.path());
  }
  std::sort(files.begin(), files.end());
  for (auto& p : files) {
    auto found = scan_expectations(p.filename().string(), read_text(p));
    all.insert(all.end(), found.begin(), found.end());
  }
  return all;
}

// What running a file produced, per form (keyed by the form's first line).
struct FormResult {
  uint32_t line;
  std::string value;   // readable value, or "" when it raised
  std::string error;   // message when it raised
  std::string error_at;
  std::string output;  // what it printed
};

struct FileRun {
  std::vector<FormResult> forms;
  std::string problem;  // the file did not read
};

bool env_flag(const char* name) {
  const char* v = std::getenv(name);
  return v && *v && std::string(v) != "0";
}

FileRun run_file(const std::string& rel) {
  FileRun run;
  std::string text = read_text(valk_dir() / rel);
  char* buffer = nullptr;
  size_t size = 0;
  FILE* out = open_memstream(&buffer, &size);
  VmConfig config;
  config.out = out;
  config.err = out;
  config.heap.stress = env_flag("VALK_GC_STRESS");
  config.heap.verify = env_flag("VALK_GC_VERIFY");
  // From tests/valk/, as `valk FILE` run there: import finds mods/ beside the file.
  fs::path cwd = fs::current_path();
  fs::current_path(valk_dir());
  {
    auto vm = std::make_unique<VM>(config);
    uint32_t file = vm->files().intern(rel);
    ReadResult r = read_forms(vm->heap(), vm->symbols(), ReadInput{text, file, 1, false});
    if (!r.ok) {
      run.problem = "does not read: " + r.error.message + " at " + vm->files().format(r.error.pos);
    } else {
      Value cell = r.forms;
      RootGuard guard(*vm, cell);
      for (; is_cons(cell); cell = cdr(cell)) {
        std::fflush(out);
        size_t before = size;
        Value v = vm->eval_toplevel(car(cell), cell_pos(cell));
        std::fflush(out);
        FormResult fr{cell_pos(cell).line(), "", "", "", std::string(buffer + before, size - before)};
        if (is_error(v)) {
          fr.error = std::string(v.as<ErrorObj>()->message.as<String>()->view());
          SrcPos p = v.as<ErrorObj>()->pos;
          if (p.known()) fr.error_at = std::to_string(p.line()) + ":" + std::to_string(p.col());
        } else {
          fr.value = readable(v);
        }
#ifndef NDEBUG
        // Debug builds check every heap invariant after each form (a collection, then the verifier).
        // The result is read first: `v` is no root, and the collection may move what it points to.
        vm->collect_garbage(false);
        std::string heap_problem = vm->heap().verify(*vm);
        if (!heap_problem.empty()) fr.error = "heap verification failed: " + heap_problem;
#endif
        run.forms.push_back(fr);
      }
    }
  }
  fs::current_path(cwd);
  std::fclose(out);
  std::free(buffer);
  return run;
}

const FileRun& file_run(const std::string& rel) {
  static std::map<std::string, FileRun> runs;
  auto it = runs.find(rel);
  if (it == runs.end()) it = runs.emplace(rel, run_file(rel)).first;
  return it->second;
}

// The form an expectation on `line` belongs to: the last one starting on or before it.
const FormResult* form_for(const FileRun& run, uint32_t line) {
  const FormResult* found = nullptr;
  for (const auto& f : run.forms) {
    if (f.line <= line) found = &f;
  }
  return found;
}

class Golden : public testing::TestWithParam<Expectation> {};

TEST_P(Golden, Holds) {
  const Expectation& e = GetParam();
  const FileRun& run = file_run(e.file);
  ASSERT_TRUE(run.problem.empty()) << e.file << " " << run.problem;
  const FormResult* f = form_for(run, e.line);
  ASSERT_NE(f, nullptr) << e.file << ":" << e.line << ": no form before this expectation";
  std::string where = e.file + ":" + std::to_string(e.line);
  if (e.kind == "value") {
    EXPECT_EQ(f->error, "") << where << ": raised instead of giving a value";
    EXPECT_EQ(f->value, e.text) << where;
  } else if (e.kind == "error") {
    EXPECT_EQ(f->error, e.text) << where << " (value was " << f->value << ")";
    if (!e.error_at.empty()) {
      EXPECT_EQ(f->error_at, e.error_at) << where << ": error position";
    }
  } else {
    EXPECT_NE(f->output.find(e.text), std::string::npos) << where << ": output was\n" << f->output;
  }
}

// Forms without an expectation must not raise.
TEST(GoldenFiles, FormsWithoutExpectationsDoNotRaise) {
  for (auto& entry : fs::directory_iterator(valk_dir())) {
    if (entry.path().extension() != ".valk") continue;
    std::string rel = entry.path().filename().string();
    auto expectations = scan_expectations(rel, read_text(entry.path()));
    const FileRun& run = file_run(rel);
    ASSERT_TRUE(run.problem.empty()) << rel << " " << run.problem;
    for (size_t i = 0; i < run.forms.size(); ++i) {
      const auto& f = run.forms[i];
      if (f.error.empty()) continue;
      uint32_t next = i + 1 < run.forms.size() ? run.forms[i + 1].line : UINT32_MAX;
      bool expected = false;
      for (const auto& e : expectations) expected = expected || (e.line >= f.line && e.line < next);
      EXPECT_TRUE(expected) << rel << ":" << f.line << ": unexpected error: " << f.error;
    }
  }
}

std::string name_of(const testing::TestParamInfo<Expectation>& info) {
  std::string n = info.param.file.substr(0, info.param.file.size() - 5) + "_L" + std::to_string(info.param.line);
  for (char& c : n) {
    if (!isalnum(static_cast<unsigned char>(c))) c = '_';
  }
  return n;
}

INSTANTIATE_TEST_SUITE_P(Valk, Golden, testing::ValuesIn(all_expectations()), name_of);

}  // namespace
}  // namespace valk
