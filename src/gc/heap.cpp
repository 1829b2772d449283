// heap.cpp: allocation, the minor (evacuating) and major (mark & sweep) collections, and the
// heap verifier. See docs/MEMORY.md for the design and heap.h for the contract.
#include "gc/heap.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <unordered_set>

#include "config/limits.h"
#include "value/types.h"

namespace valk {

namespace {

// Cell sizes of the old space's size classes; objects above the last go to the large space.
constexpr uint32_t kClassSizes[] = {16,  24,  32,  40,  48,  56,   64,   80,   96,   112,
                                    128, 160, 192, 224, 256, 320,  384,  448,  512,  640,
                                    768, 896, 1024, 1280, 1536, 1792, 2048};
constexpr size_t kClassCount = sizeof(kClassSizes) / sizeof(kClassSizes[0]);
static_assert(kClassSizes[kClassCount - 1] == limits::kLargeObjectBytes);

uint64_t now_us() {
  using namespace std::chrono;
  return uint64_t(duration_cast<microseconds>(steady_clock::now().time_since_epoch()).count());
}

Object* free_next(Object* cell) { return *reinterpret_cast<Object**>(reinterpret_cast<char*>(cell) + 8); }
void set_free_next(Object* cell, Object* next) {
  *reinterpret_cast<Object**>(reinterpret_cast<char*>(cell) + 8) = next;
}
Value& forward_slot(Object* o) { return *reinterpret_cast<Value*>(reinterpret_cast<char*>(o) + 8); }

}  // namespace

void allocation_failed(const char* what, size_t bytes) {
  // The machine refused memory: nothing can go on, but say what failed (stdout first, so that
  // what the program printed comes out before the message).
  std::fflush(stdout);
  std::fprintf(stderr, "valk: out of memory: cannot allocate %zu bytes for %s\n", bytes, what);
  std::_Exit(kExitOutOfMemory);
}

bool Heap::would_pass_limit(size_t bytes) const {
  return config_.heap_limit != 0 && live_bytes() + bytes > config_.heap_limit;
}

struct Heap::Page {
  uint32_t cell_bytes;
  uint32_t ncells;
  uint32_t carved;  // cells handed out by bumping so far; the rest were never used
  uint32_t live;    // live cells after the last sweep
  static constexpr size_t kHeader = 16;
  char* cell(uint32_t i) { return reinterpret_cast<char*>(this) + kHeader + size_t(i) * cell_bytes; }
};

Heap::Heap(const HeapConfig& config) : config_(config) {
  if (config_.nursery_bytes < limits::kMinNurseryBytes) config_.nursery_bytes = limits::kMinNurseryBytes;
  config_.nursery_bytes = round_size(config_.nursery_bytes);
  nursery_active_ = config_.nursery_start == 0
                        ? config_.nursery_bytes
                        : std::clamp(round_size(config_.nursery_start), limits::kMinNurseryBytes, config_.nursery_bytes);
  classes_.resize(kClassCount);
  class_of_size_.assign(limits::kLargeObjectBytes / 8 + 1, 0);
  size_t c = 0;
  for (size_t words = 0; words <= limits::kLargeObjectBytes / 8; ++words) {
    while (kClassSizes[c] < words * 8) ++c;
    class_of_size_[words] = uint8_t(c);
  }
  for (size_t i = 0; i < kClassCount; ++i) classes_[i].cell_bytes = kClassSizes[i];
  nursery_begin_ = static_cast<char*>(std::malloc(config_.nursery_bytes));
  if (!nursery_begin_) allocation_failed("the nursery (--nursery)", config_.nursery_bytes);
  reset_nursery();
  major_trigger_ = limits::kMinOldSpaceTrigger;
  collection_wanted_ = config_.stress;
}

Heap::~Heap() {
  for (auto& sc : classes_) {
    for (Page* p : sc.pages) {
      for (uint32_t i = 0; i < p->carved; ++i) {
        auto* o = reinterpret_cast<Object*>(p->cell(i));
        finalize(o);
      }
      std::free(p);
    }
  }
  for (Object* o : large_) {
    finalize(o);
    std::free(o);
  }
  // Of the nursery's objects only those made by alloc_finalized own outside memory.
  for (Object* o : young_finalized_) finalize(o);
  std::free(nursery_begin_);
}

size_t Heap::object_size(const Object* o) {
  auto size = type_info(o->type).size;
  return size ? size(o) : 16;  // symbols and builtins are never copied nor swept
}

// ---- allocation ----------------------------------------------------------------------------

Object* Heap::alloc_slow(size_t bytes, ObjType type) {
  Object* o;
  if (bytes >= limits::kLargeObjectBytes) {
    o = alloc_large(bytes);
    set_header(o, type, gcbit::kOld | gcbit::kLarge);
  } else {
    // The nursery is full between safe points: serve the request from the old space until the
    // collection the VM will run at its next safe point. (Chaining more nursery would let one
    // builtin that builds a huge list turn into one huge minor pause.)
    o = alloc_in_old_space(bytes);
    set_header(o, type, gcbit::kOld);
    request_collection();
  }
  stats_.bytes_allocated += bytes;
  if (live_bytes() > major_trigger_) request_collection();
  return o;
}

void Heap::remember_if_young_fields(Object* o) {
  if (o->gc & gcbit::kRemembered) return;
  bool young = false;
  trace_fields(o, [&](Value& v) { young = young || is_young(v); });
  if (young) remember(o);
}

Object* Heap::alloc_old(size_t bytes, ObjType type) {
  bytes = round_size(bytes);
  Object* o;
  if (bytes >= limits::kLargeObjectBytes) {
    o = alloc_large(bytes);
    set_header(o, type, gcbit::kOld | gcbit::kLarge);
  } else {
    o = alloc_in_old_space(bytes);
    set_header(o, type, gcbit::kOld);
  }
  remember(o);
  stats_.bytes_allocated += bytes;
  if (live_bytes() > major_trigger_) request_collection();
  return o;
}

Object* Heap::alloc_large(size_t bytes) {
  auto* o = static_cast<Object*>(std::malloc(bytes));
  if (!o) allocation_failed("a large object", bytes);
  large_.push_back(o);
  large_bytes_ += bytes;
  if (!in_collection_ && live_bytes() > major_trigger_) request_collection();
  return o;
}

Heap::Page* Heap::new_page(SizeClass& sc) {
  auto* p = static_cast<Page*>(std::malloc(limits::kSlabPageBytes));
  if (!p) allocation_failed("a page of the old space", limits::kSlabPageBytes);
  p->cell_bytes = sc.cell_bytes;
  p->ncells = uint32_t((limits::kSlabPageBytes - Page::kHeader) / sc.cell_bytes);
  p->carved = 0;
  p->live = 0;
  heap_poison(p->cell(0), limits::kSlabPageBytes - Page::kHeader);  // nothing carved yet
  sc.pages.push_back(p);
  old_committed_ += limits::kSlabPageBytes;
  return p;
}

Object* Heap::alloc_in_old_space(size_t bytes) {
  SizeClass& sc = classes_[class_of_size_[bytes / 8]];
  old_in_use_ += sc.cell_bytes;
  Object* cell = sc.free_list;
  if (cell) {
    sc.free_list = free_next(cell);
  } else {
    if (!sc.current || sc.current->carved == sc.current->ncells) sc.current = new_page(sc);
    cell = reinterpret_cast<Object*>(sc.current->cell(sc.current->carved++));
  }
  // The object's size rounded as alloc rounds it (evacuate passes object_size unrounded); the
  // rest of the cell stays poisoned.
  heap_unpoison(cell, round_size(bytes));
  return cell;
}

void Heap::remember(Object* o) {
  o->gc |= gcbit::kRemembered;
  remembered_.push_back(o);
}

size_t Heap::heap_bytes() const { return old_committed_ + large_bytes_ + config_.nursery_bytes; }

// ---- collection ----------------------------------------------------------------------------

void Heap::count_outside_bytes(ptrdiff_t delta) {
  outside_bytes_ += size_t(delta);  // a negative delta wraps back: the sum stays exact
  if (delta > 0 && !in_collection_ && live_bytes() > major_trigger_) request_collection();
}

void Heap::collect(RootSource& roots, bool full) {
  uint64_t stress_step = stats_.live_after_last > limits::kStressMajorBytes ? stats_.live_after_last
                                                                           : limits::kStressMajorBytes;
  bool major_due = full || live_bytes() > major_trigger_ ||
                   (config_.stress && stats_.bytes_allocated - allocated_at_major_ > stress_step);
  uint64_t start = now_us();
  if (major_due) {
    allocated_at_major_ = stats_.bytes_allocated;
    major(roots);
    uint64_t pause = now_us() - start;
    stats_.major_count++;
    stats_.major_pause_total_us += pause;
    if (pause > stats_.major_pause_max_us) stats_.major_pause_max_us = pause;
  } else {
    minor(roots);
    uint64_t pause = now_us() - start;
    stats_.minor_count++;
    stats_.minor_pause_total_us += pause;
    if (pause > stats_.minor_pause_max_us) stats_.minor_pause_max_us = pause;
  }
  stats_.live_after_last = live_bytes();
  collection_wanted_ = config_.stress;
  if (!collection_wanted_) poll_.lower();
  check_limit();
}

void Heap::check_limit() {
  if (config_.heap_limit == 0) return;
  out_of_memory_ = live_bytes() > config_.heap_limit;
}

void Heap::reset_nursery() {
  nursery_top_ = nursery_begin_;
  nursery_end_ = nursery_begin_ + nursery_active_;
  heap_poison(nursery_begin_, config_.nursery_bytes);  // alloc unpoisons what it hands out
}

void Heap::evacuate(Value& slot) {
  if (!slot.is_object()) return;
  Object* o = slot.obj();
  if (o->gc & (gcbit::kOld | gcbit::kImmortal)) return;
  if (o->gc & gcbit::kForwarded) {
    slot = forward_slot(o);
    return;
  }
  size_t bytes = object_size(o);
  Object* copy = alloc_in_old_space(bytes);
  std::memcpy(copy, o, bytes);
  copy->gc = gcbit::kOld;
  o->gc = gcbit::kForwarded;
  forward_slot(o) = Value::object(copy);
  stats_.bytes_promoted += bytes;
  gray_.push_back(copy);
  slot = Value::object(copy);
}

namespace {
class EvacuatingVisitor final : public RootVisitor {
 public:
  explicit EvacuatingVisitor(Heap& heap, void (Heap::*fn)(Value&)) : heap_(heap), fn_(fn) {}
  void visit_range(Value* begin, Value* end) override {
    for (Value* v = begin; v != end; ++v) (heap_.*fn_)(*v);
  }

