// handle.cpp: making Handles and freeing their host objects when the collector frees them.
#include "value/handle.h"

namespace valk {

namespace {
void finalize_handle(Object* o) {
  auto* h = static_cast<Handle*>(o);
  delete h->ref;
  h->ref = nullptr;
}
}  // namespace

Value make_handle(Heap& heap, HostRef* ref) {
  auto* h = static_cast<Handle*>(heap.alloc_old(sizeof(Handle), ObjType::kHandle));
  h->ref = ref;
  return Value::object(h);
}

void register_handle_finalizer(Heap& heap) { heap.set_finalizer(ObjType::kHandle, finalize_handle); }

}  // namespace valk
