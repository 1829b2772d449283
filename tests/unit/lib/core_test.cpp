// core_test.cpp: the builtins of lib/core.cpp: def, =, \, if, eval, error, load (files, the
// embedded aliases, errors while loading) and sys/catch.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "../vm/harness.h"

namespace valk {
namespace {

using test::Harness;
namespace fs = std::filesystem;

// A file in the temporary directory, removed at the end of the test.
class TempFile {
 public:
  explicit TempFile(const std::string& text) {
    static int counter = 0;
    path_ = fs::temp_directory_path() /
            ("valk_core_test_" + std::to_string(getpid()) + "_" + std::to_string(counter++) + ".valk");
    std::ofstream(path_, std::ios::binary) << text;
  }
  ~TempFile() { fs::remove(path_); }
  std::string path() const { return path_.string(); }
  // (load "PATH")
  std::string load() const { return "(load \"" + path() + "\")"; }

 private:
  fs::path path_;
};

// ---- def and = ---------------------------------------------------------------------------

TEST(CoreDef, BindsGloballyAndReturnsTheEmptyExpression) {
  Harness h;
  EXPECT_EQ(h.eval("(def {a b c} 1 \"two\" {3})"), "()");
  EXPECT_EQ(h.eval("(list a b c)"), "{1 \"two\" {3}}");
  EXPECT_EQ(h.eval("(def {} )"), "()");
  EXPECT_EQ(h.eval("(fun {setg} {def {from-fn} 9}) (setg) from-fn"), "9");
}

TEST(CoreDef, NamesAFunctionAfterItsFirstDefinition) {
  Harness h;
  EXPECT_EQ(h.eval("(def {first-name} (\\ {x} {head x})) (def {second-name} first-name)"), "()");
  auto e = h.error("(second-name 1)");
  ASSERT_FALSE(e.trace.empty());
  EXPECT_EQ(e.trace[0].rfind("first-name ", 0), 0u) << e.trace[0];
}

TEST(CoreDef, Errors) {
  Harness h;
  EXPECT_EQ(h.message("(def {a b} 1)"), "def: the number of names (2) does not match the number of values (1)");
  EXPECT_EQ(h.message("(def {a} 1 2)"), "def: the number of names (1) does not match the number of values (2)");
  EXPECT_EQ(h.message("(def 1 2)"), "def: argument 1 must be a Q-expression of names, got Integer");
  EXPECT_EQ(h.message("(def (list 1) 2)"), "def: names must be symbols, got Integer");
  EXPECT_EQ(h.message("(def {\"s\"} 2)"), "def: names must be symbols, got String");
  // (def) alone is def itself: no argument at all only comes from C++.
  EXPECT_EQ(h.eval("(def)"), "<builtin def>");
  EXPECT_EQ(h.show(h.vm().call(h.vm().sym("def")->global, {})),
            "Error: def: Fewer arguments were given than required. Actual: 0, Expected: 1");
}

TEST(CoreAssign, BindsInTheCurrentFrame) {
  Harness h;
  EXPECT_EQ(h.eval("(fun {f1 k} {do (= {a b} k (* k 2)) (list a b)}) (f1 3)"), "{3 6}");
  EXPECT_EQ(h.eval("a"), "Error: LEnv: Symbol `a` is not bound");
  EXPECT_EQ(h.eval("(= {a} 5) a"), "5");  // at top level: the global frame
  EXPECT_EQ(h.message("(= {a b} 1)"), "=: the number of names (2) does not match the number of values (1)");
  EXPECT_EQ(h.message("(= 1 1)"), "=: argument 1 must be a Q-expression of names, got Integer");
  EXPECT_EQ(h.message("(= {1} 1)"), "=: names must be symbols, got Integer");
}

// ---- \ -------------------------------------------------------------------------------

TEST(CoreLambda, MakesFunctions) {
  Harness h;
  EXPECT_EQ(h.eval("(\\ {x y} {+ x y})"), "<lambda {x y}>");
  EXPECT_EQ(h.eval("((\\ {x y} {+ x y}) 2 3)"), "5");
  EXPECT_EQ(h.eval("(\\ {} {1})"), "<lambda {}>");
  EXPECT_EQ(h.eval("(\\ {x & rest} {rest})"), "<lambda {x & rest}>");
  // Built from computed values.
  EXPECT_EQ(h.eval("((\\ (tail {x a b}) (tail {x + a b})) 1 2)"), "3");
}

TEST(CoreLambda, Errors) {
  Harness h;
  EXPECT_EQ(h.message("(\\ 1 {x})"), "\\: parameters must be a Q-expression, got Integer");
  EXPECT_EQ(h.message("(\\ {x} 1)"), "\\: argument 2 must be a Q-expression, got Integer");
  EXPECT_EQ(h.message("(\\ {1} {x})"), "\\: cannot use Integer as a parameter");
  EXPECT_EQ(h.message("(\\ {x &} {x})"), "Function format invalid. Symbol '&' not followed by single symbol.");
  EXPECT_EQ(h.message("(\\ {x})"), "\\: Fewer arguments were given than required. Actual: 1, Expected: 2");
  EXPECT_EQ(h.message("(\\ {x} {x} {y})"), "\\: More arguments were given than required. Actual: 3, Expected: 2");
}

// ---- if ------------------------------------------------------------------------------

TEST(CoreIf, PicksABranch) {
  Harness h;
  EXPECT_EQ(h.eval("(if 1 {10} {20})"), "10");
  EXPECT_EQ(h.eval("(if 0 {10} {20})"), "20");
  EXPECT_EQ(h.eval("(if -3 {10} {20})"), "10");
  EXPECT_EQ(h.eval("(if 1 {} {20})"), "()");
  EXPECT_EQ(h.eval("(if 1 {+ 1 2} {20})"), "3");
  EXPECT_EQ(h.eval("(if 0 {10} {print \"else\"})"), "()");
  EXPECT_EQ(h.out(), "else\n");
  // Called as a value, not inlined.
  EXPECT_EQ(h.eval("((\\ {my-if} {list (my-if 1 {1} {2}) (my-if 0 {1} {2})}) if)"), "{1 2}");
  EXPECT_EQ(h.eval("(unpack if {0 {1} {(+ 1 1)}})"), "2");
}

TEST(CoreIf, Errors) {
  Harness h;
  EXPECT_EQ(h.message("(if \"x\" {1} {2})"), "if: condition must be an Integer, got String");
  EXPECT_EQ(h.message("(if 1 2 3)"), "if: argument 2 must be a Q-expression, got Integer");
  EXPECT_EQ(h.message("(if 1 {1} 3)"), "if: argument 3 must be a Q-expression, got Integer");
  EXPECT_EQ(h.message("(if 0 {1} 3)"), "if: argument 3 must be a Q-expression, got Integer");
  EXPECT_EQ(h.message("((\\ {my-if} {my-if {} {1} {2}}) if)"), "if: condition must be an Integer, got Q-expression");
  EXPECT_EQ(h.message("(if 1 {1})"), "if: Fewer arguments were given than required. Actual: 2, Expected: 3");
}

// ---- eval ----------------------------------------------------------------------------

TEST(CoreEval, RunsAQExpressionAsCode) {
  Harness h;
  EXPECT_EQ(h.eval("(eval {+ 1 2})"), "3");
  EXPECT_EQ(h.eval("(eval {(+ 1 2)})"), "3");
  EXPECT_EQ(h.eval("(eval (list + 1 2))"), "3");
  EXPECT_EQ(h.eval("(eval {})"), "()");
  EXPECT_EQ(h.eval("(eval {1 2})"), "2");
  EXPECT_EQ(h.eval("(eval {{1 2}})"), "{1 2}");
  EXPECT_EQ(h.eval("(eval (head {(* 2 3)}))"), "6");
  EXPECT_EQ(h.eval("(def {v} 4) (eval {v})"), "4");
  EXPECT_EQ(h.eval("(eval {def {made} 1}) made"), "1");
}

TEST(CoreEval, OtherValuesAreReturnedAsTheyAre) {
  Harness h;
  EXPECT_EQ(h.eval("(eval 5)"), "5");
  EXPECT_EQ(h.eval("(eval \"s\")"), "\"s\"");
  EXPECT_EQ(h.eval("(eval head)"), "<builtin head>");
}

TEST(CoreEval, RunsInTheCallersFrame) {
  Harness h;
  EXPECT_EQ(h.eval("(fun {ev k} {eval {+ k 1}}) (ev 4)"), "5");
  EXPECT_EQ(h.eval("(fun {ev2 k} {do (eval {= {j} (* k 2)}) j}) (ev2 4)"), "8");
  EXPECT_EQ(h.eval("j"), "Error: LEnv: Symbol `j` is not bound");
}

TEST(CoreEval, Errors) {
  Harness h;
  EXPECT_EQ(h.message("(eval {unbound-thing})"), "LEnv: Symbol `unbound-thing` is not bound");
  EXPECT_EQ(h.message("(eval {head 1})"), "head: argument 1 must be a Q-expression, got Integer");
  EXPECT_EQ(h.show(h.vm().call(h.vm().sym("eval")->global, {})),
            "Error: eval: Fewer arguments were given than required. Actual: 0, Expected: 1");
}

// ---- error -----------------------------------------------------------------------------

TEST(CoreError, RaisesItsMessageAsIs) {
  Harness h;
  auto e = h.error("\n  (error \"boom %s %d\")");
  EXPECT_EQ(e.message, "boom %s %d");
  EXPECT_EQ(e.where, "test.valk:2:3");
  EXPECT_EQ(h.message("(error \"\")"), "");
  EXPECT_EQ(h.message("(error 5)"), "error: argument 1 must be a String, got Integer");
  EXPECT_EQ(h.message("(error {a})"), "error: argument 1 must be a String, got Q-expression");
}

// ---- load --------------------------------------------------------------------------------

TEST(CoreLoad, RunsTheFormsOfAFile) {
  TempFile f("(def {loaded-a} 1)\n(def {loaded-b} (+ loaded-a 1))\n(print \"loading\")\n");
  Harness h;
  EXPECT_EQ(h.eval(f.load()), "()");
  EXPECT_EQ(h.eval("(list loaded-a loaded-b)"), "{1 2}");
  EXPECT_EQ(h.out(), "loading\n");
  EXPECT_EQ(h.err(), "");
}

TEST(CoreLoad, AnErrorInAFormIsPrintedAndLoadingGoesOn) {
  TempFile f("(def {before} 1)\n(+ 1 \"x\")\n(def {after} 2)\n(nothing-here)\n(def {last-one} 3)\n");
  Harness h;
  EXPECT_EQ(h.eval(f.load()), "()");
  EXPECT_EQ(h.eval("(list before after last-one)"), "{1 2 3}");
  std::string err = h.err();
  EXPECT_NE(err.find(f.path() + ":2:1: +: argument 2 must be an Integer, got String"), std::string::npos) << err;
  EXPECT_NE(err.find(f.path() + ":4:2: LEnv: Symbol `nothing-here` is not bound"), std::string::npos) << err;
}

TEST(CoreLoad, AMissingFileIsAnError) {
  Harness h;
  auto e = h.error("(load \"/nonexistent/dir/x.valk\")");
  EXPECT_EQ(e.message, "load: cannot open /nonexistent/dir/x.valk: No such file or directory");
  EXPECT_EQ(e.where, "test.valk:1:1");
  EXPECT_EQ(h.message("(load 5)"), "load: argument 1 must be a String, got Integer");
}

TEST(CoreLoad, AFileThatDoesNotReadIsAnError) {
  TempFile f("(def {never} 1)\n(+ 1\n");
  Harness h;
  auto e = h.error(f.load());
  EXPECT_EQ(e.message, "unclosed '('");
  EXPECT_EQ(e.where, f.path() + ":2:1");
  EXPECT_EQ(h.eval("never"), "Error: LEnv: Symbol `never` is not bound");
}

TEST(CoreLoad, LoadsNestedFiles) {
  TempFile inner("(def {inner-value} 41)\n");
  TempFile outer("(load \"" + inner.path() + "\")\n(def {outer-value} (+ inner-value 1))\n");
  Harness h;
  EXPECT_EQ(h.eval(outer.load() + " outer-value"), "42");
}

TEST(CoreLoad, TheEmbeddedPreludeAndTestModuleAliases) {
  Harness h;
  EXPECT_EQ(h.eval("(load \"src/prelude.valk\")"), "()");
  EXPECT_EQ(h.eval("(map (\\ {x} {+ x 1}) {1 2})"), "{2 3}");
  EXPECT_EQ(h.eval("(load \"src/modules/test.valk\")"), "()");
  EXPECT_EQ(h.eval("(list *test-passed* *test-failed* (len *test-registry*))"), "{0 0 0}");
  EXPECT_EQ(h.eval("(test/assert-eq 3 (+ 1 2) \"sum\")"), "1");
  EXPECT_EQ(h.err(), "");
}

TEST(CoreLoad, TheAliasesLoadIntoAVmWithoutPrelude) {
  VmConfig config;
  config.load_prelude = false;
  Harness h(config);
  EXPECT_EQ(h.eval("nil"), "Error: LEnv: Symbol `nil` is not bound");
  EXPECT_EQ(h.eval("(load \"src/prelude.valk\")"), "()");
  EXPECT_EQ(h.eval("(list nil (fst {7}) (sum {1 2 3}))"), "{{} 7 6}");
}

TEST(CoreLoad, InterruptErrorsAreNotSwallowed) {
  TempFile f("(def {spin} (\\ {k} {spin (+ k 1)}))\n(spin 0)\n(def {unreached} 1)\n");
  Harness h;
  h.vm().interrupt();  // stops the run at its first safe point
  EXPECT_EQ(h.eval(f.load()), "Error: interrupted");
  EXPECT_EQ(h.eval("(+ 1 1)"), "2");
}

// ---- sys/catch -----------------------------------------------------------------------------

TEST(CoreCatch, ReturnsOneAndTheValueOrZeroAndTheMessage) {
  Harness h;
  EXPECT_EQ(h.eval("(sys/catch {+ 1 2})"), "{1 3}");
  EXPECT_EQ(h.eval("(sys/catch {error \"no\"})"), "{0 \"no\"}");
  EXPECT_EQ(h.eval("(sys/catch {(+ 1 (head {}))})"), "{0 \"head: expected a non-empty Q-expression, got {}\"}");
  EXPECT_EQ(h.eval("(sys/catch 5)"), "{1 5}");
  EXPECT_EQ(h.eval("(sys/catch {})"), "{1 ()}");
  EXPECT_EQ(h.eval("(sys/catch {nope})"), "{0 \"LEnv: Symbol `nope` is not bound\"}");
}

TEST(CoreCatch, CatchesErrorsFromDeepCallsAndRunsInTheCallersFrame) {
  Harness h;
  EXPECT_EQ(h.eval("(fun {deep k} {if (== k 0) {error \"bottom\"} {+ 1 (deep (- k 1))}}) (sys/catch {deep 50})"),
            "{0 \"bottom\"}");
  EXPECT_EQ(h.eval("(fun {guarded k} {sys/catch {* k 2}}) (guarded 21)"), "{1 42}");
  EXPECT_EQ(h.eval("(sys/catch {sys/catch {error \"inner\"}})"), "{1 {0 \"inner\"}}");
  EXPECT_EQ(h.vm().frame_count(), 0u);
}

TEST(CoreCatch, Errors) {
  Harness h;
  EXPECT_EQ(h.show(h.vm().call(h.vm().sym("sys/catch")->global, {})),
            "Error: sys/catch: Fewer arguments were given than required. Actual: 0, Expected: 1");
  EXPECT_EQ(h.message("(sys/catch {1} {2})"), "sys/catch: More arguments were given than required. Actual: 2, Expected: 1");
}

}  // namespace
}  // namespace valk
