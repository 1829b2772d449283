// system_test.cpp: the builtins of lib/system.cpp: time-us, exit and shutdown, penv, await, doc,
// disasm, and the test module's helpers sys/readable and sys/join-strings.
#include <gtest/gtest.h>

#include <string>

#include "../vm/harness.h"
#include "compile/proto.h"
#include "lib/builtin.h"

namespace valk {
namespace {

using test::Harness;

TEST(SystemTime, IsMonotonicMicroseconds) {
  Harness h;
  EXPECT_EQ(h.eval("(def {t0} (time-us)) (def {t1} (time-us {})) (list (> t0 0) (>= t1 t0))"), "{1 1}");
  EXPECT_EQ(h.eval("(do (= {start} (time-us)) (repeat (\\ {i} {i}) 1000) (>= (- (time-us) start) 0))"), "1");
  EXPECT_EQ(h.message("(time-us 1 2)"), "time-us: More arguments were given than required. Actual: 2, Expected: 0");
}

TEST(SystemExitDeathTest, EndsTheProcessWithTheStatus) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_EXIT(
      {
        Harness h;
        h.run("(exit 3)");
      },
      ::testing::ExitedWithCode(3), "");
  EXPECT_EXIT(
      {
        Harness h;
        h.run("(exit)");
      },
      ::testing::ExitedWithCode(0), "");
  EXPECT_EXIT(
      {
        Harness h;
        h.run("(shutdown 1)");
      },
      ::testing::ExitedWithCode(1), "");
}

TEST(SystemExit, Errors) {
  Harness h;
  EXPECT_EQ(h.message("(exit \"x\")"), "exit: argument 1 must be an Integer, got String");
  EXPECT_EQ(h.message("(shutdown {})"), "shutdown: argument 1 must be an Integer, got Q-expression");
  EXPECT_EQ(h.message("(exit 1 2)"), "exit: More arguments were given than required. Actual: 2, Expected: 1");
}

TEST(SystemPenv, PrintsEveryGlobalBinding) {
  Harness h;
  EXPECT_EQ(h.eval("(def {my-global} {1 \"x\"}) (penv)"), "()");
  std::string out = h.out();
  EXPECT_NE(out.find("\nmy-global {1 \"x\"}\n"), std::string::npos);
  EXPECT_NE(out.find("\nhead <builtin head>\n"), std::string::npos);
  EXPECT_NE(out.find("\nmap <lambda {f l}>\n"), std::string::npos);
  EXPECT_EQ(out.rfind("if <builtin if>\n", 0), 0u);
}

TEST(SystemAwait, OnlyFuturesAreAwaited) {
  Harness h;
  EXPECT_EQ(h.message("(await 1)"), "await: argument 1 must be a Future, got Integer");
}

// The prelude's comments are its functions' documentation: every function it defines has one.
TEST(SystemDoc, EveryPreludeFunctionIsDocumented) {
  Harness h;
  int checked = 0;
  for (Symbol* s : h.vm().symbols().all()) {
    Value f = s->global;
    if (!is_closure(f) || !(f.as<Closure>()->proto.as<Proto>()->pflags & protoflag::kBuiltinCode)) continue;
    Value doc = function_doc(h.vm(), f);
    ASSERT_TRUE(is_string(doc)) << s->name();
    EXPECT_FALSE(doc.as<String>()->view().ends_with("A lambda.")) << s->name() << " has no documentation";
    ++checked;
  }
  EXPECT_GE(checked, 30);  // the prelude's functions (and names bound to them, as curry)
}

TEST(SystemDoc, DocumentsBuiltinsAndLambdas) {
  Harness h;
  EXPECT_EQ(h.eval("(doc head)"),
            "\"(head l)\\nA Q-expression holding the first element of l: (head {1 2 3}) is {1}.\"");
  EXPECT_EQ(h.eval("(doc (\\ {x y} {x}))"), "\"(lambda {x y})\\nA lambda.\"");
  EXPECT_EQ(h.eval("(fun {foo a} {a}) (doc foo)"), "\"(foo {a})\\nA lambda.\"");
  EXPECT_EQ(h.eval("(doc ((\\ {a b} {a}) 1))"), "\"(lambda {a b})\\nA lambda.\"");
  EXPECT_EQ(h.eval("(doc time-us)"), "\"(time-us)\\nMicroseconds on a monotonic clock (for measuring durations).\"");
  EXPECT_EQ(h.message("(doc 1)"), "doc: argument 1 must be a Function, got Integer");
}

TEST(SystemDisasm, PrintsTheBytecodeOfALambda) {
  Harness h;
  EXPECT_EQ(h.eval("(disasm (\\ {x} {+ x 1}))"), "()");
  std::string out = h.out();
  EXPECT_EQ(out.rfind("lambda {x} (1 params", 0), 0u) << out;
  EXPECT_NE(out.find("LOCAL"), std::string::npos);
  EXPECT_NE(out.find("ADD"), std::string::npos);
  EXPECT_NE(out.find("RET"), std::string::npos);
  EXPECT_EQ(h.eval("(disasm ((\\ {a b} {a}) 1))"), "()");
  EXPECT_NE(h.out().find("RET"), std::string::npos);
  EXPECT_EQ(h.message("(disasm +)"), "disasm: argument 1 must be a lambda, got Function");
  EXPECT_EQ(h.message("(disasm 5)"), "disasm: argument 1 must be a lambda, got Integer");
}

TEST(SystemHelpers, ReadableAndJoinStrings) {
  Harness h;
  EXPECT_EQ(h.eval("(sys/readable \"a\")"), "\"\\\"a\\\"\"");
  EXPECT_EQ(h.eval("(sys/readable {1 (+ 2)})"), "\"{1 (+ 2)}\"");
  EXPECT_EQ(h.eval("(sys/join-strings \"a\" \"b\" \"\" \"c\")"), "\"abc\"");
  EXPECT_EQ(h.show(h.vm().call(h.vm().sym("sys/join-strings")->global, {})), "\"\"");
  EXPECT_EQ(h.message("(sys/join-strings \"a\" 1)"), "sys/join-strings: argument 2 must be a String, got Integer");
}

}  // namespace
}  // namespace valk
