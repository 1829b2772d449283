// serve_workers.h: http/serve's `workers N`: N worker isolates (threads, each with its own VM and
// loop) that each run a server on the same port (SO_REUSEPORT). Only bytes cross between them.
#pragma once

#include <uv.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

namespace valk {

class VM;

namespace net {

// What each worker does, on its own thread and VM: `start` binds its server (false + error when
// it cannot); `stop` begins a graceful stop with a drain deadline and calls `stopped` once the
// server is closed. The worker's VM then goes, and with it what its fibers still wait on.
struct WorkerHooks {
  std::function<bool(VM& vm, uint32_t index, std::string& error)> start;
  std::function<void(VM& vm, uint32_t drain_ms, std::function<void()> stopped)> stop;
};

class WorkerGroup {
 public:
  // Starts n workers one after the other, each once the previous one has bound (so the first can
  // pick a free port for the others). Null + error (the failing worker's) when one cannot start;
  // those started are stopped and joined. While the group runs, it keeps the owner's loop alive.
  static std::unique_ptr<WorkerGroup> start(VM& owner, uint32_t n, WorkerHooks hooks, std::string& error);
  // Stops every worker at once (drain 0) and joins them.
  ~WorkerGroup();
  WorkerGroup(const WorkerGroup&) = delete;
  WorkerGroup& operator=(const WorkerGroup&) = delete;

  // Graceful stop of every worker; done runs on the owner's loop once all have ended. Once only.
  void stop(uint32_t drain_ms, std::function<void()> done);

 private:
  struct Shared;
  explicit WorkerGroup(std::shared_ptr<Shared> shared) : shared_(std::move(shared)) {}
  std::shared_ptr<Shared> shared_;
};

}  // namespace net
}  // namespace valk
