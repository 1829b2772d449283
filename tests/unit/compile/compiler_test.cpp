// compiler_test.cpp: the compiler (compiler.cpp): the code small forms compile to (locals, free
// names, captured names, inlined if/operators/\, tail calls), the proto cache, check_formals, nesting.
#include "compile/compiler.h"

#include <gtest/gtest.h>

#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/lsan_interface.h>
#endif

#include <algorithm>
#include <cstdlib>
#include <string>
#include <vector>

#include "compile/disasm.h"
#include "compile/opcodes.h"
#include "compile/proto.h"
#include "config/limits.h"
#include "read/reader.h"
#include "value/make.h"
#include "value/print.h"
#include "vm/vm.h"

namespace valk {
namespace {

VmConfig config_with_prelude(bool prelude) {
  VmConfig config;
  config.load_prelude = prelude;
  return config;
}

// Names of the instructions of a prototype, in order.
std::vector<std::string> ops(const Proto* p) {
  std::vector<std::string> names;
  for (uint32_t pc = 0; pc < p->ncode; pc += uint32_t(instruction_words(op_of(p->code[pc])))) {
    names.push_back(kOpInfo[int(op_of(p->code[pc]))].name);
  }
  return names;
}

using Ops = std::vector<std::string>;

const Proto* proto_of(Value closure) { return closure.as<Closure>()->proto.as<Proto>(); }

// The prototypes a prototype creates (its CLOSURE constants), in order.
std::vector<const Proto*> inner_protos(const Proto* p) {
  std::vector<const Proto*> out;
  for (uint32_t i = 0; i < p->nconsts; ++i) {
    if (is_obj(p->consts[i], ObjType::kProto)) out.push_back(p->consts[i].as<Proto>());
  }
  return out;
}

class CompilerTest : public ::testing::Test {
 protected:
  explicit CompilerTest(bool prelude = false) : vm(config_with_prelude(prelude)) {}
  VM vm;

