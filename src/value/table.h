// table.h: mutable hash tables, the explicitly mutable companion of the persistent Dict for hot
// loops. Open addressing probed as CPython's dict, tombstones for deletions; the slot array lives
// outside the collected heap (freed by the table's finalizer), the Table object in the old space
// from birth (it never moves, so identity hashing of a table is stable), and every store goes
// through the write barrier. Keys compare with values_equal and hash with hash_value.
#pragma once

#include <cstdint>

#include "gc/heap.h"
#include "value/object.h"

namespace valk {

Value table_new(Heap& heap);
// The value bound to key, or undefined.
Value table_get(Value table, Value key);
void table_set(Heap& heap, Value table, Value key, Value value);
// True when key was there.
bool table_delete(Value table, Value key);
inline uint64_t table_count(Value t) { return t.as<Table>()->count; }

template <class F>
void table_for_each(Value table, F&& f) {
  auto* t = table.as<Table>();
  for (uint64_t i = 0; i < t->capacity; ++i) {
    if (t->slots[i].value.bits() != 0) f(t->slots[i].key, t->slots[i].value);  // skips empty slots and tombstones
  }
}

// Frees a collected table's storage (the VM gives it to Heap::set_finalizer).
size_t finalize_table(Object* o);
void table_print(std::string& out, Value v, bool display);

}  // namespace valk
