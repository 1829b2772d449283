// serve_workers.h: http/serve's `workers N`: N worker isolates (threads, each with its own VM and
// loop), each running a server fed by one acceptor thread that hands the connections of the one
// listening socket to the workers in turn. Only bytes and socket fds cross between them.
#pragma once

#include <uv.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

namespace valk {

class VM;

namespace net {

// What each worker does, on its own thread and VM: `start` makes its server (false + error when
// it cannot); `adopt` serves a connection (a nonblocking socket fd it now owns); `stop` begins a
// graceful stop with a drain deadline and calls `stopped` once the server is closed. The worker's
// VM then goes, and with it what its fibers still wait on.
struct WorkerHooks {
  std::function<bool(VM& vm, uint32_t index, std::string& error)> start;
  std::function<void(VM& vm, int fd)> adopt;
  std::function<void(VM& vm, uint32_t drain_ms, std::function<void()> stopped)> stop;
};

class WorkerGroup {
 public:
  // Listens on host:port (0: a free one), then starts n workers one after the other, then the
  // acceptor. Null + error (the socket's, or the failing worker's) when one cannot start; those
  // started are stopped and joined. While the group runs, it keeps the owner's loop alive.
  static std::unique_ptr<WorkerGroup> start(VM& owner, uint32_t n, const std::string& host, int port,
                                            WorkerHooks hooks, std::string& error);
  // Stops every worker at once (drain 0) and joins them.
  ~WorkerGroup();
  WorkerGroup(const WorkerGroup&) = delete;
  WorkerGroup& operator=(const WorkerGroup&) = delete;

  [[nodiscard]] int port() const;
  // Closes the listening socket, then stops every worker gracefully; done runs on the owner's loop
  // once all have ended. Once only.
  void stop(uint32_t drain_ms, std::function<void()> done);

 private:
  struct Shared;
  explicit WorkerGroup(std::shared_ptr<Shared> shared) : shared_(std::move(shared)) {}
  std::shared_ptr<Shared> shared_;
};

}  // namespace net
}  // namespace valk
