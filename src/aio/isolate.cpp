// isolate.cpp: the worker pool behind aio/parallel (see isolate.h) and the builtin itself. A job
// is bytes in, bytes out: the worker unmarshals the function bundle (once per call) and the item
// into its own heap, calls the function, and marshals the result or the error back.
#include "aio/isolate.h"

#include "gc/trace.h"

#include <algorithm>
#include <cstdlib>
#include <unordered_set>

#include "aio/loop.h"
#include "config/limits.h"
#include "gc/trace.h"
#include "lib/builtin.h"
#include "lib/check.h"
#include "lib/marshal.h"
#include "value/make.h"
#include "vm/vm.h"

namespace valk {

uint32_t worker_count_setting(std::string* error) {
  const char* env = std::getenv("VALK_WORKERS");
  if (!env || !*env) {
    unsigned cores = std::thread::hardware_concurrency();
    return cores == 0 ? 1 : std::min<uint32_t>(cores, limits::kMaxWorkers);
  }
  char* end = nullptr;
  long n = std::strtol(env, &end, 10);
  if (*end != '\0' || n < 1 || n > long(limits::kMaxWorkers)) {
    *error = "VALK_WORKERS must be an integer from 1 to " + std::to_string(limits::kMaxWorkers) + ", got `" +
             env + "`";
    return 0;
  }
  return uint32_t(n);
}

// ---- the pool ----------------------------------------------------------------------------------

WorkerPool::WorkerPool(VM& vm, uv_loop_t* loop, uint32_t workers) : vm_(vm) {
  if (uv_async_init(loop, &async_, on_done) != 0) std::abort();
  async_.data = this;
  uv_unref(reinterpret_cast<uv_handle_t*>(&async_));  // referenced only while jobs are out
  for (uint32_t i = 0; i < workers; ++i) threads_.emplace_back([this] { worker_main(); });
}

WorkerPool::~WorkerPool() { stop(); }

void WorkerPool::stop() {
  if (stopped_) return;
  stopped_ = true;
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
    jobs_.clear();
  }
  cv_.notify_all();
  for (std::thread& t : threads_) t.join();
  uv_close(reinterpret_cast<uv_handle_t*>(&async_), nullptr);
}

void WorkerPool::set_outstanding(size_t n) {
  if ((outstanding_ == 0) != (n == 0)) {
    auto* h = reinterpret_cast<uv_handle_t*>(&async_);
    if (n == 0) uv_unref(h); else uv_ref(h);
  }
  outstanding_ = n;
}

void WorkerPool::run(std::shared_ptr<const std::string> bundle, std::vector<std::string> items, Value future) {
  uint64_t id = next_batch_++;
  auto n = uint32_t(items.size());
  batches_[id] = Batch{vm_.loop().keep(future), std::vector<std::string>(n), n};
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (uint32_t i = 0; i < n; ++i) jobs_.push_back(Job{id, i, bundle, std::move(items[i])});
  }
  set_outstanding(outstanding_ + n);
  cv_.notify_all();
}

// ---- on a worker's thread ---------------------------------------------------------------------

namespace {

// The error a job fails with, as bytes (an Error always marshals: a message, a position, a trace).
std::string error_bytes(VM& vm, Value error) {
  std::string out, why;
  if (!marshal_value(vm, error, &out, &why)) std::abort();
  return out;
}

}  // namespace

Value load_isolate_bundle(VM& vm, const std::string& bundle) {
  bool failed = false;
  Value b = unmarshal_value(vm, bundle, &failed);
  if (failed) return b;
  Value f = car(b);
  for (Value l = cdr(b); is_cons(l) && is_cons(cdr(l)); l = cdr(cdr(l))) {
    vm.define_global(car(l).as<Symbol>(), car(cdr(l)));
  }
  return f;
}

