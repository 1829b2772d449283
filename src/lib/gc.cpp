// gc.cpp: the collector seen from Valk: gc/collect and gc/stats.
#include <unistd.h>

#include <cstdio>

#include "lib/builtin.h"
#include "value/make.h"
#include "vm/vm.h"

namespace valk {

namespace {

Value builtin_gc_collect(VM& vm, Args) {
  vm.collect_garbage(true);
  return Value::empty_sexpr();
}

// The process's resident set (Linux: /proc/self/statm), or 0 where it cannot be read.
uint64_t resident_bytes() {
  FILE* f = std::fopen("/proc/self/statm", "r");
  if (!f) return 0;
  unsigned long long total = 0, resident = 0;
  int n = std::fscanf(f, "%llu %llu", &total, &resident);
  std::fclose(f);
  return n == 2 ? resident * uint64_t(sysconf(_SC_PAGESIZE)) : 0;
}

// {"minor-collections" N "major-collections" N ...}: a Q-expression alternating names (strings,
// which evaluate to themselves, so fst & co. can pick them) and integers.
Value builtin_gc_stats(VM& vm, Args) {
  const GcStats& s = vm.heap().stats();
  const std::pair<const char*, uint64_t> fields[] = {
      {"minor-collections", s.minor_count},
      {"major-collections", s.major_count},
      {"minor-pause-total-us", s.minor_pause_total_us},
      {"minor-pause-max-us", s.minor_pause_max_us},
      {"major-pause-total-us", s.major_pause_total_us},
      {"major-pause-max-us", s.major_pause_max_us},
      {"bytes-allocated", s.bytes_allocated},
      {"bytes-promoted", s.bytes_promoted},
      {"bytes-live", s.live_after_last},
      {"heap-bytes", vm.heap().heap_bytes()},
      {"nursery-bytes", vm.heap().nursery_bytes()},
      {"resident-bytes", resident_bytes()},
  };
  ListBuilder out(vm.heap(), true);
  for (auto& [name, value] : fields) {
    out.push(make_string(vm.heap(), name));
    out.push(make_int(vm.heap(), int64_t(value)));
  }
  return out.finish();
}

const BuiltinInfo kGc[] = {
    {"gc/collect", "", "Runs a full collection now. Returns ().", 0, 0, builtinflag::kNullary, 0,
     builtin_gc_collect, nullptr},
    {"gc/stats", "",
     "The collector's statistics, names and integers in turn: {\"minor-collections\" N "
     "\"major-collections\" N \"minor-pause-total-us\" N \"minor-pause-max-us\" N "
     "\"major-pause-total-us\" N \"major-pause-max-us\" N \"bytes-allocated\" N "
     "\"bytes-promoted\" N \"bytes-live\" N \"heap-bytes\" N \"nursery-bytes\" N \"resident-bytes\" N}.",
     0, 0, builtinflag::kNullary, 0, builtin_gc_stats, nullptr},
};

}  // namespace

constinit const std::span<const BuiltinInfo> gc_builtins{kGc};

}  // namespace valk
