// proto.cpp: allocation, finalization and queries of compiled prototypes.
#include "compile/proto.h"

#include <algorithm>
#include <atomic>

namespace valk {

size_t finalize_proto(Object* o) {
  auto* p = static_cast<Proto*>(o);
  delete p->extra;
  p->extra = nullptr;
  return 0;
}

Proto* make_proto(Heap& heap, ProtoKind kind, ProtoExtra* extra, uint32_t max_stack) {
  auto* p = static_cast<Proto*>(heap.alloc_old(sizeof(Proto), ObjType::kProto));
  p->nparams = uint16_t(extra->params.size());
  p->nrequired = p->nparams;
  p->nslots = p->nparams;
  p->kind = kind;
  p->pflags = 0;
  p->module = 0;
  p->ntry = 0;
  p->max_stack = max_stack;
  p->held_mask = 0;
  p->ncode = uint32_t(extra->code.size());
  p->nconsts = uint32_t(extra->consts.size());
  p->code = extra->code.data();
  p->consts = extra->consts.data();
  p->params = extra->params.data();
  p->intrinsic = nullptr;
  p->update_direct_nargs();
  p->formals = Value::undefined();
  p->body = Value::undefined();
  p->name = Value::undefined();
  p->extra = extra;
  static std::atomic<uint64_t> last_id{0};
  extra->id = last_id.fetch_add(1, std::memory_order_relaxed) + 1;
  return p;
}

SrcPos proto_pos_at(const Proto* p, uint32_t pc) {
  const auto& lines = p->extra->lines;
  auto it = std::upper_bound(lines.begin(), lines.end(), pc,
                             [](uint32_t target, const LineEntry& e) { return target < e.pc; });
  if (it == lines.begin()) return p->extra->pos;
  return std::prev(it)->pos;
}

const InlineSite* proto_site_at(const Proto* p, uint32_t op_pc) {
  const auto& sites = p->extra->sites;
  auto it = std::lower_bound(sites.begin(), sites.end(), op_pc,
                             [](const InlineSite& s, uint32_t target) { return s.op_pc < target; });
  if (it == sites.end() || it->op_pc != op_pc) return nullptr;
  return &*it;
}

}  // namespace valk