  // Evaluates `text` (a lambda form) and returns the closure it makes.
  Value lambda(std::string_view text) {
    Value v = vm.run_source(text, "compiler_test.valk");
    EXPECT_TRUE(is_closure(v)) << (is_error(v) ? vm.describe_error(v) : readable(v));
    return v;
  }
  Ops lambda_ops(std::string_view text) {
    Value f = lambda(text);
    return is_closure(f) ? ops(proto_of(f)) : Ops{};
  }
  std::string disasm(std::string_view text) {
    Value f = lambda(text);
    return is_closure(f) ? disassemble(proto_of(f), vm.files()) : "";
  }
  // The forms of `text`, read (not evaluated).
  Value read(std::string_view text) {
    ReadResult r =
        read_forms(vm.heap(), vm.symbols(), ReadInput{text, vm.files().intern("read.valk"), 1, false});
    EXPECT_TRUE(r.ok) << r.error.message;
    return r.forms;
  }
  std::string message(Value error) {
    return is_error(error) ? std::string(error.as<ErrorObj>()->message.as<String>()->view())
                           : "<not an error>";
  }
};

class CompilerWithPreludeTest : public CompilerTest {
 protected:
  CompilerWithPreludeTest() : CompilerTest(true) {}
};

// ---- names -------------------------------------------------------------------------------------

// (+ a 1) is one fused instruction; its unfused stub (LOCAL INT ADD, then back) follows the code.
TEST_F(CompilerTest, ParameterIsALocalAndPlusIsInlined) {
  EXPECT_EQ(lambda_ops("(\\ {a} {+ a 1})"), (Ops{"ADD_LK", "RET", "LOCAL", "INT", "ADD", "JMP"}));
  // + and * commute: a constant first is swapped behind the parameter; the stub keeps the
  // written order (its errors name the operands as written). - does not commute.
  EXPECT_EQ(lambda_ops("(\\ {a} {+ 1 a})"), (Ops{"ADD_LK", "RET", "INT", "LOCAL", "ADD", "JMP"}));
  EXPECT_EQ(lambda_ops("(\\ {a} {* 2 a})"), (Ops{"MUL_LK", "RET", "INT", "LOCAL", "MUL", "JMP"}));
  EXPECT_EQ(lambda_ops("(\\ {a} {- 1 a})"), (Ops{"INT", "LOCAL", "SUB", "RET"}));
  EXPECT_NE(disasm("(\\ {a} {* 2 a})").find("MUL_LK    0 (a), 2"), std::string::npos);
  std::string text = disasm("(\\ {a} {+ a 1})");
  EXPECT_NE(text.find("ADD_LK    0 (a), 1  [stub 3]"), std::string::npos) << text;
  EXPECT_NE(text.find("LOCAL     0 (a)"), std::string::npos) << text;
  EXPECT_NE(text.find("ADD"), std::string::npos) << text;
  EXPECT_EQ(text.find("NAME"), std::string::npos) << text;
}

// A literal `=` name of the frame is a fused operand as a parameter is: read as SLOT reads it
// (its stub reads it with SLOT, whose lookup finds it while it is unbound); / and % fuse too.
// == and != do not fuse over it: an unbound slot would compare, not go to the stub.
TEST_F(CompilerTest, EqSlotsAreFusedOperands) {
  EXPECT_EQ(lambda_ops("(\\ {a} {do (= {s} a) (/ s 2)})")[3], "DIV_LK");
  EXPECT_EQ(lambda_ops("(\\ {a} {do (= {s} a) (% a s)})")[3], "MOD_LL");
  std::string text = disasm("(\\ {a} {do (= {s} a) (- s a)})");
  EXPECT_NE(text.find("SUB_LL    1 (s), 0 (a)"), std::string::npos) << text;
  EXPECT_NE(text.find("SLOT      1 (s)"), std::string::npos) << text;  // in the stub
  Ops lt = lambda_ops("(\\ {a} {do (= {s} a) (if (< s 3) {1} {2})})");
  EXPECT_NE(std::find(lt.begin(), lt.end(), "IFLT_LK"), lt.end());
  Ops eq = lambda_ops("(\\ {a} {do (= {s} a) (if (== s 3) {1} {2})})");
  EXPECT_EQ(std::find(eq.begin(), eq.end(), "IFEQ_LK"), eq.end());
  EXPECT_NE(std::find(eq.begin(), eq.end(), "SLOT"), eq.end());
}

// + - * / with three or more operands are one n-ary instruction whose operand is their number;
// with one operand, + * / stay calls and - is NEG.
TEST_F(CompilerTest, ArithmeticOfManyOperandsIsOneInstruction) {
  EXPECT_EQ(lambda_ops("(\\ {a b c} {+ a b c})"), (Ops{"LOCAL", "LOCAL", "LOCAL", "ADDN", "RET"}));
  EXPECT_EQ(lambda_ops("(\\ {a} {- a 1 2 3})"), (Ops{"LOCAL", "INT", "INT", "INT", "SUBN", "RET"}));
  EXPECT_EQ(lambda_ops("(\\ {a} {* a a a})"), (Ops{"LOCAL", "LOCAL", "LOCAL", "MULN", "RET"}));
  EXPECT_EQ(lambda_ops("(\\ {a} {/ a 1 2 3 4 5})")[6], "DIVN");
  EXPECT_EQ(lambda_ops("(\\ {a} {- a})"), (Ops{"LOCAL", "NEG", "RET"}));
  EXPECT_NE(disasm("(\\ {a} {* a 2 3 4})").find("MULN      4"), std::string::npos) << disasm("(\\ {a} {* a 2 3 4})");
}

// A fused instruction holds its constant in 16 bits: every int16 is fused, the next ones are not
// (they go in an ADD_K, which holds 23 bits).
TEST_F(CompilerTest, ConstantsOfTheWholeInt16RangeAreFused) {
  EXPECT_EQ(lambda_ops("(\\ {a} {+ a 32767})")[0], "ADD_LK");
  EXPECT_EQ(lambda_ops("(\\ {a} {+ a -32768})")[0], "ADD_LK");
  EXPECT_EQ(lambda_ops("(\\ {a} {+ a 32768})"), (Ops{"LOCAL", "ADD_K", "RET"}));
  EXPECT_EQ(lambda_ops("(\\ {a} {+ a -32769})"), (Ops{"LOCAL", "ADD_K", "RET"}));
}

// An operator over a computed operand and a small integer holds the integer (ADD_K ... GE_K), in
// 23 bits; + and * also with the integer first, the others only with it second.
TEST_F(CompilerTest, SmallIntegerOperandsAreHeldByTheInstruction) {
  EXPECT_EQ(lambda_ops("(\\ {n} {- (g n) 1})"), (Ops{"NAME", "LOCAL", "CALL", "SUB_K", "RET"}));
  EXPECT_EQ(lambda_ops("(\\ {n} {* 2 (g n)})"), (Ops{"NAME", "LOCAL", "CALL", "MUL_K", "RET"}));
  EXPECT_EQ(lambda_ops("(\\ {n} {/ (g n) 7})"), (Ops{"NAME", "LOCAL", "CALL", "DIV_K", "RET"}));
  EXPECT_EQ(lambda_ops("(\\ {n} {% (g n) 4})"), (Ops{"NAME", "LOCAL", "CALL", "MOD_K", "RET"}));
  EXPECT_EQ(lambda_ops("(\\ {a b} {% a b})"), (Ops{"MOD_LL", "RET", "LOCAL", "LOCAL", "MOD", "JMP"}));
  EXPECT_EQ(lambda_ops("(\\ {a} {% 7 a})"), (Ops{"INT", "LOCAL", "MOD", "RET"}));
  EXPECT_EQ(lambda_ops("(\\ {n} {- 1 (g n)})"), (Ops{"INT", "NAME", "LOCAL", "CALL", "SUB", "RET"}));
  // == and != too, with the integer first or second; before a branch they also branch
  EXPECT_EQ(lambda_ops("(\\ {n} {== (g n) 0})"), (Ops{"NAME", "LOCAL", "CALL", "EQ_K", "RET"}));
  EXPECT_EQ(lambda_ops("(\\ {n} {!= 7 (g n)})"), (Ops{"NAME", "LOCAL", "CALL", "NE_K", "RET"}));
  EXPECT_NE(disasm("(\\ {n} {!= 7 (g n)})").find("NE_K      7 (written first)"), std::string::npos);
  EXPECT_EQ(lambda_ops("(\\ {n} {if (== (g n) 0) {1} {2}})")[3], "BREQ_K");
  EXPECT_EQ(lambda_ops("(\\ {n} {/ 1 (g n)})"), (Ops{"INT", "NAME", "LOCAL", "CALL", "DIV", "RET"}));
  for (const char* op : {"<", ">", "<=", ">="}) {
    std::string o = op;
    std::string k_op = o == "<" ? "LT_K" : o == ">" ? "GT_K" : o == "<=" ? "LE_K" : "GE_K";
    EXPECT_EQ(lambda_ops("(\\ {n} {" + o + " (g n) -3})"), (Ops{"NAME", "LOCAL", "CALL", k_op, "RET"}));
    EXPECT_EQ(lambda_ops("(\\ {n} {" + o + " 3 (g n)})")[4], o == "<" ? "LT" : o == ">" ? "GT" : o == "<=" ? "LE" : "GE");
  }
  EXPECT_EQ(lambda_ops("(\\ {n} {+ (g n) 4194303})")[3], "ADD_K");
  EXPECT_EQ(lambda_ops("(\\ {n} {+ (g n) -4194304})")[3], "ADD_K");
  EXPECT_EQ(lambda_ops("(\\ {n} {+ (g n) 4194304})"), (Ops{"NAME", "LOCAL", "CALL", "INT", "ADD", "RET"}));
  EXPECT_EQ(lambda_ops("(\\ {n} {+ (g n) -4194305})"), (Ops{"NAME", "LOCAL", "CALL", "INT", "ADD", "RET"}));
  EXPECT_EQ(lambda_ops("(\\ {n} {+ (g n) 1.5})"), (Ops{"NAME", "LOCAL", "CALL", "CONST", "ADD", "RET"}));
  EXPECT_NE(disasm("(\\ {n} {+ 5 (g n)})").find("ADD_K     5 (written first)"), std::string::npos);
  EXPECT_NE(disasm("(\\ {n} {+ (g n) -5})").find("ADD_K     -5 "), std::string::npos);
}

// A comparison whose value the branch right after it takes becomes the comparison that also
// branches (BRLT ... BRNE), the branch kept after it; anything else before a branch stays.
TEST_F(CompilerTest, AComparisonBeforeABranchBranchesItself) {
  const char* ops[][2] = {{"<", "BRLT"}, {">", "BRGT"}, {"<=", "BRLE"}, {">=", "BRGE"}, {"==", "BREQ"}, {"!=", "BRNE"}};
  for (auto [op, branching] : ops) {
    std::string o = op;
    EXPECT_EQ(lambda_ops("(\\ {n} {if (" + o + " (g n) m) {1} {2}})"),
              (Ops{"NAME", "LOCAL", "CALL", "NAME", branching, "IF", "INT", "RET", "INT", "RET", "RET"}))
        << o;
  }
  // The integer-operand comparisons keep their integer; a value that is no comparison stays.
  EXPECT_EQ(lambda_ops("(\\ {n} {if (< (g n) 1) {1} {2}})"),
            (Ops{"NAME", "LOCAL", "CALL", "BRLT_K", "IF", "INT", "RET", "INT", "RET", "RET"}));
  EXPECT_NE(disasm("(\\ {n} {if (>= (g n) -7) {1} {2}})").find("BRGE_K    -7"), std::string::npos);
  EXPECT_EQ(lambda_ops("(\\ {n} {if (+ (g n) m) {1} {2}})"),
            (Ops{"NAME", "LOCAL", "CALL", "NAME", "ADD", "IF", "INT", "RET", "INT", "RET", "RET"}));
}

TEST_F(CompilerTest, SecondParameterUsesItsSlot) {
  std::string text = disasm("(\\ {a b} {- b a})");
  EXPECT_NE(text.find("LOCAL     1 (b)"), std::string::npos) << text;
  EXPECT_NE(text.find("SUB"), std::string::npos) << text;
}

TEST_F(CompilerTest, FreeNameIsLookedUpByName) {
  EXPECT_EQ(lambda_ops("(\\ {a} {+ a zz})"), (Ops{"LOCAL", "NAME", "ADD", "RET"}));
  EXPECT_NE(disasm("(\\ {a} {+ a zz})").find("NAME      zz"), std::string::npos);
}

TEST_F(CompilerTest, CapturedVariableIsAnUpvalue) {
  Value outer = lambda("(\\ {c} {\\ {x} {+ x c}})");
  ASSERT_TRUE(is_closure(outer));
  const Proto* p = proto_of(outer);
  EXPECT_EQ(ops(p), (Ops{"CLOSURE", "RET"}));
  EXPECT_TRUE(p->pflags & protoflag::kMakesClosures);
  auto inner = inner_protos(p);
  ASSERT_EQ(inner.size(), 1u);
  EXPECT_EQ(ops(inner[0]), (Ops{"LOCAL", "UPVAL", "ADD", "RET"}));
  EXPECT_FALSE(inner[0]->pflags & protoflag::kMakesClosures);
  std::string text = disassemble(p, vm.files());
  EXPECT_NE(text.find("UPVAL     depth 0 slot 0 (c)"), std::string::npos) << text;
}

TEST_F(CompilerTest, UpvalueTwoFramesOut) {
  Value f = lambda("(\\ {a} {\\ {b} {\\ {c} {+ a c}}})");
  ASSERT_TRUE(is_closure(f));
  auto middle = inner_protos(proto_of(f));
  ASSERT_EQ(middle.size(), 1u);
  auto innermost = inner_protos(middle[0]);
  ASSERT_EQ(innermost.size(), 1u);
  EXPECT_EQ(ops(innermost[0]), (Ops{"UPVAL", "LOCAL", "ADD", "RET"}));
  EXPECT_NE(disassemble(innermost[0], vm.files()).find("depth 1 slot 0 (a)"), std::string::npos);
}

TEST_F(CompilerTest, ParameterShadowsAnInlinedBuiltin) {
  // + is a parameter here: the call is not inlined.
  EXPECT_EQ(lambda_ops("(\\ {+} {+ 1 2})"), (Ops{"LOCAL", "INT", "INT", "TAILCALL", "RET"}));
}

TEST_F(CompilerTest, RebindingABuiltinStopsInlining) {
  Value original = vm.sym("+")->global;
  Value r = vm.run_source("(def {+} -)", "compiler_test.valk");
  ASSERT_FALSE(is_error(r)) << vm.describe_error(r);
  EXPECT_EQ(lambda_ops("(\\ {a} {+ a 1})"), (Ops{"NAME", "LOCAL", "INT", "TAILCALL", "RET"}));
  // Put + back: the VM frees builtins through the symbols holding them (see the death tests below).
  vm.define_global(vm.sym("+"), original);
  EXPECT_EQ(lambda_ops("(\\ {a} {+ a 1})"), (Ops{"ADD_LK", "RET", "LOCAL", "INT", "ADD", "JMP"}));
}

// Rebinding a builtin's name must not make the VM free a builtin twice, nor leak the one
// replaced (AddressSanitizer and LeakSanitizer see either). Run in a child process.
[[gnu::noinline]] bool run_in_fresh_vm(const char* text, Value expected) {
  VM vm(config_with_prelude(false));
  return vm.run_source(text, "rebind.valk") == expected;
}

bool no_leaks() {
#if defined(__SANITIZE_ADDRESS__)
  return __lsan_do_recoverable_leak_check() == 0;
#else
  return true;
#endif
}

TEST(CompilerDeathTest, VmWithABuiltinBoundToTwoNamesIsDestroyedCleanly) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_EXIT(
      {
        bool ok = run_in_fresh_vm("(def {+} -) (+ 5 1)", Value::fixnum(4)) && no_leaks();
        std::exit(ok ? 0 : 1);
      },
      ::testing::ExitedWithCode(0), "");
}

TEST(CompilerDeathTest, VmWithABuiltinReboundToAValueIsDestroyedCleanly) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_EXIT(
      {
        bool ok = run_in_fresh_vm("(def {cons} 1) cons", Value::fixnum(1)) && no_leaks();
        std::exit(ok ? 0 : 1);
      },
      ::testing::ExitedWithCode(0), "");
}

