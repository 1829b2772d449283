// options_test.cpp: parse_options (repl/options.cpp): every command-line flag, the VALK_*
// environment variables, sizes with suffixes, and what is rejected.
#include "repl/options.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <initializer_list>
#include <optional>
#include <string>
#include <vector>

namespace valk {
namespace {

const char* const kEnvNames[] = {"VALK_HEAP_LIMIT", "VALK_NURSERY", "VALK_GC_STRESS", "VALK_GC_VERIFY"};

// Clears the VALK_* variables for the test and restores them afterwards.
class OptionsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    for (const char* name : kEnvNames) {
      const char* v = std::getenv(name);
      saved_.push_back(v ? std::optional<std::string>(v) : std::nullopt);
      unsetenv(name);
    }
  }
  std::string complaint;

  void TearDown() override {
    for (size_t i = 0; i < saved_.size(); ++i) {
      if (saved_[i]) setenv(kEnvNames[i], saved_[i]->c_str(), 1);
      else unsetenv(kEnvNames[i]);
    }
  }

  // parse_options on "valk" followed by `args`; what it wrote to stderr goes to `complaint`.
  std::optional<Options> parse(std::initializer_list<const char*> args) {
    std::vector<std::string> storage{"valk"};
    for (const char* a : args) storage.emplace_back(a);
    std::vector<char*> argv;
    for (auto& s : storage) argv.push_back(s.data());
    argv.push_back(nullptr);
    ::testing::internal::CaptureStderr();
    auto o = parse_options(int(storage.size()), argv.data());
    complaint = ::testing::internal::GetCapturedStderr();
    return o;
  }
  // The heap limit `text` parses to, through --heap-limit, or nothing when rejected.
  std::optional<size_t> heap_limit(const char* text) {
    auto o = parse({"--heap-limit", text});
    if (!o) return std::nullopt;
    return o->vm.heap.heap_limit;
  }

 private:
  std::vector<std::optional<std::string>> saved_;
};

TEST_F(OptionsTest, DefaultsWithoutArguments) {
  auto o = parse({});
  ASSERT_TRUE(o);
  EXPECT_EQ(o->mode, Options::Mode::kAuto);
  EXPECT_TRUE(o->steps.empty());
  EXPECT_TRUE(o->args.empty());
  EXPECT_FALSE(o->disasm);
  EXPECT_EQ(o->vm.heap.heap_limit, limits::kDefaultHeapLimitBytes);
  EXPECT_EQ(o->vm.heap.nursery_bytes, limits::kDefaultNurseryBytes);
  EXPECT_FALSE(o->vm.heap.stress);
  EXPECT_FALSE(o->vm.heap.verify);
  EXPECT_TRUE(o->vm.load_prelude);
}

// The steps of a command line, as "e:EXPR", "f:PATH" and "-" (stdin).
std::vector<std::string> steps_of(const Options& o) {
  std::vector<std::string> out;
  for (const Step& s : o.steps) {
    switch (s.kind) {
      case Step::Kind::kExpression: out.push_back("e:" + s.text); break;
      case Step::Kind::kFile: out.push_back("f:" + s.text); break;
      case Step::Kind::kStdin: out.push_back("-"); break;
    }
  }
  return out;
}

TEST_F(OptionsTest, TheFileIsTheProgramAndWhatFollowsItsArguments) {
  auto o = parse({"a.valk", "b.valk", "-e", "--heap-limit=1"});
  ASSERT_TRUE(o);
  EXPECT_EQ(o->mode, Options::Mode::kRun);
  EXPECT_EQ(steps_of(*o), (std::vector<std::string>{"f:a.valk"}));
  EXPECT_EQ(o->args, (std::vector<std::string>{"b.valk", "-e", "--heap-limit=1"}));
  EXPECT_EQ(o->vm.heap.heap_limit, limits::kDefaultHeapLimitBytes);
}

TEST_F(OptionsTest, Expression) {
  auto o = parse({"-e", "+ 1 2"});
  ASSERT_TRUE(o);
  EXPECT_EQ(o->mode, Options::Mode::kRun);
  EXPECT_EQ(steps_of(*o), (std::vector<std::string>{"e:+ 1 2"}));
  EXPECT_FALSE(parse({"-e"}));
  EXPECT_EQ(complaint.rfind("valk: -e needs a value\n", 0), 0u) << complaint;
}

TEST_F(OptionsTest, ExpressionsKeepTheirOrderBeforeTheProgram) {
  auto o = parse({"-e", "1", "--eval", "2", "--eval=(+ 1 2)", "-", "b.valk", "-e", "x=y"});
  ASSERT_TRUE(o);
  EXPECT_EQ(steps_of(*o), (std::vector<std::string>{"e:1", "e:2", "e:(+ 1 2)", "-"}));
  EXPECT_EQ(o->args, (std::vector<std::string>{"b.valk", "-e", "x=y"}));
}

