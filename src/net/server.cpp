// server.cpp: the listening socket, accepting connections, graceful stop with a drain deadline.
// The core frees itself in its last close callback, so the Server handle may go at any time.
#include "net/server.h"

#include <netdb.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "net/conn.h"

namespace valk::net {

void ServerCore::add(Connection* c) {
  conns_.push_back(c);
  c->counted = true;
  stats.connections++;
  stats.open_connections++;
}

void ServerCore::remove(Connection* c) {
  auto it = std::find(conns_.begin(), conns_.end(), c);
  if (it != conns_.end()) {
    *it = conns_.back();
    conns_.pop_back();
  }
  stats.open_connections--;
  connection_gone();
}

class ListenerCore : public ServerCore {
 public:
  uv_tcp_t listener;
  uv_timer_t drain;
  int port = 0;
  bool orphaned = false;  // the Server handle is gone
  int open_handles = 0;
  std::function<void()> done;

  bool listen(uv_loop_t* loop, std::string& error);
  void stop(uint32_t drain_ms);
  void adopt(int fd);
  void connection_gone() override { maybe_finish(); }
  static void on_closed(uv_handle_t* h);

 private:
  static void on_connection(uv_stream_t* s, int status);
  static void on_drain_deadline(uv_timer_t* t);
  void accept_one();
  void maybe_finish();
  bool handles_closing_ = false;
};

// "listen 127.0.0.1:8080: address already in use": the one text of a socket that could not listen.
static std::string listen_error(const std::string& host, int port, int uv_error) {
  return "listen " + host + ":" + std::to_string(port) + ": " + uv_strerror(uv_error);
}

// A fed server (ServerOptions::fed) only inits its listener, so that every server closes the
// same handles.
bool ListenerCore::listen(uv_loop_t* l, std::string& error) {
  loop = l;
  uv_tcp_init(loop, &listener);
  uv_timer_init(loop, &drain);
  listener.data = this;
  drain.data = this;
  open_handles = 2;
  if (options.fed) return true;
  int fd = listen_socket(options.host, options.port, &port, error);
  if (fd < 0) return false;
  int rc = uv_tcp_open(&listener, fd);
  if (rc != 0) ::close(fd);
  if (rc == 0) rc = uv_listen(reinterpret_cast<uv_stream_t*>(&listener), limits::kHttpListenBacklog, on_connection);
  if (rc != 0) error = listen_error(options.host, options.port, rc);
  return rc == 0;
}

// host's address: an IPv4 or IPv6 literal, else a name resolved at once (a server starts
// listening before its first request, and names to listen on are local: "localhost", the
// machine's own).
static int listen_address(const std::string& host, int port, sockaddr_storage* addr) {
  if (uv_ip4_addr(host.c_str(), port, reinterpret_cast<sockaddr_in*>(addr)) == 0) return 0;
  if (uv_ip6_addr(host.c_str(), port, reinterpret_cast<sockaddr_in6*>(addr)) == 0) return 0;
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE;
  addrinfo* found = nullptr;
  if (getaddrinfo(host.c_str(), std::to_string(port).c_str(), &hints, &found) != 0 || !found) {
    return UV_EAI_NONAME;
  }
  std::memcpy(addr, found->ai_addr, found->ai_addrlen);
  freeaddrinfo(found);
  return 0;
}

int listen_socket(const std::string& host, int port, int* bound_port, std::string& error) {
  sockaddr_storage addr{};
  int rc = listen_address(host, port, &addr);
  bool v6 = addr.ss_family == AF_INET6;
  // Each step runs while the ones before succeeded; the first to fail leaves its errno in rc.
  auto step = [&rc](bool ok) {
    if (rc == 0 && !ok) rc = uv_translate_sys_error(errno);
  };
  int fd = rc == 0 ? ::socket(v6 ? AF_INET6 : AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0) : -1;
  step(fd >= 0);
  int on = 1;  // as uv_tcp_bind: a restarted server binds while its old connections linger
  step(rc == 0 && setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on) == 0);
  socklen_t len = v6 ? sizeof(sockaddr_in6) : sizeof(sockaddr_in);
  step(rc == 0 && ::bind(fd, reinterpret_cast<sockaddr*>(&addr), len) == 0);
  step(rc == 0 && ::listen(fd, limits::kHttpListenBacklog) == 0);
  len = sizeof addr;
  step(rc == 0 && getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0);
  if (rc != 0) {
    if (fd >= 0) ::close(fd);
    error = listen_error(host, port, rc);
    return -1;
  }
  *bound_port = ntohs(v6 ? reinterpret_cast<sockaddr_in6*>(&addr)->sin6_port
                         : reinterpret_cast<sockaddr_in*>(&addr)->sin_port);
  return fd;
}

