// serve_workers.cpp: the threads of http/serve's `workers N` (serve_workers.h). Each worker owns
// a VM; the owner talks to it through one uv_async_t on the worker's loop (stop), and the workers
// tell the owner they ended through one uv_async_t on the owner's loop.
#include "net/serve_workers.h"

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <thread>
#include <vector>

#include "aio/loop.h"
#include "vm/vm.h"

namespace valk::net {

namespace {

// The owner's end: an async handle freed in its close callback (uv_close is asynchronous).
struct OwnerAsync {
  uv_async_t handle;
  std::function<void()> on_signal;
};

}  // namespace

struct WorkerGroup::Shared {
  struct Worker {
    std::thread thread;
    uv_async_t* stop = nullptr;  // on the worker's loop; null before it starts, once closed
    bool started = false, failed = false;
    std::string error;
  };
  WorkerHooks hooks;
  VmConfig config;
  std::mutex mu;  // guards every Worker's stop, started, failed, error; drain_ms
  std::condition_variable cv;
  std::vector<Worker> workers;
  uint32_t drain_ms = 0;
  std::atomic<uint32_t> ended{0};
  OwnerAsync* owner = nullptr;
  std::function<void()> done;
  bool joined = false;

  // The stop handle of one worker: on its loop, freed in its close callback.
  struct StopAsync {
    uv_async_t handle;
    VM* vm;
    Shared* shared;
    bool stopped = false;
  };
  void run(uint32_t index);
  void signal_stop(uint32_t drain);
  void join();
  static void on_stop(uv_async_t* h);
};

void WorkerGroup::Shared::on_stop(uv_async_t* h) {
  auto* st = static_cast<StopAsync*>(h->data);
  Shared* self = st->shared;
  uint32_t drain;
  {
    std::lock_guard<std::mutex> lock(self->mu);
    drain = self->drain_ms;
    for (Worker& w : self->workers) {
      if (w.stop == h) w.stop = nullptr;
    }
  }
  // Closed first: the worker's loop runs until the server has stopped, then the VM goes.
  uv_close(reinterpret_cast<uv_handle_t*>(h), nullptr);
  self->hooks.stop(*st->vm, drain, [st] { st->stopped = true; });
}

void WorkerGroup::Shared::run(uint32_t index) {
  {
    StopAsync st{{}, nullptr, this};  // outlives the VM, whose close() runs the handle's close
    VM vm(config);
    st.vm = &vm;
    std::string error;
    bool ok = hooks.start(vm, index, error);
    if (ok) {
      uv_async_init(vm.loop().uv(), &st.handle, on_stop);
      st.handle.data = &st;
    }
    {
      std::lock_guard<std::mutex> lock(mu);
      Worker& w = workers[index];
      w.started = true;
      w.failed = !ok;
      w.error = error;
      w.stop = ok ? &st.handle : nullptr;
    }
    cv.notify_all();
    if (ok) vm.loop().run_while([&st] { return !st.stopped; });
    // Its handle is closed (on_stop) before `stopped` can be true; ~VM runs the close callback.
  }
  ended.fetch_add(1);
  std::lock_guard<std::mutex> lock(mu);
  if (owner) uv_async_send(&owner->handle);
}

void WorkerGroup::Shared::signal_stop(uint32_t drain) {
  std::lock_guard<std::mutex> lock(mu);
  drain_ms = drain;
  for (Worker& w : workers) {
    if (w.stop) uv_async_send(w.stop);
  }
}

void WorkerGroup::Shared::join() {
  if (joined) return;
  joined = true;
  for (Worker& w : workers) {
    if (w.thread.joinable()) w.thread.join();
  }
  std::lock_guard<std::mutex> lock(mu);
  uv_close(reinterpret_cast<uv_handle_t*>(&owner->handle),
           [](uv_handle_t* h) { delete static_cast<OwnerAsync*>(h->data); });
  owner = nullptr;
}

std::unique_ptr<WorkerGroup> WorkerGroup::start(VM& vm, uint32_t n, WorkerHooks hooks, std::string& error) {
  auto shared = std::make_shared<Shared>();
  Shared* s = shared.get();
  s->hooks = std::move(hooks);
  s->config.heap = vm.heap().config();
  s->config.heap.stress = false;  // stress mode is for the VM under test; workers run at full speed
  s->config.out = vm.out();
  s->config.err = vm.err();
  s->config.worker = true;
  s->workers = std::vector<Shared::Worker>(n);
  s->owner = new OwnerAsync;
  s->owner->handle.data = s->owner;
  uv_async_init(vm.loop().uv(), &s->owner->handle, [](uv_async_t* h) {
    auto* o = static_cast<OwnerAsync*>(h->data);
    if (o->on_signal) o->on_signal();
  });
  auto group = std::unique_ptr<WorkerGroup>(new WorkerGroup(shared));
  for (uint32_t i = 0; i < n; ++i) {
    s->workers[i].thread = std::thread([s, i] { s->run(i); });
    std::unique_lock<std::mutex> lock(s->mu);
    s->cv.wait(lock, [&] { return s->workers[i].started; });
    if (s->workers[i].failed) {
      error = s->workers[i].error;
      lock.unlock();
      return nullptr;  // ~WorkerGroup stops and joins those started
    }
  }
  // Each worker that ends signals; the last one lets the owner join them all and call done.
  s->owner->on_signal = [s, n] {
    if (s->ended.load() < n || s->joined) return;
    s->join();
    if (auto done = std::move(s->done)) done();
  };
  return group;
}

WorkerGroup::~WorkerGroup() {
  shared_->signal_stop(0);
  shared_->join();
}

void WorkerGroup::stop(uint32_t drain_ms, std::function<void()> done) {
  shared_->done = std::move(done);
  shared_->signal_stop(drain_ms);
}

}  // namespace valk::net