TEST_F(OptionsTest, ArgumentsAfterDoubleDashGoToTheProgram) {
  auto o = parse({"prog.valk", "--", "-e", "x", "--bogus", "--"});
  ASSERT_TRUE(o);
  EXPECT_EQ(steps_of(*o), (std::vector<std::string>{"f:prog.valk"}));
  EXPECT_EQ(o->args, (std::vector<std::string>{"-e", "x", "--bogus", "--"}));
  o = parse({"-e", "(sys/args)", "--", "--repl", "a.valk"});
  ASSERT_TRUE(o);
  EXPECT_EQ(o->mode, Options::Mode::kRun);
  EXPECT_EQ(steps_of(*o), (std::vector<std::string>{"e:(sys/args)"}));
  EXPECT_EQ(o->args, (std::vector<std::string>{"--repl", "a.valk"}));
}

TEST_F(OptionsTest, ValuesAfterAnEqualsSign) {
  auto o = parse({"--heap-limit=64m", "--nursery=128k", "--gc-stress=yes", "--gc-verify=false"});
  ASSERT_TRUE(o);
  EXPECT_EQ(o->vm.heap.heap_limit, size_t(64) << 20);
  EXPECT_EQ(o->vm.heap.nursery_bytes, size_t(128) << 10);
  EXPECT_TRUE(o->vm.heap.stress);
  EXPECT_FALSE(o->vm.heap.verify);
  EXPECT_FALSE(parse({"--gc-stress=maybe"}));
  EXPECT_EQ(complaint.rfind("valk: --gc-stress: not a boolean: 'maybe' (use 1, 0, true, false, yes or no)\n", 0), 0u)
      << complaint;
  EXPECT_FALSE(parse({"--repl=1"}));
  EXPECT_EQ(complaint.rfind("valk: --repl takes no value\n", 0), 0u) << complaint;
  EXPECT_FALSE(parse({"--heap-limit="}));
}

TEST_F(OptionsTest, Disasm) {
  auto o = parse({"--disasm", "prog.valk", "other.valk"});
  ASSERT_TRUE(o);
  EXPECT_TRUE(o->disasm);
  EXPECT_EQ(steps_of(*o), (std::vector<std::string>{"f:prog.valk"}));
  EXPECT_EQ(o->args, (std::vector<std::string>{"other.valk"}));
  EXPECT_FALSE(parse({"--disasm"}));
}

TEST_F(OptionsTest, ReplAfterTheSteps) {
  auto o = parse({"--repl", "prog.valk"});
  ASSERT_TRUE(o);
  EXPECT_EQ(o->mode, Options::Mode::kRepl);
  EXPECT_EQ(steps_of(*o), (std::vector<std::string>{"f:prog.valk"}));
}

TEST_F(OptionsTest, BooleanWords) {
  for (const char* yes : {"1", "true", "yes", "TRUE", "Yes"}) EXPECT_EQ(parse_bool(yes), true) << yes;
  for (const char* no : {"0", "false", "no", "False", "NO"}) EXPECT_EQ(parse_bool(no), false) << no;
  for (const char* bad : {"", "2", "on", "off", "y", "n", "truee", " 1"}) EXPECT_FALSE(parse_bool(bad)) << bad;
}

TEST_F(OptionsTest, ReplHelpVersion) {
  EXPECT_EQ(parse({"--repl"})->mode, Options::Mode::kRepl);
  EXPECT_EQ(parse({"--help"})->mode, Options::Mode::kHelp);
  EXPECT_EQ(parse({"-h"})->mode, Options::Mode::kHelp);
  EXPECT_EQ(parse({"--version"})->mode, Options::Mode::kVersion);
  EXPECT_NE(std::string(kUsage).find("--heap-limit"), std::string::npos);
  EXPECT_EQ(std::string(kVersion).rfind("valk ", 0), 0u);
}

TEST_F(OptionsTest, GcFlags) {
  auto o = parse({"--gc-stress", "--gc-verify"});
  ASSERT_TRUE(o);
  EXPECT_TRUE(o->vm.heap.stress);
  EXPECT_TRUE(o->vm.heap.verify);
  EXPECT_EQ(o->mode, Options::Mode::kAuto);
}

TEST_F(OptionsTest, UnknownOptionsAreRejected) {
  EXPECT_FALSE(parse({"--bogus"}));
  EXPECT_EQ(complaint.rfind("valk: unknown option --bogus\nusage: valk", 0), 0u) << complaint;
  EXPECT_FALSE(parse({"-x", "file.valk"}));
}

