// net_fixture.h: what the net tests share: a server on its own libuv loop in a thread (the test
// thread runs real peers: curl, nghttp, h2load, node, h2probe.py), shell helpers, and test
// certificates made with openssl. Every loop ends with uv_loop_close() == 0.
#pragma once

#include <gtest/gtest.h>
#include <uv.h>

#include <atomic>
#include <signal.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <future>
#include <memory>
#include <string>
#include <thread>

#include "net/server.h"

namespace valk::net::test {

struct Shell {
  int status;
  std::string out;
};

// Runs a shell command (always under `timeout`, so no peer can hang the suite).
inline Shell sh(const std::string& cmd, int seconds = 60) {
  std::string full = "timeout " + std::to_string(seconds) + " bash -c '" + cmd + "' 2>&1";
  Shell r{0, ""};
  FILE* p = popen(full.c_str(), "r");
  if (!p) return {-1, "popen failed"};
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, p)) > 0) r.out.append(buf, n);
  int st = pclose(p);
  r.status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
  return r;
}

inline size_t count(const std::string& text, const std::string& what) {
  size_t n = 0;
  for (size_t i = text.find(what); i != std::string::npos; i = text.find(what, i + 1)) n++;
  return n;
}

// A server running on its own loop in its own thread until stop().
class LoopServer {
 public:
  LoopServer(ServerOptions options, Handler handler, uint32_t drain_ms = 1000)
      : drain_ms_(drain_ms) {
    std::promise<int> port;
    auto ready = port.get_future();
    thread_ = std::thread([this, options = std::move(options), handler = std::move(handler),
                           p = std::move(port)]() mutable { run(std::move(options), std::move(handler), p); });
    port_ = ready.get();
  }
  ~LoopServer() { stop(); }

  int port() const { return port_; }
  std::string url(const std::string& path = "/hello") const {
    return "http://127.0.0.1:" + std::to_string(port_) + path;
  }
  std::string tls_url(const std::string& path = "/hello") const {
    return "https://localhost:" + std::to_string(port_) + path;
  }
  // Asks the loop to stop gracefully; joins. After it: stats(), loop_close_rc().
  void stop() {
    if (!thread_.joinable()) return;
    begin_stop();
    thread_.join();
  }
  // Stops without joining (the test keeps running peers meanwhile).
  void begin_stop() {
    if (port_ >= 0 && !stop_sent_.exchange(true)) uv_async_send(&stop_);
  }
  const ServerStats& stats() const { return stats_; }
  int loop_close_rc() const { return close_rc_; }
  const std::string& error() const { return error_; }
  uv_loop_t* loop() { return &loop_; }

 private:
  void run(ServerOptions options, Handler handler, std::promise<int>& port) {
    uv_loop_init(&loop_);
    uv_async_init(&loop_, &stop_, [](uv_async_t* a) {
      auto* self = static_cast<LoopServer*>(a->data);
      if (self->server_) self->server_->stop(self->drain_ms_);
      uv_close(reinterpret_cast<uv_handle_t*>(a), nullptr);
    });
    stop_.data = this;
    server_ = Server::start(&loop_, std::move(options), std::move(handler), error_);
    async_ready_ = true;
    port.set_value(server_ ? server_->port() : -1);
    if (!server_) uv_close(reinterpret_cast<uv_handle_t*>(&stop_), nullptr);
    uv_run(&loop_, UV_RUN_DEFAULT);
    if (server_) stats_ = server_->stats();
    server_.reset();
    uv_run(&loop_, UV_RUN_DEFAULT);
    close_rc_ = uv_loop_close(&loop_);
  }

  uint32_t drain_ms_;
  std::thread thread_;
  uv_loop_t loop_;
  uv_async_t stop_;
  std::atomic<bool> async_ready_{false};
  std::atomic<bool> stop_sent_{false};
  std::unique_ptr<Server> server_;
  ServerStats stats_;
  std::string error_;
  int port_ = -1;
  int close_rc_ = -100;
};