// ---- calls -------------------------------------------------------------------------------------

TEST_F(CompilerTest, CallInTailPositionIsATailCall) {
  EXPECT_EQ(lambda_ops("(\\ {n} {g n})"), (Ops{"NAME", "LOCAL", "TAILCALL", "RET"}));
}

TEST_F(CompilerTest, CallNotInTailPositionIsACall) {
  EXPECT_EQ(lambda_ops("(\\ {n} {+ 1 (g n)})"), (Ops{"NAME", "LOCAL", "CALL", "ADD_K", "RET"}));
}

TEST_F(CompilerTest, CallOperandIsTheArgumentCount) {
  Value f = lambda("(\\ {} {g 1 2 3})");
  ASSERT_TRUE(is_closure(f));
  const Proto* p = proto_of(f);
  ASSERT_EQ(ops(p), (Ops{"NAME", "INT", "INT", "INT", "TAILCALL", "RET"}));
  EXPECT_EQ(operand(p->code[4]), 3u);
  EXPECT_NE(disassemble(p, vm.files()).find("TAILCALL  3"), std::string::npos);
}

TEST_F(CompilerTest, ParenthesisedSingleElementCallsWhenItTakesNothing) {
  EXPECT_EQ(lambda_ops("(\\ {t} {(t)})"), (Ops{"LOCAL", "TAILCALL0", "RET"}));
  EXPECT_EQ(lambda_ops("(\\ {t} {+ 1 (t)})"), (Ops{"LOCAL", "CALL0", "ADD_K", "RET"}));
}

TEST_F(CompilerTest, BodyOfOneElementIsItsValue) {
  EXPECT_EQ(lambda_ops("(\\ {t} {t})"), (Ops{"RETL"}));  // return parameter t
  EXPECT_EQ(lambda_ops("(\\ {} {})"), (Ops{"EMPTY", "RET"}));
}

TEST_F(CompilerTest, SequenceBodyMakesItsLastElementATailCall) {
  Value f = lambda("(\\ {a} {(g a) (h a)})");
  ASSERT_TRUE(is_closure(f));
  Ops o = ops(proto_of(f));
  ASSERT_GE(o.size(), 6u);
  EXPECT_EQ(o[3], "JMPFN");
  EXPECT_EQ(o[4], "POP");
  EXPECT_EQ(o.back(), "RET");
  int tailcalls = 0;
  for (auto& op : o) tailcalls += op == "TAILCALL";
  EXPECT_EQ(tailcalls, 2);  // (h a) when the head is no function, and the whole form when it is
}

