// heap.h: the garbage-collected heap: a bump-allocated nursery, an old space of size-class slabs
// and large objects, a remembered set fed by the write barrier, and statistics.
// Collection happens only when the VM asks for it at a safe point; allocation never collects.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "gc/poison.h"
#include "gc/poll.h"
#include "value/object.h"

namespace valk {

// Exit status when the machine refuses memory (EX_OSERR of sysexits.h: an operating-system error).
inline constexpr int kExitOutOfMemory = 71;
// Prints "valk: out of memory: cannot allocate N bytes for WHAT" and ends the process.
[[noreturn]] void allocation_failed(const char* what, size_t bytes);

// What the collector needs from its owner: every slot that holds a root.
class RootVisitor {
 public:
  virtual void visit_range(Value* begin, Value* end) = 0;
  void visit(Value& v) { visit_range(&v, &v + 1); }

 protected:
  ~RootVisitor() = default;
};

class RootSource {
 public:
  // Visits every root; with young_only (a minor collection) the owner may skip roots it knows
  // hold no young value since the last collection.
  virtual void trace_roots(RootVisitor& visitor, bool young_only) = 0;

 protected:
  ~RootSource() = default;
};

struct HeapConfig {
  size_t nursery_bytes;  // size of the nursery chunk (the most it is allowed to use)
  size_t heap_limit;     // 0: unlimited; else "out of memory" past it
  bool stress;           // collect at every safe point
  bool verify;           // check heap invariants after every collection
  // How much of the nursery is used at first (0: all of it). It doubles after each minor
  // collection that promotes more than 1/kNurseryGrowthShare of it, up to nursery_bytes: a
  // program that allocates little, or whose young objects die young, never touches the rest.
  size_t nursery_start = 0;
};

struct GcStats {
  uint64_t minor_count = 0;
  uint64_t major_count = 0;
  uint64_t minor_pause_total_us = 0;
  uint64_t minor_pause_max_us = 0;
  uint64_t major_pause_total_us = 0;
  uint64_t major_pause_max_us = 0;
  uint64_t bytes_allocated = 0;  // since start, young and old
  uint64_t bytes_promoted = 0;   // copied from the nursery to the old space, since start
  uint64_t live_after_last = 0;  // old-space bytes in use after the last collection
};

class Heap {
 public:
  explicit Heap(const HeapConfig& config);
  ~Heap();
  Heap(const Heap&) = delete;
  Heap& operator=(const Heap&) = delete;

  // A young object of `bytes` (a multiple of 8, at least 16) with its header set. Never fails
  // and never collects. Large requests, and requests made once the nursery is full (no
  // collection can run before the next safe point), are served from the old space: the caller
  // must call finish(o) once it has filled the object's fields.
  Object* alloc(size_t bytes, ObjType type) {
    bytes = round_size(bytes);
    if (bytes < limits::kLargeObjectBytes && bytes <= size_t(nursery_end_ - nursery_top_)) {
      Object* o = reinterpret_cast<Object*>(nursery_top_);
      nursery_top_ += bytes;
      heap_unpoison(o, bytes);
      stats_.bytes_allocated += bytes;
      set_header(o, type, 0);
      return o;
    }
    return alloc_slow(bytes, type);
  }
  // A young object (when the nursery has room) of a type with a finalizer: a minor collection
  // runs the finalizer if the object died young, so short-lived owners of outside memory (a
  // fiber that ends at once) cost no old-space cell. Callers must call finish(o) as for alloc.
  Object* alloc_finalized(size_t bytes, ObjType type) {
    Object* o = alloc(bytes, type);
    if (!(o->gc & gcbit::kOld)) young_finalized_.push_back(o);
    return o;
  }
  // An object in the old space from the start (it never moves). It is put in the remembered set,
  // since its creator is about to store possibly-young values into it.
  Object* alloc_old(size_t bytes, ObjType type);

  // Call once a newly allocated object's fields are set: an object that was allocated old
  // (see alloc) and holds young values goes into the remembered set.
  void finish(Object* o) {
    if (__builtin_expect((o->gc & gcbit::kOld) != 0, 0)) remember_if_young_fields(o);
  }

  static bool is_young(Value v) {
    return v.is_object() && (v.obj()->gc & (gcbit::kOld | gcbit::kImmortal)) == 0;
  }
  // Call after storing `stored` into `holder` once holder was constructed.
  void write_barrier(Object* holder, Value stored) {
    if ((holder->gc & (gcbit::kOld | gcbit::kImmortal)) && is_young(stored) &&
        !(holder->gc & gcbit::kRemembered)) {
      remember(holder);
    }
  }

  // True when the owner should collect at its next safe point.
  bool collection_wanted() const { return collection_wanted_; }
  // Collects: minor unless the old space has grown past its trigger (or `full`).
  void collect(RootSource& roots, bool full);
  // True when `bytes` more of live data would pass the heap limit (for big allocations that
  // happen outside a safe point, such as the reader's strings).
  bool would_pass_limit(size_t bytes) const;
  // True once the heap limit was passed and a collection could not get back under it.
  bool out_of_memory() const { return out_of_memory_; }
  void clear_out_of_memory() { out_of_memory_ = false; }

