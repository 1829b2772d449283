// handle.h: Handles, the Valk values that refer to host objects owned by C++ (an open File of
// fs/open; the aio loop, an HTTP server, a client, a request of the original's http2/
// builtins). The HostRef is deleted with the Handle.
#pragma once

#include "gc/heap.h"
#include "value/object.h"

namespace valk {

// A new Handle owning ref (allocated old: its finalizer runs when it dies). Does not collect.
Value make_handle(Heap& heap, HostRef* ref);
// The HostRef of v when v is a Handle whose ref is a T, else null.
template <class T>
T* handle_ref(Value v) {
  return is_handle(v) ? dynamic_cast<T*>(v.as<Handle>()->ref) : nullptr;
}
void register_handle_finalizer(Heap& heap);

}  // namespace valk