// Certificates for TLS tests, made once per run with openssl in a fresh folder: a CA, a server
// certificate for localhost/127.0.0.1 and a client certificate, both signed by the CA.
struct Certs {
  std::string dir, ca, server_cert, server_key, client_cert, client_key;
};

// The folder of certs(), removed when the test process exits.
inline std::string& scratch_dir() {
  static std::string dir;
  return dir;
}

inline const Certs& certs() {
  static Certs c = [] {
    Certs c;
    char tmpl[] = "/tmp/valk-net-XXXXXX";
    c.dir = mkdtemp(tmpl);
    scratch_dir() = c.dir;
    std::atexit([] {
      std::error_code ignored;
      std::filesystem::remove_all(scratch_dir(), ignored);
    });
    std::string d = c.dir;
    std::string ec = "-newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes";
    std::string cmd =
        "cd " + d + " && printf \"subjectAltName=DNS:localhost,IP:127.0.0.1\" > san.ext && "
        "openssl req -x509 " + ec + " -keyout ca.key -out ca.pem -days 2 -subj /CN=valk-test-ca && "
        "openssl req " + ec + " -keyout server.key -out server.csr -subj /CN=localhost && "
        "openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 2 "
        "-extfile san.ext -out server.pem && "
        "openssl req " + ec + " -keyout client.key -out client.csr -subj /CN=valk-client && "
        "openssl x509 -req -in client.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 2 "
        "-out client.pem";
    Shell r = sh(cmd);
    EXPECT_EQ(r.status, 0) << r.out;
    c.ca = d + "/ca.pem";
    c.server_cert = d + "/server.pem";
    c.server_key = d + "/server.key";
    c.client_cert = d + "/client.pem";
    c.client_key = d + "/client.key";
    return c;
  }();
  return c;
}

// A port that was free a moment ago (for peers that cannot be told to pick one).
inline int free_port() {
  Shell r = sh("/usr/bin/python3 -c \"import socket; s=socket.socket(); s.bind((\\\"127.0.0.1\\\",0)); print(s.getsockname()[1])\"");
  return std::atoi(r.out.c_str());
}

// A peer server started in the background (its output to a log), stopped by its pid when the
// test ends, even when an ASSERT returned early. pid is -1 when it could not be started.
struct Peer {
  Peer(const std::string& cmd, int port) {
    std::string log = certs().dir + "/peer" + std::to_string(port) + ".log";
    Shell r = sh(cmd + " > " + log + " 2>&1 & echo $!; for i in $(seq 100); do (exec 3<>/dev/tcp/127.0.0.1/" +
                 std::to_string(port) + ") 2>/dev/null && break; sleep 0.05; done");
    pid = r.status == 0 ? std::atoi(r.out.c_str()) : -1;
  }
  ~Peer() {
    if (pid > 0) kill(pid, SIGTERM);
  }
  Peer(const Peer&) = delete;
  Peer& operator=(const Peer&) = delete;
  int pid;
};

// A node program written to NAME.js in the certificates' folder and run as a Peer listening on
// port (node's http2 module as the server a test talks to).
struct NodePeer : Peer {
  NodePeer(const std::string& name, int port, const std::string& source)
      : Peer("node " + write_script(name, source), port) {}
  static std::string write_script(const std::string& name, const std::string& source) {
    std::string path = certs().dir + "/" + name + ".js";
    std::ofstream(path) << source;
    return path;
  }
};

// A file of n bytes (for uploads), made once per size.
inline std::string blob(size_t n) {
  std::string path = certs().dir + "/blob" + std::to_string(n);
  FILE* f = fopen(path.c_str(), "wb");
  std::string data(n, 'v');
  for (size_t i = 0; i < n; i++) data[i] = char('a' + i % 26);
  fwrite(data.data(), 1, n, f);
  fclose(f);
  return path;
}

}  // namespace valk::net::test