  // Checks every invariant of a quiescent heap (after a collection): objects reachable from the
  // roots are valid, none is young or forwarded, free lists are well formed. Returns an empty
  // string when all hold, else a description of the first violation.
  std::string verify(RootSource& roots);

  const GcStats& stats() const { return stats_; }
  const HeapConfig& config() const { return config_; }
  size_t heap_bytes() const;  // old space committed + large objects + nursery
  size_t nursery_bytes() const { return config_.nursery_bytes; }
  size_t nursery_in_use_bytes() const { return nursery_active_; }  // grows up to nursery_bytes()
  size_t old_bytes_in_use() const { return old_in_use_; }
  // Memory that objects own outside the heap (a string builder's bytes): counted as live data,
  // so that growing it brings the next major collection nearer (and past the heap limit is out
  // of memory), and uncounted by the finalizer that frees it.
  void count_outside_bytes(ptrdiff_t delta);
  void set_stress(bool on) {
    config_.stress = on;
    if (on) request_collection();
  }
  // The word the owner polls at safe points; the heap raises `bit` in it when it wants to collect.
  void set_poll(PollWord poll) {
    poll_ = poll;
    if (collection_wanted_) poll_.raise();
  }

  static size_t round_size(size_t bytes) {
    bytes = (bytes + 7) & ~size_t(7);
    return bytes < 16 ? 16 : bytes;
  }
  static size_t object_size(const Object* o);

  // Code run when the collector frees an object of `type` that owns memory outside the heap;
  // it returns how much of that memory was counted with count_outside_bytes. Per heap (so per
  // VM): isolates on other threads have their own table.
  using Finalizer = size_t (*)(Object*);
  void set_finalizer(ObjType type, Finalizer fn) { finalizers_[size_t(type)] = fn; }
  Finalizer finalizer(ObjType type) const { return finalizers_[size_t(type)]; }
  // Adds an old object to the remembered set (its fields were written without the barrier:
  // a suspended fiber's stacks), so the next minor collection scans it.
  void remember_old(Object* o) {
    if ((o->gc & gcbit::kOld) && !(o->gc & gcbit::kRemembered)) remember(o);
  }

 private:
  struct Page;
  struct SizeClass {
    uint32_t cell_bytes = 0;
    Object* free_list = nullptr;
    Page* current = nullptr;  // page being carved by bumping
    std::vector<Page*> pages;
  };

  static void set_header(Object* o, ObjType type, uint8_t gc) {
    o->type = type;
    o->gc = gc;
    o->flags = 0;
    o->aux = 0;
  }
  Object* alloc_slow(size_t bytes, ObjType type);
  Object* alloc_in_old_space(size_t bytes);
  Object* alloc_large(size_t bytes);
  Page* new_page(SizeClass& sc);
  void remember(Object* o);
  void remember_if_young_fields(Object* o);
  void request_collection() {
    collection_wanted_ = true;
    poll_.raise();
  }

  void minor(RootSource& roots);
  void major(RootSource& roots);
  void evacuate(Value& slot);
  void sweep();
  void sweep_class(SizeClass& sc);
  void sweep_large();
  void reset_nursery();
  void finalize_dead_young();
  void finalize(Object* o) {
    if (o->type != ObjType::kFree && finalizers_[size_t(o->type)]) outside_bytes_ -= finalizers_[size_t(o->type)](o);
  }
  void update_trigger();
  // What counts towards the major trigger and the heap limit.
  size_t live_bytes() const { return old_in_use_ + large_bytes_ + outside_bytes_; }
  void check_limit();

  HeapConfig config_;
  GcStats stats_;
  char* nursery_top_ = nullptr;
  char* nursery_end_ = nullptr;
  char* nursery_begin_ = nullptr;
  size_t nursery_active_ = 0;  // the part of the nursery chunk allocated from (HeapConfig::nursery_start)
  std::vector<SizeClass> classes_;
  std::vector<uint8_t> class_of_size_;  // (bytes / 8) -> class index
  std::vector<Object*> large_;
  std::vector<Object*> remembered_;
  std::vector<Object*> young_finalized_;  // nursery objects with a finalizer (alloc_finalized)
  std::vector<Object*> gray_;  // marking worklist, and the scan list of a minor collection
  size_t old_in_use_ = 0;      // bytes of live-or-unswept old objects
  size_t old_committed_ = 0;   // bytes of slab pages
  size_t large_bytes_ = 0;
  size_t outside_bytes_ = 0;  // count_outside_bytes
  size_t major_trigger_ = 0;
  bool collection_wanted_ = false;
  bool out_of_memory_ = false;
  bool in_collection_ = false;
  uint64_t allocated_at_major_ = 0;
  PollWord poll_;
  Finalizer finalizers_[size_t(ObjType::kCount)] = {};
};


// Calls f(Value&) for every reference an object holds.
template <class F>
void trace_fields(Object* o, F&& f);

}  // namespace valk

#include "gc/trace.h"