// ---- constants ---------------------------------------------------------------------------------

TEST_F(CompilerTest, ConstantsAndSmallIntegers) {
  Value f = lambda("(\\ {} {list {1 2} \"s\" 100000000 -5 8388607 8388608})");
  ASSERT_TRUE(is_closure(f));
  const Proto* p = proto_of(f);
  EXPECT_EQ(ops(p), (Ops{"NAME", "CONST", "CONST", "CONST", "INT", "INT", "CONST", "TAILCALL", "RET"}));
  std::string text = disassemble(p, vm.files());
  EXPECT_NE(text.find("CONST     {1 2}"), std::string::npos) << text;
  EXPECT_NE(text.find("CONST     \"s\""), std::string::npos) << text;
  EXPECT_NE(text.find("INT       -5"), std::string::npos) << text;
  EXPECT_NE(text.find("INT       8388607"), std::string::npos) << text;
  EXPECT_NE(text.find("CONST     8388608"), std::string::npos) << text;
}

TEST_F(CompilerTest, EqualConstantsShareASlot) {
  Value f = lambda("(\\ {} {list \"a\" zz zz})");
  ASSERT_TRUE(is_closure(f));
  const Proto* p = proto_of(f);
  // list, "a", zz: the symbol zz is one constant used twice.
  EXPECT_EQ(p->nconsts, 3u);
}

TEST_F(CompilerTest, EqualConstantsShareASlotPastTheIndexGrowing) {
  // 3,000 names each used twice, in two rounds: the pool's index grows many times in between.
  std::string text = "(\\ {} {list";
  for (int round = 0; round < 2; ++round) {
    for (int i = 0; i < 3000; ++i) text += " n" + std::to_string(i);
  }
  Value f = lambda(text + "})");
  ASSERT_TRUE(is_closure(f));
  const Proto* p = proto_of(f);
  EXPECT_EQ(p->nconsts, 3001u);  // list and the 3,000 names
  for (uint32_t i = 1; i < p->nconsts; ++i) {
    EXPECT_EQ(readable(p->consts[i]), "n" + std::to_string(i - 1));
  }
}

TEST_F(CompilerTest, DeepQuotedDataIsAConstantNotNestedCode) {
  Value form = Value::fixnum(1);
  for (int i = 0; i < 5 * limits::kMaxNesting; ++i) form = make_cons(vm.heap(), form, Value::nil(), true);
  Value call = make_list(vm.heap(), std::vector<Value>{Value::object(vm.sym("list")), form}, false);
  Value proto = compile_code(vm, call, ProtoKind::kTopLevel, SrcPos{});
  ASSERT_FALSE(is_error(proto)) << message(proto);
  EXPECT_EQ(ops(proto.as<Proto>()), (Ops{"NAME", "CONST", "TAILCALL", "RET"}));
}

// ---- inlined forms -----------------------------------------------------------------------------

TEST_F(CompilerTest, IfInTailPosition) {
  Value f = lambda("(\\ {c a b} {if c {a} {b}})");
  ASSERT_TRUE(is_closure(f));
  const Proto* p = proto_of(f);
  EXPECT_EQ(ops(p), (Ops{"LOCAL", "IF", "RETL", "RETL", "RET"}));
  EXPECT_EQ(operand(p->code[1]), 3u);  // the else branch
}

TEST_F(CompilerTest, IfNotInTailPositionJumpsOverTheElseBranch) {
  Value f = lambda("(\\ {c} {+ c (if c {2} {3})})");
  ASSERT_TRUE(is_closure(f));
  const Proto* p = proto_of(f);
  EXPECT_EQ(ops(p), (Ops{"LOCAL", "LOCAL", "IF", "INT", "JMP", "INT", "ADD", "RET"}));
  EXPECT_EQ(operand(p->code[2]), 5u);
  EXPECT_EQ(operand(p->code[4]), 6u);
}

TEST_F(CompilerTest, IfIsNotInlinedWithoutQuotedBranches) {
  EXPECT_EQ(lambda_ops("(\\ {c x} {if c x x})"), (Ops{"NAME", "LOCAL", "LOCAL", "LOCAL", "TAILCALL", "RET"}));
}

TEST_F(CompilerTest, IfRecordsAnInlineSite) {
  Value f = lambda("(\\ {c} {if c {1} {2}})");
  ASSERT_TRUE(is_closure(f));
  const Proto* p = proto_of(f);
  const InlineSite* site = proto_site_at(p, 1);
  ASSERT_NE(site, nullptr);
  EXPECT_EQ(site->sym->name(), "if");
  EXPECT_TRUE(site->tail);
  EXPECT_EQ(readable(p->consts[site->extra1]), "{1}");
  EXPECT_EQ(readable(p->consts[site->extra2]), "{2}");
}

TEST_F(CompilerTest, EveryInlinedOperator) {
  struct Case {
    const char* text;
    const char* op;
  } cases[] = {{"(\\ {a b} {+ a b})", "ADD"}, {"(\\ {a b} {- a b})", "SUB"}, {"(\\ {a b} {* a b})", "MUL"},
               {"(\\ {a b} {/ a b})", "DIV"}, {"(\\ {a} {- a})", "NEG"},     {"(\\ {a b} {< a b})", "LT"},
               {"(\\ {a b} {> a b})", "GT"},  {"(\\ {a b} {<= a b})", "LE"}, {"(\\ {a b} {>= a b})", "GE"},
               {"(\\ {a b} {== a b})", "EQ"}, {"(\\ {a b} {!= a b})", "NE"}};
  for (const Case& c : cases) {
    Ops o = lambda_ops(c.text);
    ASSERT_GE(o.size(), 2u) << c.text;
    if (o.back() == "JMP") {  // a fused instruction: the operator is in its stub, at the end
      EXPECT_EQ(o[o.size() - 2], c.op) << c.text;
      EXPECT_EQ(o[0], std::string(c.op) + "_LL") << c.text;
      continue;
    }
    EXPECT_EQ(o[o.size() - 2], c.op) << c.text;
    EXPECT_EQ(o.back(), "RET") << c.text;
  }
}

// (+ a) is a call (three or more operands are ADDN: ArithmeticOfManyOperandsIsOneInstruction).
TEST_F(CompilerTest, OperatorWithOtherArityIsACall) {
  EXPECT_EQ(lambda_ops("(\\ {a} {+ a})"), (Ops{"NAME", "LOCAL", "TAILCALL", "RET"}));
  EXPECT_EQ(lambda_ops("(\\ {a} {< a a a})"), (Ops{"NAME", "LOCAL", "LOCAL", "LOCAL", "TAILCALL", "RET"}));
}

