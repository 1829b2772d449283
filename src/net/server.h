// server.h: the HTTP server: TCP on a caller's libuv loop, TLS with ALPN, HTTP/2 (also h2c with
// prior knowledge) and HTTP/1.1 on the same port. See docs/HTTP.md for the design and limits.
#pragma once

#include <uv.h>

#include <functional>
#include <memory>
#include <string>

#include "net/http.h"

namespace valk::net {

class ListenerCore;

class Server {
 public:
  // Binds and listens on loop. On failure returns null and sets error ("listen 1.2.3.4:80:
  // address already in use", "tls: certificate x.pem: ..."). The loop must outlive the server's
  // handles: run it until stop's callback has been called (or the Server is destroyed and the
  // loop run to completion).
  // With options.fed it binds nothing and serves what adopt hands it.
  static std::unique_ptr<Server> start(uv_loop_t* loop, ServerOptions options, Handler handler,
                                       std::string& error);
  // Destroying the server stops it at once (drain deadline 0); its handles close asynchronously.
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  [[nodiscard]] int port() const;  // 0 for a fed server
  // Serves a connected socket accepted elsewhere (a nonblocking fd, which the server now owns;
  // closed at once when the server is stopping).
  void adopt(int fd);
  [[nodiscard]] const ServerStats& stats() const;
  // Graceful stop: stop accepting, send GOAWAY (HTTP/2) or close idle keep-alive connections
  // (HTTP/1.1), let in-flight requests finish for at most drain_ms, then close what is left.
  // done runs once every handle is closed. Calling it again does nothing.
  void stop(uint32_t drain_ms, std::function<void()> done = {});
  // fn runs after each read of a connection has been handed to the handler and before the
  // connection writes: a handler that answers later (a Valk fiber) can answer there, in the
  // same write as the request's connection, instead of after every other connection's input.
  void after_input(std::function<void()> fn);

 private:
  explicit Server(ListenerCore* core) : core_(core) {}
  ListenerCore* core_;  // frees itself when its last handle is closed
};

// A nonblocking TCP socket bound to host:port (0: a free one) and listening: the fd, with the
// port it got in *bound_port; or -1 and error ("listen 1.2.3.4:80: address already in use").
int listen_socket(const std::string& host, int port, int* bound_port, std::string& error);

}  // namespace valk::net
