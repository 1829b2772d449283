// targets.cpp: the fuzz targets' bodies (see targets.h). The evaluation runs in a fresh VM with
// output to /dev/null, `exit`, `shutdown` and `load` rebound to harmless functions (a fuzzer's
// input must not end the process or read the machine's files), and a watchdog thread that
// interrupts the VM when its budget is spent.
#include "fuzz/targets.h"

#include <atomic>
#include <memory>
#include <chrono>
#include <cstdio>
#include <mutex>
#include <string_view>
#include <thread>

#include "gc/heap.h"
#include "lib/marshal.h"
#include "value/print.h"
#include "read/reader.h"
#include "vm/vm.h"

namespace valk::fuzz {

namespace {

std::mutex g_watch_mutex;  // held while the watchdog touches the VM, so it cannot be freed meanwhile
VM* g_watched = nullptr;
std::atomic<int64_t> g_deadline_ms{0};

int64_t now_ms() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(steady_clock::now().time_since_epoch()).count();
}

// Interrupts the VM under test once its deadline has passed (polls every 10 ms).
void start_watchdog() {
  static std::once_flag once;
  std::call_once(once, [] {
    std::thread([] {
      for (;;) {
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
        std::lock_guard<std::mutex> lock(g_watch_mutex);
        if (g_watched && now_ms() > g_deadline_ms.load()) g_watched->interrupt();
      }
    }).detach();
  });
}

}  // namespace

void read_one(const uint8_t* data, size_t size) {
  HeapConfig config{limits::kMinNurseryBytes, kHeapLimitBytes, false, false};
  Heap heap(config);
  SymbolTable symbols;
  std::string_view text(reinterpret_cast<const char*>(data), size);
  (void)read_forms(heap, symbols, ReadInput{text, 1, 1, false});
  (void)read_forms(heap, symbols, ReadInput{text, 1, 1, true});
}

void eval_one(const uint8_t* data, size_t size) {
  start_watchdog();
  static std::FILE* devnull = std::fopen("/dev/null", "w");
  VmConfig config;
  config.heap.heap_limit = kHeapLimitBytes;
  config.out = devnull;
  config.err = devnull;
  VM vm(config);
  (void)vm.run_source("(def {exit shutdown load} list list list)", "<fuzz setup>");
  g_deadline_ms.store(now_ms() + kBudgetMs);
  {
    std::lock_guard<std::mutex> lock(g_watch_mutex);
    g_watched = &vm;
  }
  (void)vm.run_source(std::string_view(reinterpret_cast<const char*>(data), size), "<fuzz>");
  std::lock_guard<std::mutex> lock(g_watch_mutex);
  g_watched = nullptr;
}

void unmarshal_one(const uint8_t* data, size_t size) {
  static std::FILE* devnull = std::fopen("/dev/null", "w");
  static std::unique_ptr<VM> vm;
  static int uses = 0;
  if (!vm || ++uses % 1000 == 0) {  // symbols interned by the inputs accumulate: start afresh
    vm.reset();
    VmConfig config;
    config.heap.heap_limit = kHeapLimitBytes;
    config.heap.verify = true;
    config.out = devnull;
    config.err = devnull;
    vm = std::make_unique<VM>(config);
  }
  Value v = unmarshal_value(*vm, std::string_view(reinterpret_cast<const char*>(data), size));
  if (!is_error(v)) {
    std::string text = readable(v);
    std::string again, error;
    if (!marshal_value(*vm, v, &again, &error)) std::abort();  // what came in can go out
  }
  vm->collect_garbage(true);
}

}  // namespace valk::fuzz