TEST_F(CompilerTest, LambdaWithInvalidFormalsIsNotInlined) {
  Value v = vm.run_source("(\\ {x &} {x})", "compiler_test.valk");
  ASSERT_TRUE(is_error(v));
  EXPECT_EQ(message(v), "Function format invalid. Symbol '&' not followed by single symbol.");
}

TEST_F(CompilerWithPreludeTest, DoIsInlined) {
  Value f = lambda("(\\ {x} {do (g x) (h x)})");
  ASSERT_TRUE(is_closure(f));
  std::string text = disassemble(proto_of(f), vm.files());
  // The forms are compiled in place: do itself is neither looked up nor called by name.
  EXPECT_EQ(text.find("NAME      do"), std::string::npos) << text;
  EXPECT_NE(text.find("NAME      g"), std::string::npos) << text;
  EXPECT_NE(text.find("NAME      h"), std::string::npos) << text;
}

TEST_F(CompilerWithPreludeTest, DoGivesTheLastValue) {
  Value r = vm.run_source("(do 1 2 3)", "compiler_test.valk");
  EXPECT_EQ(r, Value::fixnum(3)) << (is_error(r) ? vm.describe_error(r) : readable(r));
  Value f = vm.run_source("((\\ {x} {do (+ x 1) (+ x 2)}) 10)", "compiler_test.valk");
  EXPECT_EQ(f, Value::fixnum(12)) << (is_error(f) ? vm.describe_error(f) : readable(f));
}

// select with literal clauses: a guard, each condition and a jump, values as tail calls, the
// error, then the stub (the ordinary call of select by name) the guard jumps to.
TEST_F(CompilerWithPreludeTest, SelectIsInlinedWithTailCalls) {
  Ops o = lambda_ops("(\\ {n} {select {(== n 0) 1} {otherwise (f n)}})");
  EXPECT_EQ(o, (Ops{"SELECT", "LOCAL", "BREQ_K", "JMPF", "INT", "RET", "NAME", "JMPF", "NAME", "LOCAL",
                    "TAILCALL", "RET", "FAIL", "NAME", "CONST", "CONST", "TAILCALL", "RET"}));
}

// case: keys that evaluate to themselves are compared as constants (CASEK), others evaluated
// first and compared (CASEJMP, then POP of the value on a match).
TEST_F(CompilerWithPreludeTest, CaseComparesKeysInPlace) {
  Ops o = lambda_ops("(\\ {n} {case n {{1} 10} {{\"s\"} (f n)}})");
  EXPECT_EQ(o, (Ops{"CASE", "LOCAL", "CASEK", "INT", "RET", "CASEK", "NAME", "LOCAL", "TAILCALL", "RET", "FAIL",
                    "NAME", "LOCAL", "CONST", "CONST", "TAILCALL", "RET"}));
  Ops named = lambda_ops("(\\ {n k} {case n {{k} 10}})");
  EXPECT_EQ(named, (Ops{"CASE", "LOCAL", "LOCAL", "CASEJMP", "POP", "INT", "RET", "FAIL", "NAME", "LOCAL", "CONST",
                        "TAILCALL", "RET"}));
}

TEST_F(CompilerWithPreludeTest, LetAndDoInTailPositionRunInThisFrame) {
  Ops o = lambda_ops("(\\ {n} {let {do (= {m} n) (select {m (f m)})}})");
  EXPECT_EQ(o[0], "LET");
  EXPECT_NE(std::find(o.begin(), o.end(), "SELECT"), o.end());
  EXPECT_NE(std::find(o.begin(), o.end(), "DOTAILCALL"), o.end());
  // Not in tail position, let keeps its own frame: it is called.
  Ops call = lambda_ops("(\\ {n} {+ 1 (let {n})})");
  EXPECT_EQ(std::find(call.begin(), call.end(), "LET"), call.end());
}

// Issue 8 item 2: the last form of a do in tail position is compiled in tail position, its
// exits conditional on do: DOTAILCALL (and DOTAILCALL0) for calls, DORET for values, each DORET
// pointing at its do's DO, which only those exits reach.
TEST_F(CompilerWithPreludeTest, TailExitsOfADosLastFormAreConditionalOnDo) {
  EXPECT_EQ(lambda_ops("(\\ {n} {do (g n) (if (== n 0) {n} {f (- n 1)})})"),
            (Ops{"NAME", "LOCAL", "CALL", "IFEQ_LK", "LOCAL", "DORET", "NAME", "SUB_LK", "DOTAILCALL", "DORET",
                 "DORET", "DO", "RET", "LOCAL", "INT", "EQ", "IF", "JMP", "LOCAL", "INT", "SUB", "JMP"}));
  EXPECT_EQ(lambda_ops("(\\ {t} {do 1 (t)})"), (Ops{"INT", "LOCAL", "DOTAILCALL0", "DORET", "DO", "RET"}));
  // Nested: the inner do's exits go to the inner DO, whose value goes on to the outer one.
  EXPECT_EQ(lambda_ops("(\\ {n} {do 1 (do 2 (f n))})"),
            (Ops{"INT", "INT", "NAME", "LOCAL", "DOTAILCALL", "DORET", "DO", "DORET", "DO", "RET"}));
  // select and case clauses, and the call stub of the guard.
  EXPECT_EQ(lambda_ops("(\\ {n} {do 1 (select {(== n 0) 1} {otherwise (f n)})})"),
            (Ops{"INT", "SELECT", "LOCAL", "BREQ_K", "JMPF", "INT", "DORET", "NAME", "JMPF", "NAME", "LOCAL",
                 "DOTAILCALL", "DORET", "FAIL", "DO", "RET", "NAME", "CONST", "CONST", "DOTAILCALL", "DORET"}));
  Value f = lambda("(\\ {n} {do 1 (case n {{1} 10} {{2} (do 2 (f n))})})");
  ASSERT_TRUE(is_closure(f));
  const Proto* p = proto_of(f);
  int dorets = 0;
  for (uint32_t pc = 0; pc < p->ncode; pc += uint32_t(instruction_words(op_of(p->code[pc])))) {
    if (op_of(p->code[pc]) != Op::DORET) continue;
    ++dorets;
    uint32_t target = operand(p->code[pc]);
    ASSERT_LT(target, p->ncode);
    EXPECT_EQ(op_of(p->code[target]), Op::DO) << disassemble(p, vm.files());
  }
  EXPECT_EQ(dorets, 4) << disassemble(p, vm.files());
}