TEST_F(OptionsTest, SizesWithSuffixes) {
  EXPECT_EQ(heap_limit("1048576"), size_t(1048576));
  EXPECT_EQ(heap_limit("0"), size_t(0));
  EXPECT_EQ(heap_limit("512k"), size_t(512) << 10);
  EXPECT_EQ(heap_limit("512K"), size_t(512) << 10);
  EXPECT_EQ(heap_limit("64m"), size_t(64) << 20);
  EXPECT_EQ(heap_limit("64M"), size_t(64) << 20);
  EXPECT_EQ(heap_limit("2g"), size_t(2) << 30);
  EXPECT_EQ(heap_limit("2G"), size_t(2) << 30);
  auto o = parse({"--nursery", "256k"});
  ASSERT_TRUE(o);
  EXPECT_EQ(o->vm.heap.nursery_bytes, size_t(256) << 10);
}

TEST_F(OptionsTest, MalformedSizesAreRejected) {
  for (const char* bad : {"", "m", "abc", "64mb", "1.5m", "64 m", "k64", "64t", "0x10"}) {
    EXPECT_FALSE(heap_limit(bad)) << "'" << bad << "'";
  }
  EXPECT_FALSE(parse({"--heap-limit"}));
  EXPECT_FALSE(parse({"--nursery"}));
  EXPECT_FALSE(parse({"--nursery", "lots"}));
  EXPECT_EQ(complaint, "valk: --nursery: not a size: 'lots' (examples: 1048576, 512k, 64m, 2g)\n");
}

TEST_F(OptionsTest, NegativeSizesAreRejected) {
  // strtoull accepts a sign and wraps: "-5" must not become 2^64 - 5.
  EXPECT_FALSE(heap_limit("-5"));
  EXPECT_FALSE(heap_limit("-1m"));
}

TEST_F(OptionsTest, SizesThatOverflowAreRejected) {
  // 2^64 bytes and more do not fit a size: they must not wrap to a small limit.
  EXPECT_FALSE(heap_limit("18446744073709551616"));
  EXPECT_FALSE(heap_limit("20000000000g"));
  EXPECT_FALSE(heap_limit("99999999999999999999999g"));
}

TEST_F(OptionsTest, EnvironmentVariables) {
  setenv("VALK_HEAP_LIMIT", "64m", 1);
  setenv("VALK_NURSERY", "512k", 1);
  setenv("VALK_GC_STRESS", "1", 1);
  setenv("VALK_GC_VERIFY", "yes", 1);
  auto o = parse({});
  ASSERT_TRUE(o);
  EXPECT_EQ(o->vm.heap.heap_limit, size_t(64) << 20);
  EXPECT_EQ(o->vm.heap.nursery_bytes, size_t(512) << 10);
  EXPECT_TRUE(o->vm.heap.stress);
  EXPECT_TRUE(o->vm.heap.verify);
}

TEST_F(OptionsTest, FlagVariablesOffWhenZeroOrEmpty) {
  setenv("VALK_GC_STRESS", "0", 1);
  setenv("VALK_GC_VERIFY", "", 1);
  auto o = parse({});
  ASSERT_TRUE(o);
  EXPECT_FALSE(o->vm.heap.stress);
  EXPECT_FALSE(o->vm.heap.verify);
  setenv("VALK_GC_STRESS", "false", 1);
  setenv("VALK_GC_VERIFY", "no", 1);
  o = parse({});
  ASSERT_TRUE(o);
  EXPECT_FALSE(o->vm.heap.stress);
  EXPECT_FALSE(o->vm.heap.verify);
}

TEST_F(OptionsTest, FlagVariablesRejectOtherWords) {
  setenv("VALK_GC_STRESS", "sometimes", 1);
  EXPECT_FALSE(parse({}));
  EXPECT_EQ(complaint, "valk: VALK_GC_STRESS: not a boolean: 'sometimes' (use 1, 0, true, false, yes or no)\n");
}

TEST_F(OptionsTest, MalformedEnvironmentSizesAreRejected) {
  setenv("VALK_HEAP_LIMIT", "64x", 1);
  EXPECT_FALSE(parse({}));
  EXPECT_EQ(complaint, "valk: VALK_HEAP_LIMIT: not a size: '64x' (examples: 1048576, 512k, 64m, 2g)\n");
  unsetenv("VALK_HEAP_LIMIT");
  setenv("VALK_NURSERY", "", 1);
  EXPECT_FALSE(parse({}));
}

TEST_F(OptionsTest, TheCommandLineWinsOverTheEnvironment) {
  setenv("VALK_HEAP_LIMIT", "1m", 1);
  setenv("VALK_NURSERY", "128k", 1);
  auto o = parse({"--heap-limit", "2m", "--nursery", "256k"});
  ASSERT_TRUE(o);
  EXPECT_EQ(o->vm.heap.heap_limit, size_t(2) << 20);
  EXPECT_EQ(o->vm.heap.nursery_bytes, size_t(256) << 10);
}

}  // namespace
}  // namespace valk
