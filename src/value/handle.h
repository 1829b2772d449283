// handle.h: Handles, the Valk values that refer to host objects owned by C++ (an open File of
// fs/open; the aio loop, an HTTP server, a client, a request of the original's http2/
// builtins). The HostRef is deleted with the Handle.
#pragma once

#include "gc/heap.h"
#include "value/object.h"

namespace valk {

// A new Handle owning ref (allocated old: its finalizer runs when it dies). Does not collect.
inline Value make_handle(Heap& heap, HostRef* ref) {
  auto* h = static_cast<Handle*>(heap.alloc_old(sizeof(Handle), ObjType::kHandle));
  h->ref = ref;
  return Value::object(h);
}
// The HostRef of v when v is a Handle whose ref is a T, else null.
template <class T>
T* handle_ref(Value v) {
  return is_handle(v) ? dynamic_cast<T*>(v.as<Handle>()->ref) : nullptr;
}
// The global `aio` that the original's http2/ builtins take: a token for the VM's event loop.
// Here rather than with those builtins because the VM makes it at start-up, and with nothing in
// another file to run, start-up does not page in the HTTP code.
struct AioRef : HostRef {
  const char* kind() const override { return "Aio"; }
};
// Drops a collected handle's reference to its host object (the VM gives it to Heap::set_finalizer).
size_t finalize_handle(Object* o);

}  // namespace valk
