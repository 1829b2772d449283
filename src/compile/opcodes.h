// opcodes.h: the instruction set, generated from opcodes.def, and instruction encoding helpers.
#pragma once

#include <cstdint>

namespace valk {

enum class Op : uint8_t {
#define OP(name, format, watched, doc) name,
#include "compile/opcodes.def"
#undef OP
  kCount
};

inline constexpr int kOpCount = int(Op::kCount);

enum class OpFormat : uint8_t { N, A, S, X, F, K };

struct OpInfo {
  const char* name;
  OpFormat format;
  const char* watched;  // name of the builtin or prelude function it stands for, or ""
  const char* doc;
};

extern const OpInfo kOpInfo[kOpCount];

inline constexpr uint32_t encode(Op op, uint32_t a = 0) { return uint32_t(op) | (a << 8); }
inline constexpr Op op_of(uint32_t ins) { return Op(ins & 0xff); }
inline constexpr uint32_t operand(uint32_t ins) { return ins >> 8; }
inline constexpr int32_t signed_operand(uint32_t ins) { return int32_t(ins) >> 8; }
inline constexpr uint32_t kMaxOperand = (1u << 24) - 1;
inline constexpr int32_t kMinSmallInt = -(1 << 23);
inline constexpr int32_t kMaxSmallInt = (1 << 23) - 1;

// The n-ary arithmetic instructions (ADDN ... DIVN), whose operand A is their number of operands.
inline constexpr bool op_nary(Op op) { return op >= Op::ADDN && op <= Op::DIVN; }

// Words an instruction takes, itself included.
inline int instruction_words(Op op) {
  OpFormat f = kOpInfo[int(op)].format;
  return f == OpFormat::X || f == OpFormat::F ? 2 : 1;
}

// Operands of an instruction with a small integer (format K): k, and whether it was written first.
inline constexpr int32_t kMaxSmallOperand = (1 << 22) - 1;
inline constexpr int32_t kMinSmallOperand = -(1 << 22);
inline constexpr int32_t small_k(uint32_t ins) { return int32_t(ins) >> 9; }
inline constexpr bool small_first(uint32_t ins) { return (ins >> 8) & 1; }
inline constexpr uint32_t small_operand(int32_t k, bool first) { return ((uint32_t(k) << 1) | uint32_t(first)) & 0xffffff; }

// Operands of a fused instruction (format F).
inline constexpr uint32_t fused_a(uint32_t ins) { return (ins >> 8) & 0xff; }
inline constexpr int32_t fused_b(uint32_t ins) { return int32_t(ins) >> 16; }
inline constexpr uint32_t fused_target(uint32_t extra) { return extra & 0xffff; }
inline constexpr uint32_t fused_stub(uint32_t extra) { return extra >> 16; }
inline constexpr uint32_t encode_fused(Op op, uint32_t a, int32_t b) {
  return uint32_t(op) | (a << 8) | (uint32_t(b) << 16);
}

}  // namespace valk
