// opcodes_test.cpp: the instruction table generated from opcodes.def (opcodes.cpp): names,
// formats, watched names and docs for every Op, instruction sizes and operand encoding.
#include "compile/opcodes.h"

#include <gtest/gtest.h>

#include <set>
#include <sstream>
#include <string>

#include "vm/vm.h"

namespace valk {
namespace {

struct Expected {
  Op op;
  const char* name;
};

constexpr Expected kAll[] = {
#define OP(name, format, watched, doc) {Op::name, #name},
#include "compile/opcodes.def"
#undef OP
};

TEST(Opcodes, TableHasOneRowPerOp) {
  EXPECT_EQ(sizeof(kAll) / sizeof(kAll[0]), size_t(kOpCount));
  EXPECT_LE(kOpCount, 256);  // the opcode is the low 8 bits of a word
}

TEST(Opcodes, EveryOpHasItsOwnName) {
  std::set<std::string> names;
  for (const Expected& e : kAll) {
    const OpInfo& info = kOpInfo[int(e.op)];
    ASSERT_NE(info.name, nullptr);
    EXPECT_STREQ(info.name, e.name);
    EXPECT_TRUE(names.insert(info.name).second) << info.name;
  }
}

TEST(Opcodes, EveryOpHasAFormatAndADoc) {
  for (int i = 0; i < kOpCount; ++i) {
    const OpInfo& info = kOpInfo[i];
    EXPECT_TRUE(info.format == OpFormat::N || info.format == OpFormat::A || info.format == OpFormat::S ||
                info.format == OpFormat::X || info.format == OpFormat::F || info.format == OpFormat::K)
        << info.name;
    ASSERT_NE(info.doc, nullptr);
    EXPECT_GT(std::string(info.doc).size(), 5u) << info.name;
    ASSERT_NE(info.watched, nullptr);
  }
}

TEST(Opcodes, InstructionWordsFollowTheFormat) {
  for (int i = 0; i < kOpCount; ++i) {
    Op op = Op(i);
    int expected = kOpInfo[i].format == OpFormat::X || kOpInfo[i].format == OpFormat::F ? 2 : 1;
    EXPECT_EQ(instruction_words(op), expected) << kOpInfo[i].name;
  }
  EXPECT_EQ(instruction_words(Op::UPVAL), 2);
  EXPECT_EQ(instruction_words(Op::CALL), 1);
  EXPECT_EQ(instruction_words(Op::RET), 1);
}

TEST(Opcodes, KnownFormats) {
  EXPECT_EQ(kOpInfo[int(Op::INT)].format, OpFormat::S);
  EXPECT_EQ(kOpInfo[int(Op::CONST)].format, OpFormat::A);
  EXPECT_EQ(kOpInfo[int(Op::RET)].format, OpFormat::N);
  EXPECT_EQ(kOpInfo[int(Op::UPVAL)].format, OpFormat::X);
}

TEST(Opcodes, WatchedNamesAreWatchedByTheVm) {
  std::set<std::string> watched_names;
  for (int i = 0; i < int(WatchId::kCount); ++i) watched_names.insert(kWatchNames[i]);
  for (int i = 0; i < kOpCount; ++i) {
    // One name, or several separated by spaces (an instruction relying on several definitions).
    std::istringstream names{std::string(kOpInfo[i].watched)};
    std::string w;
    while (names >> w) EXPECT_TRUE(watched_names.count(w)) << kOpInfo[i].name << " stands for " << w;
  }
  EXPECT_STREQ(kOpInfo[int(Op::IF)].watched, "if");
  EXPECT_STREQ(kOpInfo[int(Op::CLOSURE)].watched, "\\");
  EXPECT_STREQ(kOpInfo[int(Op::ADD)].watched, "+");
  EXPECT_STREQ(kOpInfo[int(Op::NEG)].watched, "-");
  EXPECT_STREQ(kOpInfo[int(Op::CALL)].watched, "");
  EXPECT_STREQ(kOpInfo[int(Op::LOCAL)].watched, "");
}

TEST(Opcodes, EncodeAndDecode) {
  for (int i = 0; i < kOpCount; ++i) {
    for (uint32_t a : {0u, 1u, 255u, 4096u, kMaxOperand}) {
      uint32_t ins = encode(Op(i), a);
      EXPECT_EQ(op_of(ins), Op(i));
      EXPECT_EQ(operand(ins), a);
    }
  }
  EXPECT_EQ(encode(Op::RET), uint32_t(Op::RET));
}

TEST(Opcodes, SignedOperands) {
  for (int32_t v : {0, 1, -1, -5, 1000, -1000, kMinSmallInt, kMaxSmallInt}) {
    uint32_t ins = encode(Op::INT, uint32_t(v) & kMaxOperand);
    EXPECT_EQ(op_of(ins), Op::INT);
    EXPECT_EQ(signed_operand(ins), v) << v;
  }
}

TEST(Opcodes, OperandLimits) {
  EXPECT_EQ(kMaxOperand, (1u << 24) - 1);
  EXPECT_EQ(kMinSmallInt, -(1 << 23));
  EXPECT_EQ(kMaxSmallInt, (1 << 23) - 1);
}

}  // namespace
}  // namespace valk
