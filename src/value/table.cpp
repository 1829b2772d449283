// table.cpp: the mutable hash table (see table.h). Open addressing probed as CPython's dict
// does (i = 5i + 1 + perturb, perturb >>= 5): with integers hashing to themselves, consecutive
// keys take consecutive slots, and the perturbation spreads keys that share their low bits.
// A deleted entry leaves a tombstone until the next resize.
#include "value/table.h"

#include <sys/mman.h>

#include <cstdint>
#include <cstdlib>
#include <string>

#include "value/equal.h"

namespace valk {

namespace {

constexpr uint64_t kInitialCapacity = 8;  // a power of two
constexpr int kPerturbShift = 5;

// Empty slots are all zero bits (no Value is), so a new slot array is fresh zeroed memory, never
// written here. A large one is mapped on its own with transparent huge pages asked for: filling
// a table of a million keys then faults in 2 MB pages instead of 4 KB ones (most of its system
// time before), and freeing it returns the memory at once.
const Value kEmpty = Value::from_bits(0);
// A key no Valk value can be: an immediate (low bits 100) the Value encoding leaves unused,
// private to tables. (0x1A, its word before flonums, is now a float of about 1.7e-77.)
const Value kTombstone = Value::from_bits(0x1C);
constexpr size_t kHugePage = size_t(2) << 20;

[[noreturn]] void out_of_memory() { std::abort(); }  // as operator new would

TableSlot* new_slots(uint64_t capacity) {
  size_t bytes = capacity * sizeof(TableSlot);
  if (bytes < kHugePage) {
    auto* s = static_cast<TableSlot*>(std::calloc(capacity, sizeof(TableSlot)));
    if (!s) out_of_memory();
    return s;
  }
  // Map one huge page more than needed and unmap the ends, so the array starts on a 2 MB
  // boundary (bytes is a power of two at least 2 MB, hence a multiple of it).
  size_t mapped = bytes + kHugePage;
  void* p = mmap(nullptr, mapped, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED) out_of_memory();
  auto start = reinterpret_cast<uintptr_t>(p);
  uintptr_t aligned = (start + kHugePage - 1) & ~(uintptr_t(kHugePage) - 1);
  if (aligned > start) munmap(p, aligned - start);
  if (size_t tail = start + mapped - (aligned + bytes)) munmap(reinterpret_cast<void*>(aligned + bytes), tail);
  madvise(reinterpret_cast<void*>(aligned), bytes, MADV_HUGEPAGE);  // a hint: ignored where unsupported
  return reinterpret_cast<TableSlot*>(aligned);
}

void free_slots(TableSlot* slots, uint64_t capacity) {
  size_t bytes = capacity * sizeof(TableSlot);
  if (bytes < kHugePage) {
    std::free(slots);
  } else {
    munmap(slots, bytes);
  }
}

bool same_key(Value a, Value b) {
  return a == b || (!(a.is_fixnum() && b.is_fixnum()) && a != kTombstone && values_equal(a, b));
}

// The slot holding key, else the slot where it would go (the first tombstone on its path, or
// the empty slot that ends the path).
TableSlot* find(const Table* t, Value key, uint64_t hash) {
  uint64_t mask = t->capacity - 1;
  uint64_t perturb = hash;
  TableSlot* free_slot = nullptr;
  for (uint64_t i = hash & mask;; i = (5 * i + 1 + perturb) & mask) {
    TableSlot* s = &t->slots[i];
    if (s->key == kEmpty) return free_slot ? free_slot : s;
    if (s->key == kTombstone) {
      if (!free_slot) free_slot = s;
    } else if (same_key(s->key, key)) {
      return s;
    }
    perturb >>= kPerturbShift;
  }
}

void grow(Heap& heap, Table* t) {
  TableSlot* old = t->slots;
  uint64_t old_capacity = t->capacity;
  // Double when live entries need it; the same size when tombstones filled it.
  if (2 * (t->count + 1) > t->capacity) t->capacity *= 2;
  t->slots = new_slots(t->capacity);
  heap.count_outside_bytes(ptrdiff_t((t->capacity - old_capacity) * sizeof(TableSlot)));
  t->used = t->count;
  t->holds_objects = false;  // entries deleted since may have held the last objects
  for (uint64_t i = 0; i < old_capacity; ++i) {
    if (old[i].key == kEmpty || old[i].key == kTombstone) continue;
    *find(t, old[i].key, hash_value(old[i].key)) = old[i];
    t->holds_objects |= old[i].key.is_object() || old[i].value.is_object();
  }
  free_slots(old, old_capacity);
}

}  // namespace

size_t finalize_table(Object* o) {
  auto* t = static_cast<Table*>(o);
  free_slots(t->slots, t->capacity);
  return t->capacity * sizeof(TableSlot);  // counted as the table grew
}

Value table_new(Heap& heap) {
  auto* t = static_cast<Table*>(heap.alloc_old(sizeof(Table), ObjType::kTable));
  t->capacity = kInitialCapacity;
  t->count = 0;
  t->used = 0;
  t->holds_objects = false;
  t->slots = new_slots(kInitialCapacity);
  heap.count_outside_bytes(ptrdiff_t(kInitialCapacity * sizeof(TableSlot)));
  return Value::object(t);
}

Value table_get(Value table, Value key) {
  auto* t = table.as<Table>();
  TableSlot* s = find(t, key, hash_value(key));
  return s->value == kEmpty ? Value::undefined() : s->value;  // empty slots and tombstones
}

void table_set(Heap& heap, Value table, Value key, Value value) {
  auto* t = table.as<Table>();
  // Live entries and tombstones at most half the slots: probe paths stay short.
  if (2 * (t->used + 1) > t->capacity) grow(heap, t);
  TableSlot* s = find(t, key, hash_value(key));
  if (s->key == kEmpty || s->key == kTombstone) {
    if (s->key == kEmpty) ++t->used;
    s->key = key;
    ++t->count;
  }
  s->value = value;
  t->holds_objects |= key.is_object() || value.is_object();
  heap.write_barrier(t, key);
  heap.write_barrier(t, value);
}

bool table_delete(Value table, Value key) {
  auto* t = table.as<Table>();
  TableSlot* s = find(t, key, hash_value(key));
  if (s->key == kEmpty || s->key == kTombstone) return false;
  *s = TableSlot{kTombstone, kEmpty};
  --t->count;
  return true;
}

void table_print(std::string& out, Value v, bool) {
  out += "<table of " + std::to_string(table_count(v)) + ">";
}

}  // namespace valk