TEST_F(CompilerWithPreludeTest, ExitsOutsideATailDosLastFormStayPlain) {
  // Not a do: plain RETL, TAILCALL, RET.
  EXPECT_EQ(lambda_ops("(\\ {n} {if (== n 0) {n} {f n}})"),
            (Ops{"IFEQ_LK", "RETL", "NAME", "LOCAL", "TAILCALL", "RET", "RET", "LOCAL", "INT", "EQ", "IF", "JMP"}));
  // A do not in tail position: its last form is an ordinary value, the call an ordinary CALL.
  Ops inner = lambda_ops("(\\ {n} {+ 1 (do 2 (if (== n 0) {n} {f n}))})");
  for (const char* op : {"DORET", "DOTAILCALL", "DOTAILCALL0", "TAILCALL", "RETL"}) {
    EXPECT_EQ(std::find(inner.begin(), inner.end(), op), inner.end()) << op;
  }
  // Earlier elements of a tail do are not in tail position; a lambda in the last form has its own.
  EXPECT_EQ(lambda_ops("(\\ {n} {do (f n) (\\ {x} {g x})})"),
            (Ops{"NAME", "LOCAL", "CALL", "CLOSURE", "DORET", "DO", "RET"}));
  Value f = lambda("(\\ {n} {do 1 (\\ {x} {g x})})");
  ASSERT_TRUE(is_closure(f));
  std::vector<const Proto*> in = inner_protos(proto_of(f));
  ASSERT_EQ(in.size(), 1u);
  EXPECT_EQ(ops(in[0]), (Ops{"NAME", "LOCAL", "TAILCALL", "RET"}));
}

TEST_F(CompilerWithPreludeTest, ClausesThatSeeThePreludesNamesAreNotInlined) {
  for (const char* text : {"(\\ {cs} {select {cs 1}})", "(\\ {n} {select {(= {a} n) 1}})",
                           "(\\ {x} {case 1 {{1} x}})", "(\\ {n} {let {do (= {n} 1) n}})",
                           "(\\ {n} {select {n} {1 2}})"}) {
    Ops o = lambda_ops(text);
    EXPECT_EQ(std::find_if(o.begin(), o.end(), [](const std::string& op) {
                return op == "SELECT" || op == "CASE" || op == "LET";
              }), o.end()) << text;
  }
}

TEST_F(CompilerWithPreludeTest, PicksAreOneInstruction) {
  EXPECT_EQ(lambda_ops("(\\ {l} {fst l})"), (Ops{"LOCAL", "PICK", "RET"}));
  EXPECT_EQ(lambda_ops("(\\ {l} {nth 2 l})"), (Ops{"INT", "LOCAL", "NTH", "RET"}));
  EXPECT_EQ(lambda_ops("(\\ {l} {tail l})"), (Ops{"LOCAL", "TAIL", "RET"}));
}

// A literal (= {names} values...) binds without calling the builtin; a form the builtin would
// refuse (count mismatch, names not a Q-expression of symbols) stays a call, for its errors.
TEST_F(CompilerTest, AssignWithLiteralNamesIsOneInstruction) {
  EXPECT_EQ(lambda_ops("(\\ {n} {= {a b} n 2})"), (Ops{"CONST", "LOCAL", "INT", "ASSIGN", "RET"}));
  // One name that is a slot of the lambda (a literal `=` name or a parameter): one store, the
  // names the instruction's constant (pushed only when `=` is called after all).
  EXPECT_EQ(lambda_ops("(\\ {n} {= {a} n})"), (Ops{"LOCAL", "ASSIGN_SLOT", "RET"}));
  EXPECT_NE(disasm("(\\ {n} {= {a} n})").find("ASSIGN_SLOT 1 (a)"), std::string::npos);
  EXPECT_NE(disasm("(\\ {n} {= {n} 1})").find("ASSIGN_SLOT 0 (n)"), std::string::npos);
  // A watched name stays with ASSIGN, which tells the VM that it is bound in a frame.
  std::string text = disasm("(\\ {n} {= {head} n})");
  EXPECT_NE(text.find("ASSIGN    2"), std::string::npos) << text;
  for (const char* text : {"(\\ {n} {= {a b} n})", "(\\ {n} {= {a} n 1})", "(\\ {n} {= n 1})",
                           "(\\ {n} {= {\"a\"} n})", "(\\ {n} {= {1} n})"}) {
    Ops o = lambda_ops(text);
    EXPECT_EQ(std::find(o.begin(), o.end(), "ASSIGN"), o.end()) << text;
    EXPECT_NE(std::find(o.begin(), o.end(), "TAILCALL"), o.end()) << text;
  }
  // A parameter named = is what the form calls.
  EXPECT_EQ(lambda_ops("(\\ {=} {= {a} 1})"), (Ops{"LOCAL", "CONST", "INT", "TAILCALL", "RET"}));
}

// ---- prototypes --------------------------------------------------------------------------------

TEST_F(CompilerTest, ParameterCounts) {
  Value f = lambda("(\\ {a b & rest} {rest})");
  ASSERT_TRUE(is_closure(f));
  const Proto* p = proto_of(f);
  EXPECT_EQ(p->kind, ProtoKind::kLambda);
  EXPECT_EQ(p->nparams, 3);
  EXPECT_EQ(p->nrequired, 2);
  EXPECT_TRUE(p->variadic());
  EXPECT_EQ(readable(p->formals), "{a b & rest}");
  EXPECT_EQ(readable(p->body), "{rest}");
  EXPECT_EQ(proto_param_index(p, vm.sym("rest")), 2);
  Value g = lambda("(\\ {a} {a})");
  EXPECT_FALSE(proto_of(g)->variadic());
  EXPECT_EQ(proto_of(g)->nrequired, 1);
}

TEST_F(CompilerTest, MaxStackCoversTheDeepestExpression) {
  Value f = lambda("(\\ {} {g 1 2 3 4 5 6})");
  ASSERT_TRUE(is_closure(f));
  EXPECT_GE(proto_of(f)->max_stack, 7u);
}

TEST_F(CompilerTest, DefNamesTheLambda) {
  Value r = vm.run_source("(def {my-fn} (\\ {a} {a}))\nmy-fn", "compiler_test.valk");
  ASSERT_TRUE(is_closure(r));
  EXPECT_EQ(proto_of(r)->name, Value::object(vm.sym("my-fn")));
}

TEST_F(CompilerTest, TopLevelFormIsAChunk) {
  Value forms = read("(+ 1 2)");
  Value proto = compile_code(vm, car(forms), ProtoKind::kTopLevel, cell_pos(forms));
  ASSERT_TRUE(is_obj(proto, ObjType::kProto)) << message(proto);
  EXPECT_EQ(proto.as<Proto>()->kind, ProtoKind::kTopLevel);
  EXPECT_EQ(ops(proto.as<Proto>()), (Ops{"INT", "ADD_K", "RET"}));
  EXPECT_EQ(proto.as<Proto>()->nparams, 0);
}

TEST_F(CompilerTest, QuotedChunkRunsAsCode) {
  Value forms = read("{+ 1 2} {} {x}");
  Value p1 = compile_code(vm, car(forms), ProtoKind::kChunk, SrcPos{});
  ASSERT_TRUE(is_obj(p1, ObjType::kProto));
  EXPECT_EQ(ops(p1.as<Proto>()), (Ops{"INT", "ADD_K", "RET"}));
  Value p2 = compile_code(vm, car(cdr(forms)), ProtoKind::kChunk, SrcPos{});
  EXPECT_EQ(ops(p2.as<Proto>()), (Ops{"EMPTY", "RET"}));
  Value p3 = compile_code(vm, car(cdr(cdr(forms))), ProtoKind::kChunk, SrcPos{});
  EXPECT_EQ(ops(p3.as<Proto>()), (Ops{"NAME", "RET"}));
}

