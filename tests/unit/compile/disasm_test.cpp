// disasm_test.cpp: the disassembler (disasm.cpp): header line, one line per instruction with its
// operand described, source positions when they change, nested prototypes indented.
#include "compile/disasm.h"

#include <gtest/gtest.h>

#include <sstream>
#include <string>
#include <vector>

#include "compile/opcodes.h"
#include "compile/proto.h"
#include "value/make.h"
#include "vm/vm.h"

namespace valk {
namespace {

VmConfig bare_config() {
  VmConfig config;
  config.load_prelude = false;
  return config;
}

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) lines.push_back(line);
  return lines;
}

class DisasmTest : public ::testing::Test {
 protected:
  VM vm{bare_config()};
  Proto* chunk(std::vector<uint32_t> code, std::vector<Value> consts = {}) {
    auto* extra = new ProtoExtra;
    extra->code = std::move(code);
    extra->consts = std::move(consts);
    return make_proto(vm.heap(), ProtoKind::kChunk, extra, 2);
  }
  std::string disasm_of(std::string_view text) {
    Value f = vm.run_source(text, "d.valk");
    EXPECT_TRUE(is_closure(f));
    return is_closure(f) ? disassemble(f.as<Closure>()->proto.as<Proto>(), vm.files()) : "";
  }
};

TEST_F(DisasmTest, ExactLayoutOfAChunk) {
  Proto* p = chunk({encode(Op::INT, uint32_t(-3) & kMaxOperand), encode(Op::CONST, 0), encode(Op::RET)},
                   {make_string(vm.heap(), "hi")});
  std::string text = disassemble(p, vm.files());
  EXPECT_EQ(text,
            "chunk (0 params, stack 2)\n"
            "    0  INT       -3\n"
            "    1  CONST     \"hi\"\n"
            "    2  RET       \n");
}

// The name column is 10 wide; a name of 10 characters or more still has a blank before its
// operand (DOTAILCALL is exactly 10, ASSIGN_SLOT 11).
TEST_F(DisasmTest, LongOpcodeNamesKeepABlankBeforeTheOperand) {
  Proto* p = chunk({encode(Op::DOTAILCALL, 1), encode(Op::CALL, 2), encode(Op::RET)});
  std::vector<std::string> lines = lines_of(disassemble(p, vm.files()));
  ASSERT_EQ(lines.size(), 4u);
  EXPECT_EQ(lines[1], "    0  DOTAILCALL 1");
  EXPECT_EQ(lines[2], "    1  CALL      2");
}

TEST_F(DisasmTest, PositionsAreShownWhenTheyChange) {
  uint32_t file = vm.files().intern("pos.valk");
  auto* extra = new ProtoExtra;
  extra->code = {encode(Op::NIL), encode(Op::POP), encode(Op::EMPTY), encode(Op::RET)};
  extra->lines = {{0, SrcPos::make(file, 1, 1)}, {2, SrcPos::make(file, 2, 3)}};
  Proto* p = make_proto(vm.heap(), ProtoKind::kChunk, extra, 1);
  auto lines = lines_of(disassemble(p, vm.files()));
  ASSERT_EQ(lines.size(), 5u);
  // The position comment starts after column 44.
  std::string nil_line = "    0  NIL";
  nil_line.resize(44, ' ');
  std::string empty_line = "    2  EMPTY";
  empty_line.resize(44, ' ');
  EXPECT_EQ(lines[1], nil_line + " ; pos.valk:1:1");
  EXPECT_EQ(lines[2], "    1  POP       ");  // same position: not repeated
  EXPECT_EQ(lines[3], empty_line + " ; pos.valk:2:3");
  EXPECT_EQ(lines[4], "    3  RET       ");
}

TEST_F(DisasmTest, LambdaHeaderShowsNameFormalsParamsAndStack) {
  Value r = vm.run_source("(def {inc} (\\ {a} {+ a 1}))\ninc", "d.valk");
  ASSERT_TRUE(is_closure(r));
  auto lines = lines_of(disassemble(r.as<Closure>()->proto.as<Proto>(), vm.files()));
  ASSERT_EQ(lines.size(), 7u);
  EXPECT_EQ(lines[0], "lambda inc {a} (1 params, stack 3)");
  std::string fused_line = "    0  ADD_LK    0 (a), 1  [stub 3]";
  fused_line.resize(44, ' ');
  EXPECT_EQ(lines[1], fused_line + " ; d.valk:1:20");  // the body's call at its first element
  EXPECT_EQ(lines[2], "    2  RET       ");
  // the stub: the same addition unfused, for when + is rebound or a is not an integer
  EXPECT_EQ(lines[3], "    3  LOCAL     0 (a)");
  EXPECT_EQ(lines[4], "    4  INT       1");
  EXPECT_EQ(lines[5], "    5  ADD       ");
  EXPECT_EQ(lines[6], "    6  JMP       2");
}