 private:
  Heap& heap_;
  void (Heap::*fn_)(Value&);
};
}  // namespace

void Heap::minor(RootSource& roots) {
  in_collection_ = true;
  uint64_t promoted_before = stats_.bytes_promoted;
  EvacuatingVisitor visitor(*this, &Heap::evacuate);
  roots.trace_roots(visitor, true);
  for (Object* o : remembered_) {
    o->gc &= uint8_t(~gcbit::kRemembered);
    trace_fields(o, [this](Value& v) { evacuate(v); });
  }
  remembered_.clear();
  while (!gray_.empty()) {
    Object* o = gray_.back();
    gray_.pop_back();
    trace_fields(o, [this](Value& v) { evacuate(v); });
  }
  // Young objects that survive are promoted and die old (a major collection's work): when many
  // survive, the nursery is too small for the program's objects to die young in, so it grows.
  if ((stats_.bytes_promoted - promoted_before) * limits::kNurseryGrowthShare > nursery_active_) {
    nursery_active_ = std::min(nursery_active_ * 2, config_.nursery_bytes);
  }
  finalize_dead_young();
  reset_nursery();
  in_collection_ = false;
}

void Heap::finalize_dead_young() {
  // A copied object is old now (the sweep finalizes it when it dies); one left behind is dead.
  for (Object* o : young_finalized_) {
    if (!(o->gc & gcbit::kForwarded)) finalize(o);
  }
  young_finalized_.clear();
}

namespace {
class MarkingVisitor final : public RootVisitor {
 public:
  explicit MarkingVisitor(std::vector<Object*>& gray) : gray_(gray) {}
  void visit_range(Value* begin, Value* end) override {
    for (Value* v = begin; v != end; ++v) mark(*v);
  }
  void mark(Value v) {
    if (!v.is_object()) return;
    Object* o = v.obj();
    if (o->gc & (gcbit::kMarked | gcbit::kImmortal)) return;
    o->gc |= gcbit::kMarked;
    gray_.push_back(o);
  }