TEST_F(CompilerTest, AtomsCompileToThemselves) {
  EXPECT_EQ(ops(compile_code(vm, Value::fixnum(5), ProtoKind::kChunk, SrcPos{}).as<Proto>()),
            (Ops{"INT", "RET"}));
  EXPECT_EQ(ops(compile_code(vm, Value::object(vm.sym("q")), ProtoKind::kChunk, SrcPos{}).as<Proto>()),
            (Ops{"NAME", "RET"}));
  EXPECT_EQ(ops(compile_code(vm, make_string(vm.heap(), "s"), ProtoKind::kChunk, SrcPos{}).as<Proto>()),
            (Ops{"CONST", "RET"}));
  EXPECT_EQ(ops(compile_code(vm, Value::empty_sexpr(), ProtoKind::kChunk, SrcPos{}).as<Proto>()),
            (Ops{"EMPTY", "RET"}));
}

// LANGUAGE.md 4.3: a Q-expression becomes code only through eval, if and lambda bodies; written at
// top level in a file it evaluates to itself.
TEST_F(CompilerTest, TopLevelQExpressionEvaluatesToItself) {
  Value r = vm.run_source("{1 2 3}", "compiler_test.valk");
  ASSERT_FALSE(is_error(r)) << vm.describe_error(r);
  EXPECT_EQ(readable(r), "{1 2 3}");
  Value u = vm.run_source("{unbound-name 1}", "compiler_test.valk");
  ASSERT_FALSE(is_error(u)) << vm.describe_error(u);
  EXPECT_EQ(readable(u), "{unbound-name 1}");
}

TEST_F(CompilerTest, LinePositionsAreRecorded) {
  std::string text = disasm("(\\ {a}\n  {g a})");
  EXPECT_NE(text.find("; compiler_test.valk:2:"), std::string::npos) << text;
}

TEST_F(CompilerTest, TooManyParametersIsAnError) {
  std::vector<Value> names;
  for (int i = 0; i < 0x10000 + 5; ++i) names.push_back(Value::object(vm.sym("p" + std::to_string(i))));
  Value formals = make_list(vm.heap(), names, true);
  Value body = make_list(vm.heap(), std::vector<Value>{names[0]}, true);
  EXPECT_EQ(check_formals(formals), "");
  Value r = compile_lambda(vm, formals, body);
  ASSERT_TRUE(is_error(r));
  EXPECT_EQ(message(r), "too many parameters");
}

TEST_F(CompilerTest, CapturedSlotTooFarToEncodeIsLookedUpByName) {
  std::vector<Value> names;
  for (int i = 0; i < 5000; ++i) names.push_back(Value::object(vm.sym("q" + std::to_string(i))));
  Heap& h = vm.heap();
  Value lambda_sym = Value::object(vm.sym("\\"));
  Value inner_formals = make_list(h, std::vector<Value>{Value::object(vm.sym("y"))}, true);
  Value inner = make_list(
      h, std::vector<Value>{lambda_sym, inner_formals, make_list(h, std::vector<Value>{names[4500]}, true)},
      false);
  Value near = make_list(
      h, std::vector<Value>{lambda_sym, inner_formals, make_list(h, std::vector<Value>{names[10]}, true)},
      false);
  Value outer_body = make_list(h, std::vector<Value>{Value::object(vm.sym("list")), inner, near}, true);
  Value proto = compile_lambda(vm, make_list(h, names, true), outer_body);
  ASSERT_TRUE(is_obj(proto, ObjType::kProto)) << message(proto);
  auto inners = inner_protos(proto.as<Proto>());
  ASSERT_EQ(inners.size(), 2u);
  EXPECT_EQ(ops(inners[0]), (Ops{"NAME", "RET"}));   // slot 4500 does not fit 12 bits
  EXPECT_EQ(ops(inners[1]), (Ops{"UPVAL", "RET"}));  // slot 10 does
}

// ---- the proto cache ---------------------------------------------------------------------------

TEST_F(CompilerTest, SameSourceBodyWithEqualFormalsReusesTheProto) {
  Value forms = read("{x} {x} {+ x 1}");
  Value formals1 = car(forms);
  Value formals2 = car(cdr(forms));
  Value body = car(cdr(cdr(forms)));
  ASSERT_NE(formals1, formals2);
  Value p1 = compile_lambda(vm, formals1, body);
  ASSERT_TRUE(is_obj(p1, ObjType::kProto)) << message(p1);
  EXPECT_EQ(body.as<SourceCons>()->code, p1);  // cached on the body's first cell
  Value p2 = compile_lambda(vm, formals2, body);
  EXPECT_EQ(p1, p2);
}

TEST_F(CompilerTest, DifferentFormalsCompileAgain) {
  Value forms = read("{x} {y} {+ x 1}");
  Value body = car(cdr(cdr(forms)));
  Value p1 = compile_lambda(vm, car(forms), body);
  Value p2 = compile_lambda(vm, car(cdr(forms)), body);
  ASSERT_TRUE(is_obj(p2, ObjType::kProto)) << message(p2);
  EXPECT_NE(p1, p2);
  EXPECT_EQ(ops(p1.as<Proto>()), (Ops{"ADD_LK", "RET", "LOCAL", "INT", "ADD", "JMP"}));
  EXPECT_EQ(ops(p2.as<Proto>()), (Ops{"NAME", "ADD_K", "RET"}));
}

TEST_F(CompilerTest, BodiesNotReadFromSourceAreNotCached) {
  Value formals = make_list(vm.heap(), std::vector<Value>{Value::object(vm.sym("x"))}, true);
  Value body = make_list(vm.heap(), std::vector<Value>{Value::object(vm.sym("x"))}, true);
  Value p1 = compile_lambda(vm, formals, body);
  Value p2 = compile_lambda(vm, formals, body);
  ASSERT_TRUE(is_obj(p1, ObjType::kProto));
  ASSERT_TRUE(is_obj(p2, ObjType::kProto));
  EXPECT_NE(p1, p2);
}

TEST_F(CompilerTest, ChunkCacheIsPerKind) {
  Value forms = read("(+ 1 2)");
  Value form = car(forms);
  Value a = compile_code(vm, form, ProtoKind::kChunk, SrcPos{});
  Value b = compile_code(vm, form, ProtoKind::kChunk, SrcPos{});
  EXPECT_EQ(a, b);
  Value c = compile_code(vm, form, ProtoKind::kTopLevel, SrcPos{});
  EXPECT_NE(a, c);
  EXPECT_EQ(c.as<Proto>()->kind, ProtoKind::kTopLevel);
}