TEST_F(DisasmTest, AnonymousLambdaHasNoName) {
  auto lines = lines_of(disasm_of("(\\ {x y} {x})"));
  ASSERT_FALSE(lines.empty());
  EXPECT_EQ(lines[0], "lambda {x y} (2 params, stack 1)");  // RETL returns x without pushing it
}

TEST_F(DisasmTest, NestedPrototypesAreIndented) {
  auto lines = lines_of(disasm_of("(\\ {c} {\\ {x} {+ x c}})"));
  ASSERT_EQ(lines.size(), 8u);
  EXPECT_EQ(lines[1].substr(0, 24), "    0  CLOSURE   <proto>");
  EXPECT_EQ(lines[3], "    lambda {x} (1 params, stack 3)");
  const std::string upval = "        1  UPVAL     depth 0 slot 0 (c)";
  EXPECT_EQ(lines[5].substr(0, upval.size()), upval);
  EXPECT_EQ(lines[5].find(" ; d.valk:1:"), 48u);        // indented lines pad to 4 + 44
  EXPECT_EQ(lines[6].substr(0, 14), "        3  ADD");  // UPVAL takes two words
}

TEST_F(DisasmTest, IndentParameterPadsEveryLine) {
  Proto* p = chunk({encode(Op::NIL), encode(Op::RET)});
  for (const std::string& line : lines_of(disassemble(p, vm.files(), 2))) {
    EXPECT_EQ(line.substr(0, 2), "  ") << line;
  }
}

TEST_F(DisasmTest, NameOperandsShowTheSymbol) {
  std::string text = disasm_of("(\\ {} {some-global})");
  EXPECT_NE(text.find("NAME      some-global"), std::string::npos) << text;
}

// Names bound with = in a lambda's body are read from their slots, the first as the others.
TEST(DisasmSlots, EveryEqNameIsReadFromItsSlot) {
  VM vm;
  Value f = vm.run_source("(\\ {x} {do (= {a} 1) (= {b} 2) (+ a b x)})", "d.valk");
  ASSERT_TRUE(is_closure(f));
  std::string text = disassemble(f.as<Closure>()->proto.as<Proto>(), vm.files());
  EXPECT_NE(text.find("SLOT      1 (a)"), std::string::npos) << text;
  EXPECT_NE(text.find("SLOT      2 (b)"), std::string::npos) << text;
}

TEST_F(DisasmTest, JumpOperandsAreTargets) {
  std::string text = disasm_of("(\\ {c} {+ c (if c {2} {3})})");
  EXPECT_NE(text.find("IF        5"), std::string::npos) << text;
  EXPECT_NE(text.find("JMP       6"), std::string::npos) << text;
}

TEST_F(DisasmTest, LocalBeyondParametersHasNoName) {
  Proto* p = chunk({encode(Op::LOCAL, 4), encode(Op::RET)});
  auto lines = lines_of(disassemble(p, vm.files()));
  ASSERT_GE(lines.size(), 2u);
  EXPECT_EQ(lines[1], "    0  LOCAL     4");
}

TEST_F(DisasmTest, EveryOpcodeDisassemblesWithoutCrashing) {
  // Operands that index constants or sites point at valid ones.
  auto* extra = new ProtoExtra;
  extra->consts = {Value::object(vm.sym("k"))};
  extra->params = {vm.sym("p")};
  extra->sites.push_back(InlineSite{0, 0, 1, vm.sym("do"), 0, 0, 0, false});
  for (int i = 0; i < kOpCount; ++i) {
    extra->code.push_back(encode(Op(i), 0));
    if (instruction_words(Op(i)) == 2) extra->code.push_back(0);
  }
  Proto* p = make_proto(vm.heap(), ProtoKind::kChunk, extra, 1);
  auto lines = lines_of(disassemble(p, vm.files()));
  ASSERT_EQ(lines.size(), size_t(kOpCount) + 1);
  for (int i = 0; i < kOpCount; ++i) {
    EXPECT_NE(lines[size_t(i) + 1].find(kOpInfo[i].name), std::string::npos) << lines[size_t(i) + 1];
  }
}

}  // namespace
}  // namespace valk