void ListenerCore::on_connection(uv_stream_t* s, int status) {
  auto* self = static_cast<ListenerCore*>(s->data);
  if (status == 0 && !self->stopping) self->accept_one();
}

void ListenerCore::accept_one() {
  auto* conn = new (std::nothrow) Connection(*this, tls.get());
  if (!conn) return;
  if (uv_accept(reinterpret_cast<uv_stream_t*>(&listener),
                reinterpret_cast<uv_stream_t*>(conn->tcp())) != 0) {
    conn->close();
    return;
  }
  add(conn);
  conn->start();
}

void ListenerCore::adopt(int fd) {
  auto* conn = stopping ? nullptr : new (std::nothrow) Connection(*this, tls.get());
  if (!conn || uv_tcp_open(conn->tcp(), fd) != 0) {
    ::close(fd);
    if (conn) conn->close();
    return;
  }
  add(conn);
  conn->start();
}

void ListenerCore::stop(uint32_t drain_ms) {
  if (stopping) return;
  stopping = true;
  uv_close(reinterpret_cast<uv_handle_t*>(&listener), on_closed);
  // Connections remove themselves from conns_ as they close: walk a copy.
  std::vector<Connection*> conns = conns_;
  for (Connection* c : conns) c->shutdown();
  if (conns_.empty()) {
    maybe_finish();
    return;
  }
  uv_timer_start(&drain, on_drain_deadline, drain_ms, 0);
}

void ListenerCore::on_drain_deadline(uv_timer_t* t) {
  auto* self = static_cast<ListenerCore*>(t->data);
  std::vector<Connection*> conns = self->conns_;
  for (Connection* c : conns) c->close();
}

void ListenerCore::maybe_finish() {
  if (!stopping || !conns_.empty() || handles_closing_) return;
  handles_closing_ = true;
  uv_timer_stop(&drain);
  uv_close(reinterpret_cast<uv_handle_t*>(&drain), on_closed);
}

void ListenerCore::on_closed(uv_handle_t* h) {
  auto* self = static_cast<ListenerCore*>(h->data);
  if (--self->open_handles > 0) return;
  auto done = std::move(self->done);
  bool orphaned = self->orphaned;
  if (orphaned) delete self;
  if (done) done();
}

std::unique_ptr<Server> Server::start(uv_loop_t* loop, ServerOptions options, Handler handler,
                                      std::string& error) {
  auto* core = new ListenerCore;
  core->options = std::move(options);
  core->handler = std::move(handler);
  const TlsOptions& t = core->options.tls;
  if (!t.cert_file.empty()) {
    core->tls = make_server_tls(t.cert_file, t.key_file, t.client_ca_file, error);
    if (!core->tls) {
      delete core;
      return nullptr;
    }
  }
  if (!core->listen(loop, error)) {
    core->orphaned = true;
    core->stopping = true;
    uv_close(reinterpret_cast<uv_handle_t*>(&core->listener), ListenerCore::on_closed);
    uv_close(reinterpret_cast<uv_handle_t*>(&core->drain), ListenerCore::on_closed);
    return nullptr;
  }
  return std::unique_ptr<Server>(new Server(core));
}

Server::~Server() {
  core_->stop(0);
  // If everything is already closed the core is waiting for us to free it.
  if (core_->open_handles == 0) {
    delete core_;
  } else {
    core_->orphaned = true;
  }
}

int Server::port() const { return core_->port; }
void Server::adopt(int fd) { core_->adopt(fd); }
const ServerStats& Server::stats() const { return core_->stats; }

void Server::after_input(std::function<void()> fn) { core_->after_input = std::move(fn); }

void Server::stop(uint32_t drain_ms, std::function<void()> done) {
  if (core_->stopping) return;
  core_->done = std::move(done);
  core_->stop(drain_ms);
}

}  // namespace valk::net