 private:
  std::vector<Object*>& gray_;
};
}  // namespace

void Heap::major(RootSource& roots) {
  minor(roots);  // empties the nursery: from here on every object is old and none moves
  in_collection_ = true;
  MarkingVisitor marker(gray_);
  roots.trace_roots(marker, false);
  while (!gray_.empty()) {
    Object* o = gray_.back();
    gray_.pop_back();
    trace_fields(o, [&marker](Value& v) { marker.mark(v); });
  }
  sweep();
  update_trigger();
  in_collection_ = false;
}

void Heap::sweep() {
  old_in_use_ = 0;
  old_committed_ = 0;
  for (auto& sc : classes_) sweep_class(sc);
  sweep_large();
}

void Heap::sweep_class(SizeClass& sc) {
  sc.free_list = nullptr;
  std::vector<Page*> kept;
  kept.reserve(sc.pages.size());
  for (Page* p : sc.pages) {
    Object* page_free = nullptr;
    uint32_t live = 0;
    for (uint32_t i = 0; i < p->carved; ++i) {
      auto* o = reinterpret_cast<Object*>(p->cell(i));
      if (o->type != ObjType::kFree && (o->gc & gcbit::kMarked)) {
        o->gc &= uint8_t(~gcbit::kMarked);
        ++live;
        continue;
      }
      finalize(o);
      o->type = ObjType::kFree;
      o->gc = 0;
      set_free_next(o, page_free);
      // The sweep, the verifier and ~Heap read a free cell's header and link (its first 16
      // bytes); the rest is nobody's.
      heap_poison(reinterpret_cast<char*>(o) + 16, sc.cell_bytes - 16);
      page_free = o;
    }
    p->live = live;
    if (live == 0 && p != sc.current) {  // an empty page goes back to the system
      std::free(p);
      continue;
    }
    // Thread this page's free cells onto the class's list.
    for (Object* c = page_free; c;) {
      Object* next = free_next(c);
      set_free_next(c, sc.free_list);
      sc.free_list = c;
      c = next;
    }
    kept.push_back(p);
    old_in_use_ += size_t(live) * sc.cell_bytes;
    old_committed_ += limits::kSlabPageBytes;
  }
  sc.pages.swap(kept);
}

void Heap::sweep_large() {
  std::vector<Object*> kept;
  large_bytes_ = 0;
  for (Object* o : large_) {
    if (o->gc & gcbit::kMarked) {
      o->gc &= uint8_t(~gcbit::kMarked);
      kept.push_back(o);
      large_bytes_ += object_size(o);
      continue;
    }
    finalize(o);
    std::free(o);
  }
  large_.swap(kept);
}

void Heap::update_trigger() {
  size_t live = live_bytes();
  size_t next = size_t(double(live) * limits::kOldSpaceGrowthFactor);
  major_trigger_ = next < limits::kMinOldSpaceTrigger ? limits::kMinOldSpaceTrigger : next;
}

// ---- verification --------------------------------------------------------------------------

namespace {
class CollectingVisitor final : public RootVisitor {
 public:
  std::vector<Value> found;
  void visit_range(Value* begin, Value* end) override {
    for (Value* v = begin; v != end; ++v) found.push_back(*v);
  }
};

std::string describe(const Object* o, const char* what) {
  return std::string(what) + " (object at " + std::to_string(reinterpret_cast<uintptr_t>(o)) +
         ", type " + std::to_string(int(o->type)) + ")";
}
}  // namespace

std::string Heap::verify(RootSource& roots) {
  CollectingVisitor collect;
  roots.trace_roots(collect, false);
  std::unordered_set<Object*> seen;
  std::vector<Object*> work;
  std::string problem;
  auto check = [&](Value v) {
    if (!problem.empty() || !v.is_object()) return;
    Object* o = v.obj();
    if (seen.count(o)) return;
    auto* at = reinterpret_cast<char*>(o);
    if (at >= nursery_top_ && at < nursery_begin_ + config_.nursery_bytes) {
      // Nursery memory not handed out since the last collection (poisoned under ASan): what is
      // there is a forwarded or dead object, or nothing, so it is not read.
      problem = "reference to a forwarded or dead young object (at " +
                std::to_string(reinterpret_cast<uintptr_t>(o)) + ", in the emptied nursery)";
    } else if (o->type == ObjType::kFree || o->type >= ObjType::kCount) {
      problem = describe(o, "reference to a freed or invalid object");
    } else if (!(o->gc & (gcbit::kOld | gcbit::kImmortal))) {
      problem = describe(o, "reference into the nursery after a collection");
    } else if (o->gc & gcbit::kMarked) {
      problem = describe(o, "mark bit left set after a collection");
    }
    seen.insert(o);
    work.push_back(o);
  };
  for (Value v : collect.found) check(v);
  while (problem.empty() && !work.empty()) {
    Object* o = work.back();
    work.pop_back();
    trace_fields(o, [&](Value& v) { check(v); });
  }
  if (!problem.empty()) return problem;
  for (auto& sc : classes_) {
    size_t carved = 0, free_cells = 0;
    for (Page* p : sc.pages) carved += p->carved;
    for (Object* c = sc.free_list; c; c = free_next(c)) {
      if (c->type != ObjType::kFree) return describe(c, "free list holds a cell in use");
      if (++free_cells > carved) return "free list longer than the cells carved: a cycle";
    }
  }
  return "";
}

}  // namespace valk
