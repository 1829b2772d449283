// repl_test.cpp: the REPL (repl/repl.cpp) fed from a string instead of a terminal: one entry per
// line or until brackets balance, values and "Error: ..." printed, nothing typed ends it but EOF.
#include "repl/repl.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <string>

#include "../vm/harness.h"
#include "aio/loop.h"

namespace valk {
namespace {

using test::Harness;

// Runs a non-interactive REPL over `input` (as stdin) in the harness's VM.
struct ReplRun {
  int status;
  std::string out;
  std::string err;
};

ReplRun run_repl(Harness& h, std::string input) {
  std::FILE* in = input.empty() ? std::fopen("/dev/null", "r") : fmemopen(input.data(), input.size(), "r");
  int status = Repl(h.vm(), false, in).run();
  std::fclose(in);
  return ReplRun{status, h.out(), h.err()};
}

TEST(Repl, PrintsOneValuePerEntry) {
  Harness h;
  auto r = run_repl(h, "+ 1 2\n(+ 1 2)\nlist 1 2\n\"hi\"\n");
  EXPECT_EQ(r.status, 0);
  EXPECT_EQ(r.out, "3\n3\n{1 2}\n\"hi\"\n");
  EXPECT_EQ(r.err, "");
}

TEST(Repl, ALineIsOneSExpression) {
  Harness h;
  auto r = run_repl(h, "def {x} 5\nx\n* x x\nhead\n(fun {th} {42})\nth\n(th)\n");
  EXPECT_EQ(r.out, "()\n5\n25\n<builtin head>\n()\n<lambda {}>\n42\n");
}

TEST(Repl, EmptyLinesAndCommentsPrintNothing) {
  Harness h;
  auto r = run_repl(h, "\n   \n; a comment\n1\n");
  EXPECT_EQ(r.out, "1\n");
  EXPECT_EQ(r.err, "");
}

TEST(Repl, ALastLineWithoutANewlineIsRead) {
  Harness h;
  auto r = run_repl(h, "+ 1 2\n\n\n(+ 3 4)");
  EXPECT_EQ(r.out, "3\n7\n");
  EXPECT_EQ(run_repl(h, "").out, "");  // no input: nothing read, nothing printed
}

TEST(Repl, ErrorsArePrintedAndTheReplGoesOn) {
  Harness h;
  auto r = run_repl(h, "head {}\n+ 1 2\nundefined-thing\n(fun {bad k} {head k})\nbad 1\n4\n");
  EXPECT_EQ(r.status, 0);
  EXPECT_EQ(r.out, "3\n()\n4\n");
  EXPECT_EQ(r.err,
            "Error: head: expected a non-empty Q-expression, got {}\n  1 | head {}\n    | ^\n  at <repl>:1:1\n"
            "Error: LEnv: Symbol `undefined-thing` is not bound\n  3 | undefined-thing\n    | ^\n  at <repl>:3:1\n"
            // placed in an earlier entry, whose text the REPL no longer has: no excerpt
            "Error: head: argument 1 must be a Q-expression, got Integer\n  at <repl>:4:15\n"
            "  in bad (<repl>:4:15)\n");
}

TEST(Repl, MultiLineEntriesUntilBracketsBalance) {
  Harness h;
  auto r = run_repl(h, "(+ 1\n2\n3)\n(list \"a\n b\")\n{1\n{2}\n}\n");
  EXPECT_EQ(r.out, "6\n{\"a\\n b\"}\n{1 {2}}\n");
  EXPECT_EQ(r.err, "");
}

TEST(Repl, LinesAreCountedAcrossEntries) {
  Harness h;
  auto r = run_repl(h, "(+ 1\n2)\n\n(head\n  5)\n");
  EXPECT_EQ(r.out, "3\n");
  EXPECT_EQ(r.err, "Error: head: argument 1 must be a Q-expression, got Integer\n  4 | (head\n    | ^\n  at <repl>:4:1\n");
}

TEST(Repl, GarbageDoesNotStopIt) {
  Harness h;
  auto r = run_repl(h, ")))\n}\n+ 1 2\n\"bad \\q escape\"\n(1 2\n");
  EXPECT_EQ(r.status, 0);
  EXPECT_EQ(r.out, "3\n");
  EXPECT_NE(r.err.find("Error: unexpected ')'\n  1 | )))\n    | ^\n  at <repl>:1:1"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("at <repl>:2:1"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("at <repl>:4:"), std::string::npos) << r.err;
  // An entry still open at the end of input is reported, not dropped silently.
  EXPECT_NE(r.err.find("unclosed '('"), std::string::npos) << r.err;
}

TEST(Repl, AnUnterminatedStringRunsToTheEnd) {
  Harness h;
  auto r = run_repl(h, "1\n\"unterminated\nmore\n");
  EXPECT_EQ(r.status, 0);
  EXPECT_EQ(r.out, "1\n");
  EXPECT_EQ(r.err, "Error: unterminated string\n  2 | \"unterminated\n    | ^\n  at <repl>:2:1\n");
}

TEST(Repl, DeepNestingAndHugeLinesAreHandled) {
  Harness h;
  std::string deep(100000, '(');
  std::string wide;
  for (int i = 0; i < 500000; ++i) wide += "1 ";
  auto r = run_repl(h, deep + "\n" + wide + "\n+ 1 2\n");
  EXPECT_EQ(r.status, 0);
  EXPECT_EQ(r.out, "1\n3\n");
  EXPECT_NE(r.err.find("lists nested deeper than 1000 levels"), std::string::npos) << r.err.substr(0, 200);
}

TEST(Repl, StackOverflowIsAnErrorAndTheReplGoesOn) {
  Harness h;
  auto r = run_repl(h, "(fun {runaway k} {+ 1 (runaway k)})\nrunaway 0\n+ 2 2\n");
  EXPECT_EQ(r.out, "()\n4\n");
  EXPECT_EQ(r.err.rfind("Error: stack overflow: more than 1000000 nested calls\n", 0), 0u) << r.err.substr(0, 200);
}

TEST(Repl, EvaluateTakesOneEntry) {
  Harness h;
  Repl repl(h.vm(), false);
  repl.evaluate("+ 40 2", 1);
  repl.evaluate("", 2);
  repl.evaluate("(", 3);
  EXPECT_EQ(h.out(), "42\n");
  EXPECT_EQ(h.err(), "Error: unclosed '('\n  3 | (\n    | ^\n  at <repl>:3:1\n");
}

TEST(Repl, AStaleInterruptIsNotForTheNextEntry) {
  Harness h;
  h.vm().interrupt();  // as Ctrl-C typed at the prompt
  auto r = run_repl(h, "(fun {count k} {if (== k 0) {0} {count (- k 1)}})\ncount 1000\n");
  EXPECT_EQ(r.out, "()\n0\n");
  EXPECT_EQ(r.err, "");
}

TEST(Repl, AnEntryCanAwaitAndBackgroundFibersRunBetweenEntries) {
  Harness h;
  auto r = run_repl(h, "await (aio/sleep 5)\n"
                       "def {f} (aio/spawn (\\ {} {do (await (aio/sleep 1)) 7}))\n"
                       "await f\n"
                       "await (aio/promise)\n");
  EXPECT_EQ(r.out, "()\n()\n7\n");
  EXPECT_EQ(r.err,
            "Error: await: the future can never be settled: no fiber, timer or handle is left to settle it\n"
            "  4 | await (aio/promise)\n    | ^\n  at <repl>:4:1\n  in await\n");
  EXPECT_EQ(h.vm().loop().close(), 0);
}

TEST(ReplFormat, ErrorForTheUserSkipsTheTopLevelLine) {
  Harness h;
  Value e = h.run("(fun {inner x} {head x})\n(+ 1 (inner 5))", "prog.valk");
  ASSERT_TRUE(is_error(e));
  EXPECT_EQ(format_error_for_user(h.vm(), e),
            "Error: head: argument 1 must be a Q-expression, got Integer\n"
            "  at prog.valk:1:17\n"
            "  in inner (prog.valk:1:17)");
  Value plain = h.vm().error("no position");
  EXPECT_EQ(format_error_for_user(h.vm(), plain), "Error: no position");
}

}  // namespace
}  // namespace valk
