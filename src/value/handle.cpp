// handle.cpp: freeing the host objects of Handles when the collector frees them.
#include "value/handle.h"

namespace valk {

size_t finalize_handle(Object* o) {
  auto* h = static_cast<Handle*>(o);
  delete h->ref;
  h->ref = nullptr;
  return 0;
}

}  // namespace valk
