// disasm.cpp: the disassembler; operand formats come from opcodes.def.
#include "compile/disasm.h"

#include <cstdio>
#include <cstring>

#include "compile/opcodes.h"
#include "compile/proto.h"
#include "value/print.h"
#include "value/srcpos.h"

namespace valk {

namespace {

std::string describe_operand(const Proto* p, Op op, uint32_t ins, uint32_t extra) {
  switch (op) {
    case Op::CONST:
    case Op::NAME:
    case Op::MNAME:
    case Op::CLOSURE: {
      Value k = p->consts[operand(ins)];
      return is_obj(k, ObjType::kProto) ? "<proto>" : readable(k);
    }
    case Op::UPVAL:
      return "depth " + std::to_string(operand(ins) >> 12) + " slot " + std::to_string(operand(ins) & 0xfff) +
             " (" + readable(p->consts[extra]) + ")";
    case Op::UPEQ: return "depth " + std::to_string(operand(ins)) + " (" + readable(p->consts[extra]) + ")";
    case Op::ASSIGN_SLOT:
    case Op::LOCAL:
    case Op::SLOT: {
      uint32_t slot = operand(ins);
      return std::to_string(slot) + (slot < p->nslots ? " (" + std::string(p->params[slot]->name()) + ")" : "");
    }
    case Op::INT: return std::to_string(signed_operand(ins));
    case Op::CASEK: return readable(p->consts[extra]) + " -> " + std::to_string(operand(ins));
    default:
      break;
  }
  switch (kOpInfo[int(op)].format) {
    case OpFormat::F: {
      std::string a = std::to_string(fused_a(ins));
      if (fused_a(ins) < p->nslots) a += " (" + std::string(p->params[fused_a(ins)]->name()) + ")";
      std::string name = kOpInfo[int(op)].name;
      bool second_local = name.size() > 3 && name.substr(name.size() - 3) == "_LL";
      std::string b = std::to_string(fused_b(ins));
      if (second_local && uint32_t(fused_b(ins)) < p->nslots) {
        b += " (" + std::string(p->params[fused_b(ins)]->name()) + ")";
      }
      std::string s = a + ", " + b;
      if (name.rfind("IF", 0) == 0) s += " -> " + std::to_string(fused_target(extra));
      return s + "  [stub " + std::to_string(fused_stub(extra)) + "]";
    }
    case OpFormat::A:
    case OpFormat::X: return std::to_string(operand(ins));
    case OpFormat::S: return std::to_string(signed_operand(ins));
    case OpFormat::K: return std::to_string(small_k(ins)) + (small_first(ins) ? " (written first)" : "");
    case OpFormat::N: return "";
  }
  return "";
}

}  // namespace

std::string disassemble(const Proto* p, const SourceFiles& files, int indent) {
  std::string pad(size_t(indent), ' ');
  std::string out = pad;
  out += p->kind == ProtoKind::kLambda ? "lambda " : "chunk ";
  if (is_symbol(p->name)) out += std::string(p->name.as<Symbol>()->name()) + " ";
  if (!p->formals.is_undefined()) out += readable(p->formals) + " ";
  out += "(" + std::to_string(p->nparams) + " params, stack " + std::to_string(p->max_stack) + ")\n";
  SrcPos last;
  for (uint32_t pc = 0; pc < p->ncode;) {
    uint32_t ins = p->code[pc];
    Op op = op_of(ins);
    uint32_t extra = instruction_words(op) == 2 ? p->code[pc + 1] : 0;
    char head[64];
    std::snprintf(head, sizeof head, "%s%5u  %-10s", pad.c_str(), pc, kOpInfo[int(op)].name);
    std::string line = head;
    if (std::strlen(kOpInfo[int(op)].name) >= 10) line += ' ';  // DOTAILCALL 1, not DOTAILCALL1
    line += describe_operand(p, op, ins, extra);
    SrcPos pos = proto_pos_at(p, pc);
    if (pos.known() && !(pos == last)) {
      while (line.size() < pad.size() + 44) line += ' ';
      line += " ; " + files.format(pos);
      last = pos;
    }
    out += line + "\n";
    pc += uint32_t(instruction_words(op));
  }
  for (uint32_t i = 0; i < p->nconsts; ++i) {
    if (is_obj(p->consts[i], ObjType::kProto)) out += disassemble(p->consts[i].as<Proto>(), files, indent + 4);
  }
  return out;
}

}  // namespace valk