TEST_F(CompilerTest, CompiledLambdaClosesOverNothing) {
  // A lambda made at run time from values: names past its parameters are looked up by name.
  Value forms = read("{y} {+ x y}");
  Value p = compile_lambda(vm, car(forms), car(cdr(forms)));
  ASSERT_TRUE(is_obj(p, ObjType::kProto));
  EXPECT_EQ(ops(p.as<Proto>()), (Ops{"NAME", "LOCAL", "ADD", "RET"}));
}

// ---- check_formals -----------------------------------------------------------------------------

TEST_F(CompilerTest, ValidFormals) {
  Value forms = read("{} {x} {x y & rest} {& rest}");
  for (Value c = forms; is_cons(c); c = cdr(c)) EXPECT_EQ(check_formals(car(c)), "") << readable(car(c));
}

TEST_F(CompilerTest, FormalsMustBeAQExpression) {
  EXPECT_EQ(check_formals(Value::fixnum(1)), "\\: parameters must be a Q-expression, got Integer");
  EXPECT_EQ(check_formals(car(read("(x y)"))), "\\: parameters must be a Q-expression, got S-expression");
  EXPECT_EQ(check_formals(Value::empty_sexpr()), "\\: parameters must be a Q-expression, got S-expression");
  EXPECT_EQ(check_formals(make_string(vm.heap(), "x")), "\\: parameters must be a Q-expression, got String");
}

TEST_F(CompilerTest, FormalsMustBeSymbols) {
  EXPECT_EQ(check_formals(car(read("{x 1}"))), "\\: cannot use Integer as a parameter");
  EXPECT_EQ(check_formals(car(read("{\"s\"}"))), "\\: cannot use String as a parameter");
  EXPECT_EQ(check_formals(car(read("{x {y}}"))), "\\: cannot use Q-expression as a parameter");
}

TEST_F(CompilerTest, AmpersandMustBeFollowedByOneSymbol) {
  const std::string expected = "Function format invalid. Symbol '&' not followed by single symbol.";
  for (const char* text : {"{x &}", "{&}", "{& a b}", "{x & &}", "{x & 1}", "{& {r}}"}) {
    EXPECT_EQ(check_formals(car(read(text))), expected) << text;
  }
}

// ---- nesting -----------------------------------------------------------------------------------

// (((...x...))): `levels` S-expressions around a symbol.
Value nested_calls(VM& vm, int levels) {
  Value form = Value::object(vm.sym("x"));
  for (int i = 0; i < levels; ++i) form = make_cons(vm.heap(), form, Value::empty_sexpr(), false);
  return form;
}

TEST_F(CompilerTest, CodeNestedTooDeepIsACleanError) {
  Value proto = compile_code(vm, nested_calls(vm, 2 * limits::kMaxNesting), ProtoKind::kTopLevel, SrcPos{});
  ASSERT_TRUE(is_error(proto));
  EXPECT_EQ(message(proto), "code nested deeper than 1000 levels");
}

TEST_F(CompilerTest, CodeNestedAHundredThousandLevelsDoesNotCrash) {
  Value proto = compile_code(vm, nested_calls(vm, 100'000), ProtoKind::kTopLevel, SrcPos{});
  ASSERT_TRUE(is_error(proto));
  EXPECT_EQ(message(proto), "code nested deeper than 1000 levels");
}

TEST_F(CompilerTest, CodeNestedWithinTheLimitCompiles) {
  Value proto = compile_code(vm, nested_calls(vm, limits::kMaxNesting - 100), ProtoKind::kTopLevel, SrcPos{});
  EXPECT_TRUE(is_obj(proto, ObjType::kProto)) << message(proto);
}

TEST_F(CompilerTest, NestingErrorThroughEvalToplevelHasThePosition) {
  SrcPos pos = SrcPos::make(vm.files().intern("deep.valk"), 4, 2);
  Value r = vm.eval_toplevel(nested_calls(vm, 2 * limits::kMaxNesting), pos);
  ASSERT_TRUE(is_error(r));
  EXPECT_EQ(message(r), "code nested deeper than 1000 levels");
  EXPECT_EQ(vm.files().format(r.as<ErrorObj>()->pos), "deep.valk:4:2");
}

// (\ {x} {(\ {x} {... x ...})}): lambdas nested `levels` deep.
Value nested_lambdas(VM& vm, int levels) {
  Heap& h = vm.heap();
  Value lambda_sym = Value::object(vm.sym("\\"));
  Value formals = make_list(h, std::vector<Value>{Value::object(vm.sym("x"))}, true);
  Value form = Value::object(vm.sym("x"));
  for (int i = 0; i < levels; ++i) {
    Value body = make_cons(h, form, Value::nil(), true);
    form = make_list(h, std::vector<Value>{lambda_sym, formals, body}, false);
  }
  return form;
}

TEST_F(CompilerTest, NestedLambdasCountTowardsTheLimit) {
  Value deep = compile_code(vm, nested_lambdas(vm, limits::kMaxNesting), ProtoKind::kTopLevel, SrcPos{});
  ASSERT_TRUE(is_error(deep));
  EXPECT_EQ(message(deep), "code nested deeper than 1000 levels");
  Value fine = compile_code(vm, nested_lambdas(vm, limits::kMaxNesting / 4), ProtoKind::kTopLevel, SrcPos{});
  EXPECT_TRUE(is_obj(fine, ObjType::kProto)) << message(fine);
}

// (if 1 {if 1 {... 0 ...} {0}} {0}): ifs nested `levels` deep.
Value nested_ifs(VM& vm, int levels) {
  Heap& h = vm.heap();
  Value if_sym = Value::object(vm.sym("if"));
  Value zero_branch = make_cons(h, Value::fixnum(0), Value::nil(), true);
  Value form = Value::fixnum(0);
  for (int i = 0; i < levels; ++i) {
    Value then_branch = make_cons(h, form, Value::nil(), true);
    form = make_list(h, std::vector<Value>{if_sym, Value::fixnum(1), then_branch, zero_branch}, false);
  }
  return form;
}

TEST_F(CompilerTest, NestedIfBranchesCountTowardsTheLimit) {
  Value deep = compile_code(vm, nested_ifs(vm, limits::kMaxNesting), ProtoKind::kTopLevel, SrcPos{});
  ASSERT_TRUE(is_error(deep));
  EXPECT_EQ(message(deep), "code nested deeper than 1000 levels");
  Value fine = compile_code(vm, nested_ifs(vm, limits::kMaxNesting / 4), ProtoKind::kTopLevel, SrcPos{});
  ASSERT_TRUE(is_obj(fine, ObjType::kProto)) << message(fine);
  Value r = vm.eval_toplevel(nested_ifs(vm, limits::kMaxNesting / 4), SrcPos{});
  EXPECT_EQ(r, Value::fixnum(0)) << readable(r);
}

}  // namespace
}  // namespace valk
