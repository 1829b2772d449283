// serve_workers.cpp: the threads of http/serve's `workers N` (serve_workers.h). Each worker owns
// a VM; the acceptor and the owner reach it through one uv_async_t on the worker's loop, its
// mailbox (connections to adopt, stop), and the workers tell the owner they ended through one
// uv_async_t on the owner's loop.
//
// Why one acceptor and not a listening socket per worker (SO_REUSEPORT): the kernel spreads
// connections by a hash of their addresses, so 20 connections may go 12 to one worker and 8 to
// the other, which then idles once its clients are done. Handed in turn, each worker gets its
// share (workers 2 under h2load -c20 -n: 1.58x workers 1 with SO_REUSEPORT; see docs/HTTP.md).
#include "net/serve_workers.h"

#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <thread>
#include <vector>

#include "aio/loop.h"
#include "config/limits.h"
#include "net/server.h"
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
    uv_async_t* mailbox = nullptr;  // on the worker's loop; null before it starts, once closed
    std::vector<int> incoming;      // accepted sockets it has yet to adopt
    bool started = false, failed = false;
    std::string error;
  };
  WorkerHooks hooks;
  VmConfig config;
  std::mutex mu;  // guards every Worker but its thread; drain_ms, stopping
  std::condition_variable cv;
  std::vector<Worker> workers;
  uint32_t drain_ms = 0;
  bool stopping = false;
  std::atomic<uint32_t> ended{0};
  OwnerAsync* owner = nullptr;
  std::function<void()> done;
  bool joined = false;
  // The acceptor: the listening socket, the eventfd that ends its thread, the thread.
  int listen_fd = -1, wake_fd = -1, port = 0;
  std::thread acceptor;

  // The mailbox of one worker: on its loop, freed in its close callback.
  struct Mailbox {
    uv_async_t handle;
    VM* vm;
    Shared* shared;
    uint32_t index;
    bool stopped = false;
  };
  void run(uint32_t index);
  void accept_loop();
  void hand(int fd, uint32_t index);
  void stop_accepting();
  void signal_stop(uint32_t drain);
  void join();
  static void on_mail(uv_async_t* h);
};

// The connections handed to this worker, then, once the group stops, the worker's stop.
void WorkerGroup::Shared::on_mail(uv_async_t* h) {
  auto* box = static_cast<Mailbox*>(h->data);
  Shared* self = box->shared;
  std::vector<int> fds;
  bool stop;
  uint32_t drain;
  {
    std::lock_guard<std::mutex> lock(self->mu);
    Worker& w = self->workers[box->index];
    fds.swap(w.incoming);
    stop = self->stopping;
    drain = self->drain_ms;
    if (stop) w.mailbox = nullptr;
  }
  for (int fd : fds) self->hooks.adopt(*box->vm, fd);
  if (!stop) return;
  // Closed first: the worker's loop runs until the server has stopped, then the VM goes.
  uv_close(reinterpret_cast<uv_handle_t*>(h), nullptr);
  self->hooks.stop(*box->vm, drain, [box] { box->stopped = true; });
}

void WorkerGroup::Shared::run(uint32_t index) {
  {
    Mailbox box{{}, nullptr, this, index};  // outlives the VM, whose close() runs the handle's close
    VM vm(config);
    box.vm = &vm;
    std::string error;
    bool ok = hooks.start(vm, index, error);
    if (ok) {
      uv_async_init(vm.loop().uv(), &box.handle, on_mail);
      box.handle.data = &box;
    }
    {
      std::lock_guard<std::mutex> lock(mu);
      Worker& w = workers[index];
      w.started = true;
      w.failed = !ok;
      w.error = error;
      w.mailbox = ok ? &box.handle : nullptr;
    }
    cv.notify_all();
    if (ok) vm.loop().run_while([&box] { return !box.stopped; });
    // Its handle is closed (on_mail) before `stopped` can be true; ~VM runs the close callback.
  }
  ended.fetch_add(1);
  std::lock_guard<std::mutex> lock(mu);
  for (int fd : workers[index].incoming) ::close(fd);
  workers[index].incoming.clear();
  if (owner) uv_async_send(&owner->handle);
}

// The acceptor's thread: waits for connections (or the wake fd, which ends it) and hands each
// to the next worker in turn.
void WorkerGroup::Shared::accept_loop() {
  uint32_t next = 0;
  int wait_ms = -1;
  for (;;) {
    pollfd fds[2] = {{wake_fd, POLLIN, 0}, {listen_fd, POLLIN, 0}};
    // Out of fds: the pending connection keeps the socket readable, so wait a while before
    // trying again rather than spin.
    int n = ::poll(fds, wait_ms < 0 ? 2 : 1, wait_ms);
    wait_ms = -1;
    if (n < 0 && errno != EINTR) return;
    if (fds[0].revents) return;
    for (;;) {
      int fd = ::accept4(listen_fd, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
      if (fd >= 0) {
        hand(fd, next++ % uint32_t(workers.size()));
        continue;
      }
      if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) {
        wait_ms = limits::kAcceptRetryMs;
      }
      break;  // EAGAIN, or a connection that went before it was accepted (ECONNABORTED...)
    }
  }
}

void WorkerGroup::Shared::hand(int fd, uint32_t index) {
  std::lock_guard<std::mutex> lock(mu);
  Worker& w = workers[index];
  if (!w.mailbox) {
    ::close(fd);
    return;
  }
  w.incoming.push_back(fd);
  uv_async_send(w.mailbox);
}

// Ends the acceptor's thread and closes the listening socket; again does nothing.
void WorkerGroup::Shared::stop_accepting() {
  if (acceptor.joinable()) {
    uint64_t one = 1;
    (void)!::write(wake_fd, &one, sizeof one);
    acceptor.join();
  }
  for (int* fd : {&listen_fd, &wake_fd}) {
    if (*fd >= 0) ::close(*fd);
    *fd = -1;
  }
}

void WorkerGroup::Shared::signal_stop(uint32_t drain) {
  stop_accepting();
  std::lock_guard<std::mutex> lock(mu);
  drain_ms = drain;
  stopping = true;
  for (Worker& w : workers) {
    if (w.mailbox) uv_async_send(w.mailbox);
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

std::unique_ptr<WorkerGroup> WorkerGroup::start(VM& vm, uint32_t n, const std::string& host, int port,
                                                WorkerHooks hooks, std::string& error) {
  int listen_fd = listen_socket(host, port, &port, error);
  if (listen_fd < 0) return nullptr;
  int wake_fd = eventfd(0, EFD_CLOEXEC);
  if (wake_fd < 0) {
    error = std::string("eventfd: ") + uv_strerror(uv_translate_sys_error(errno));
    ::close(listen_fd);
    return nullptr;
  }
  auto shared = std::make_shared<Shared>();
  Shared* s = shared.get();
  s->listen_fd = listen_fd;
  s->wake_fd = wake_fd;
  s->port = port;
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
  s->acceptor = std::thread([s] { s->accept_loop(); });
  return group;
}

int WorkerGroup::port() const { return shared_->port; }

WorkerGroup::~WorkerGroup() {
  shared_->signal_stop(0);
  shared_->join();
}

void WorkerGroup::stop(uint32_t drain_ms, std::function<void()> done) {
  shared_->done = std::move(done);
  shared_->signal_stop(drain_ms);
}

}  // namespace valk::net
