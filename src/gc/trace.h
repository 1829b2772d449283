// trace.h: which fields of each object type hold references. The one place that knows, used by
// the minor collection (to evacuate), the major collection (to mark) and the heap verifier. A
// switch, not a hook in the type's row (value/types.h): it is the collector's inner loop, and
// -Werror=switch makes a new type's missing case a compile error.
#pragma once

#include "value/object.h"
#include "vm/fiber.h"

namespace valk {

template <class F>
void trace_fields(Object* o, F&& f) {
  switch (o->type) {
    case ObjType::kCons: {
      auto* c = static_cast<Cons*>(o);
      f(c->car);
      f(c->cdr);
      if (o->flags & consflag::kHasSource) f(static_cast<SourceCons*>(o)->code);
      break;
    }
    case ObjType::kSymbol:
      f(static_cast<Symbol*>(o)->global);
      break;
    case ObjType::kClosure: {
      auto* c = static_cast<Closure*>(o);
      f(c->proto);
      f(c->env);
      break;
    }
    case ObjType::kPartial: {
      auto* p = static_cast<Partial*>(o);
      f(p->fn);
      for (uint32_t i = 0; i < o->aux; ++i) f(p->args()[i]);
      break;
    }
    case ObjType::kProto: {
      auto* p = static_cast<Proto*>(o);
      f(p->formals);
      f(p->body);
      f(p->name);
      for (uint32_t i = 0; i < p->nconsts; ++i) f(p->consts[i]);
      break;
    }
    case ObjType::kEnv: {
      auto* e = static_cast<Env*>(o);
      f(e->proto);
      f(e->parent);
      f(e->extras);
      for (uint32_t i = 0; i < o->aux; ++i) f(e->slots()[i]);
      break;
    }
    case ObjType::kBinding: {
      auto* b = static_cast<Binding*>(o);
      f(b->value);
      f(b->next);
      break;
    }
    case ObjType::kResidue: {
      auto* r = static_cast<Residue*>(o);
      f(r->next);
      f(r->value);
      break;
    }
    case ObjType::kRecord: {
      auto* r = static_cast<Record*>(o);
      f(r->desc);
      for (uint32_t i = 0; i < o->aux; ++i) f(r->fields()[i]);
      break;
    }
    case ObjType::kError: {
      auto* e = static_cast<ErrorObj*>(o);
      f(e->message);
      f(e->trace);
      f(e->data);
      f(e->frames);
      break;
    }
    case ObjType::kFuture: {
      auto* u = static_cast<Future*>(o);
      f(u->value);
      f(u->waiters);
      f(u->fiber);
      break;
    }
    case ObjType::kFiber: {
      // A suspended fiber's stacks, exactly; a running fiber's are in the VM (traced as roots).
      auto* fb = static_cast<FiberObj*>(o);
      f(fb->future);
      f(fb->awaiting);
      if (fb->stacks) fb->stacks->trace(f);
      break;
    }
    case ObjType::kDict:
      f(static_cast<Dict*>(o)->root);
      break;
    case ObjType::kDictNode: {
      auto* n = static_cast<DictNode*>(o);
      for (uint32_t i = 0, size = 2 * n->size(); i < size; ++i) f(n->pairs()[i]);
      break;
    }
    case ObjType::kTable: {
      auto* t = static_cast<Table*>(o);
      for (uint64_t i = 0; t->holds_objects && i < t->capacity; ++i) {
        if (t->slots[i].value.bits() == 0) continue;  // empty, or a tombstone
        f(t->slots[i].key);
        f(t->slots[i].value);
      }
      break;
    }
    case ObjType::kFree:
    case ObjType::kInt:
    case ObjType::kFloat:
    case ObjType::kString:
    case ObjType::kStrBuilder:
    case ObjType::kHandle:  // its HostRef keeps Valk values through Loop::keep, not in the object
    case ObjType::kBuiltin:
    case ObjType::kCount:
      break;
  }
}

}  // namespace valk