void WorkerPool::worker_main() {
  VmConfig config;
  config.heap = vm_.heap().config();
  config.heap.stress = false;  // stress mode is for the VM under test; workers run at full speed
  config.out = vm_.out();
  config.err = vm_.err();
  config.worker = true;
  VM vm(config);
  uint64_t loaded = 0;
  Value fn = Value::undefined();
  RootGuard keep_fn(vm, fn);
  for (;;) {
    Job job;
    {
      std::unique_lock<std::mutex> lock(mu_);
      cv_.wait(lock, [this] { return stopping_ || !jobs_.empty(); });
      if (stopping_) return;
      job = std::move(jobs_.front());
      jobs_.pop_front();
    }
    Done done{job.batch, job.index, true, {}};
    if (loaded != job.batch) {
      fn = load_isolate_bundle(vm, *job.bundle);
      loaded = job.batch;
    }
    Value result = fn;
    if (!is_error(fn)) {
      bool failed = false;
      Value item = unmarshal_value(vm, job.item, &failed);
      result = failed ? item : vm.call(fn, {&item, 1});
    }
    std::string why;
    if (is_error(result)) {
      done.ok = false;
      done.bytes = error_bytes(vm, result);
    } else if (!marshal_value(vm, result, &done.bytes, &why)) {
      done.ok = false;
      done.bytes = error_bytes(vm, vm.error("aio/parallel: the result for element " +
                                            std::to_string(job.index + 1) + " cannot cross: " + why));
    }
    {
      std::lock_guard<std::mutex> lock(mu_);
      done_.push_back(std::move(done));
    }
    uv_async_send(&async_);
  }
}

// ---- back on the owner's thread ------------------------------------------------------------------

void WorkerPool::on_done(uv_async_t* handle) { static_cast<WorkerPool*>(handle->data)->deliver(); }

void WorkerPool::finish(uint64_t id, Batch& b, bool ok, Value value) {
  Loop& loop = vm_.loop();
  loop.settle(loop.kept(b.kept), ok, value);
  loop.release(b.kept);
  if (!ok) {  // the other jobs of this call are no longer wanted
    std::lock_guard<std::mutex> lock(mu_);
    size_t before = jobs_.size();
    std::erase_if(jobs_, [id](const Job& j) { return j.batch == id; });
    set_outstanding(outstanding_ - (before - jobs_.size()));
  }
  batches_.erase(id);
}

void WorkerPool::deliver() {
  std::vector<Done> done;
  {
    std::lock_guard<std::mutex> lock(mu_);
    done.swap(done_);
  }
  set_outstanding(outstanding_ - done.size());
  for (Done& d : done) {
    auto it = batches_.find(d.batch);
    if (it == batches_.end()) continue;  // its call already failed
    Batch& b = it->second;
    if (!d.ok) {
      finish(d.batch, b, false, unmarshal_value(vm_, d.bytes));
      continue;
    }
    b.results[d.index] = std::move(d.bytes);
    if (--b.left > 0) continue;
    ListBuilder out(vm_.heap(), true);  // unmarshal never collects: the cells stay put
    Value failed = Value::undefined();
    for (const std::string& r : b.results) {
      bool bad = false;
      Value v = unmarshal_value(vm_, r, &bad);
      if (bad) failed = v;
      out.push(v);
    }
    Value list = out.finish();
    if (failed.is_undefined()) finish(d.batch, b, true, list);
    else finish(d.batch, b, false, failed);
  }
}

// ---- aio/parallel --------------------------------------------------------------------------------

namespace {

// A global a function may reach by name: anything the user bound (builtins and prelude functions
// are there already in every isolate). A module's function reaches its module's globals first:
// they cross as globals of the worker (modules met: those of the closures found so far).
Value reachable_global(VM& vm, Symbol* s, const std::vector<uint16_t>& modules) {
  for (uint16_t m : modules) {
    Value v = vm.global_in(s, m);
    if (!v.is_undefined() && v != s->global) return v;
  }
  return s->global;
}

bool user_global(Value g) {
  if (g.is_undefined() || is_builtin(g)) return false;
  return !(is_closure(g) && (g.as<Closure>()->proto.as<Proto>()->pflags & protoflag::kBuiltinCode));
}

}  // namespace

