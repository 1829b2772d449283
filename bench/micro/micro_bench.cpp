// micro_bench.cpp: Google Benchmark microbenchmarks of the runtime's parts, for the costs the
// whole-program benchmarks of ../shared/bench mix together (docs/PERFORMANCE.md): allocating
// in the nursery, a minor collection that promotes, a major collection per MB live, reading
// source text, and a Valk call. `make bench` builds and runs them (-DVALK_BENCH=ON).
#include <benchmark/benchmark.h>

#include <string>

#include "gc/heap.h"
#include "read/reader.h"
#include "value/make.h"
#include "vm/vm.h"

namespace valk {
namespace {

VmConfig config_with_prelude(bool prelude) {
  VmConfig c;
  c.load_prelude = prelude;
  return c;
}

// One cons in the nursery: the bump allocation every list builder pays.
void BM_NurseryCons(benchmark::State& state) {
  VM vm(config_with_prelude(false));
  Value list = Value::nil();
  RootGuard guard(vm, list);
  size_t n = 0;
  for (auto _ : state) {
    list = make_cons(vm.heap(), Value::fixnum(1), list, true);
    if (++n % 10000 == 0) {  // keep the list short and the nursery from overflowing
      list = Value::nil();
      vm.collect_garbage(false);
    }
  }
  state.SetItemsProcessed(int64_t(state.iterations()));
}
BENCHMARK(BM_NurseryCons);

// A minor collection promoting a list of state.range(0) conses (all of it survives).
void BM_MinorPromoting(benchmark::State& state) {
  VM vm(config_with_prelude(false));
  Value list = Value::nil();
  RootGuard guard(vm, list);
  for (auto _ : state) {
    state.PauseTiming();
    list = Value::nil();
    vm.collect_garbage(true);
    for (int64_t i = 0; i < state.range(0); ++i) list = make_cons(vm.heap(), Value::fixnum(i), list, true);
    state.ResumeTiming();
    vm.collect_garbage(false);
  }
  state.SetBytesProcessed(int64_t(state.iterations()) * state.range(0) * int64_t(sizeof(Cons)));
}
BENCHMARK(BM_MinorPromoting)->Arg(1000)->Arg(50000)->Unit(benchmark::kMicrosecond);

// A major collection with state.range(0) MB of conses live: the cost per MB live.
void BM_MajorPerMbLive(benchmark::State& state) {
  VM vm(config_with_prelude(false));
  Value list = Value::nil();
  RootGuard guard(vm, list);
  int64_t cells = state.range(0) * 1024 * 1024 / int64_t(sizeof(Cons));
  for (int64_t i = 0; i < cells; ++i) {
    list = make_cons(vm.heap(), Value::fixnum(i), list, true);
    if (i % 50000 == 0) vm.collect_garbage(false);
  }
  vm.collect_garbage(true);
  for (auto _ : state) vm.collect_garbage(true);
  state.SetBytesProcessed(int64_t(state.iterations()) * cells * int64_t(sizeof(Cons)));
}
BENCHMARK(BM_MajorPerMbLive)->Arg(16)->Unit(benchmark::kMillisecond);

// Reading source text: the definitions of a prelude-sized program.
void BM_ReadSource(benchmark::State& state) {
  VM vm(config_with_prelude(false));
  std::string text;
  for (int i = 0; i < 200; ++i) {
    text += "(fun {f" + std::to_string(i) + " n} {if (<= n 0) {\"done\"} {do (print n) (f (- n 1))}})\n";
  }
  uint32_t file = vm.files().intern("bench.valk");
  for (auto _ : state) {
    ReadResult r = read_forms(vm.heap(), vm.symbols(), ReadInput{text, file});
    benchmark::DoNotOptimize(r.ok);
    vm.collect_garbage(false);
  }
  state.SetBytesProcessed(int64_t(state.iterations()) * int64_t(text.size()));
}
BENCHMARK(BM_ReadSource)->Unit(benchmark::kMicrosecond);

// A Valk call and return: (fib 20) makes 21,891 calls.
void BM_ValkCall(benchmark::State& state) {
  VM vm(config_with_prelude(true));
  vm.run_source("(fun {fib n} {if (< n 2) {n} {+ (fib (- n 1)) (fib (- n 2))}})", "bench.valk");
  for (auto _ : state) benchmark::DoNotOptimize(vm.run_source("(fib 20)", "bench.valk"));
  state.SetItemsProcessed(int64_t(state.iterations()) * 21891);
}
BENCHMARK(BM_ValkCall)->Unit(benchmark::kMicrosecond);

}  // namespace
}  // namespace valk