// The globals it may reach are the names in its code, its captured values and, in turn, theirs.
Value isolate_bundle(VM& vm, Value fn) {
  std::vector<Value> work{fn};
  std::unordered_set<uint64_t> seen;
  std::unordered_set<const Symbol*> params;  // names bound by the lambdas met: not globals there
  std::vector<uint16_t> modules;
  std::vector<Value> items{fn};
  while (!work.empty()) {
    Value v = work.back();
    work.pop_back();
    if (!v.is_object() || !seen.insert(v.bits()).second) continue;
    if (is_symbol(v)) {
      Value g = reachable_global(vm, v.as<Symbol>(), modules);
      if (user_global(g) && !params.count(v.as<Symbol>())) {
        items.push_back(v);
        items.push_back(g);
        work.push_back(g);
      }
      continue;
    }
    if (is_closure(v)) {  // its parameters are not globals in its body
      uint16_t m = v.as<Closure>()->proto.as<Proto>()->module;
      if (m && std::find(modules.begin(), modules.end(), m) == modules.end()) modules.push_back(m);
      for (Value f = v.as<Closure>()->proto.as<Proto>()->formals; is_cons(f); f = cdr(f)) {
        if (is_symbol(car(f))) params.insert(car(f).as<Symbol>());
      }
    }
    // A fiber's stack or a future's waiters are no part of the function (and cannot cross).
    if (is_future(v) || is_obj(v, ObjType::kFiber)) continue;
    trace_fields(v.obj(), [&](Value& field) { work.push_back(field); });
  }
  return make_list(vm.heap(), items, true);
}

namespace {

Value builtin_parallel(VM& vm, Args a) {
  if (vm.is_worker()) return vm.error("aio/parallel: not available inside a worker");
  if (!is_function(a[0])) return arg_error(vm, "aio/parallel", 0, "a Function", a[0]);
  if (!proper_qlist(a[1])) return arg_error(vm, "aio/parallel", 1, "a Q-expression", a[1]);
  std::string bundle, why;
  if (!marshal_value(vm, isolate_bundle(vm, a[0]), &bundle, &why)) {
    return vm.error("aio/parallel: the function cannot cross to a worker: " + why);
  }
  std::vector<std::string> items;
  uint32_t i = 0;
  for (Value l = a[1]; is_cons(l); l = cdr(l), ++i) {
    items.emplace_back();
    if (!marshal_value(vm, car(l), &items.back(), &why)) {
      return vm.error("aio/parallel: element " + std::to_string(i + 1) + " cannot cross to a worker: " + why);
    }
  }
  Value future = vm.loop().make_future(false);
  if (items.empty()) {
    vm.loop().settle(future, true, Value::nil());
    return future;
  }
  std::string setting_error;
  WorkerPool* pool = vm.loop().workers(&setting_error);
  if (!pool) return vm.error("aio/parallel: " + setting_error);
  pool->run(std::make_shared<const std::string>(std::move(bundle)), std::move(items), future);
  return future;
}

Value builtin_workers(VM& vm, Args) {
  std::string setting_error;
  WorkerPool* pool = vm.loop().workers(&setting_error);
  if (!pool) return vm.error("aio/workers: " + setting_error);
  return Value::fixnum(pool->size());
}

const BuiltinInfo kIsolate[] = {
    {"aio/parallel", "f xs",
     "A future of the list of (f x) for each x of the Q-expression xs, computed on the worker isolates (threads "
     "with their own heaps). f, the globals it uses and each x cross by marshal, and so do the results; the first "
     "error a worker raises rejects the future with its message and trace.",
     2, 2, 0, 0, builtin_parallel, nullptr},
    {"aio/workers", "", "The number of worker isolates aio/parallel uses (VALK_WORKERS, else the machine's cores).",
     0, 0, builtinflag::kCallBare, 0, builtin_workers, nullptr},
};

}  // namespace

constinit const std::span<const BuiltinInfo> isolate_builtins{kIsolate};

}  // namespace valk
