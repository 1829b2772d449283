// conn.h (internal): one accepted connection: the libuv socket and timer, optional TLS, the
// protocol it speaks (HTTP/2 or HTTP/1.1, chosen by ALPN or by the first bytes), and the timeouts.
#pragma once

#include <uv.h>

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "config/limits.h"
#include "net/http.h"
#include "net/tls.h"

namespace valk::net {

class ServerCore;
class Connection;

// The unread part of a streamed request body, the same for HTTP/2 and HTTP/1.1: what arrived,
// the reader waiting for it, its end or its error. Each protocol reopens its own flow (the stream
// window, the socket) by what deliver hands out.
struct BodyInbox {
  std::string bytes;
  size_t received = 0;  // all the body so far, read or not (for max-body-bytes)
  bool end = false;
  std::string error;  // "stream reset", "connection closed", "the body is over max-body-bytes (N)"
  Headers trailers;   // the request's trailer fields, handed out with the end
  Responder::ChunkFn reader;

  // The waiting reader gets the error, or the next chunk (at most kHttpStreamChunkBytes), or the
  // end; handed(n) runs first with the bytes given, so the protocol reopens its flow before the
  // reader (which may read again at once) runs.
  template <class F>
  void deliver(F&& handed) {
    if (!reader) return;
    if (!error.empty()) return fail(error);
    if (bytes.empty() && !end) return;
    std::string chunk;
    if (bytes.size() <= limits::kHttpStreamChunkBytes) {
      chunk.swap(bytes);
    } else {
      chunk = bytes.substr(0, limits::kHttpStreamChunkBytes);
      bytes.erase(0, limits::kHttpStreamChunkBytes);
    }
    handed(chunk.size());
    auto fn = std::move(reader);
    reader = nullptr;
    Headers with_end = chunk.empty() ? std::move(trailers) : Headers{};
    fn("", std::move(chunk), std::move(with_end));
  }
  // Records the first error and fails the waiting reader with it.
  void fail(const std::string& e) {
    if (error.empty()) error = e;
    if (auto fn = std::move(reader)) {
      reader = nullptr;
      fn(error, "", {});
    }
  }
};

// What a protocol does with a connection's plain bytes. Implementations never throw out of these.
class Protocol {
 public:
  virtual ~Protocol() = default;
  // New plain bytes from the peer; false: close the connection now (after flushing).
  virtual bool feed(std::string_view bytes) = 0;
  // Hands pending output to Connection::write while the connection accepts more.
  virtual void produce() = 0;
  // Nothing left to read or write (peer said goodbye, or a graceful stop completed).
  [[nodiscard]] virtual bool finished() const = 0;
  // Start a graceful stop: no new requests, in-flight ones finish.
  virtual void shutdown() = 0;
  // A handler's late answer for the stream (or HTTP/1.1 message) numbered id.
  virtual void respond(int64_t id, Response&& response) = 0;
  // Requests in flight (an idle connection has none).
  [[nodiscard]] virtual size_t active() const = 0;
  // Headers of some request have begun and are not complete.
  [[nodiscard]] virtual bool headers_pending() const = 0;
  // Called by the idle timeout before the connection closes (HTTP/2 says GOAWAY).
  virtual void say_goodbye() {}
  // False while a streamed request body waits unread past its bound: the socket is not read.
  [[nodiscard]] virtual bool wants_input() const { return true; }
  // Streamed bodies (Responder::read and the rest; ServerOptions::stream_bodies).
  [[nodiscard]] virtual bool streams() const { return false; }
  virtual bool read(int64_t, Responder::ChunkFn&) { return false; }
  virtual bool unread(int64_t) { return false; }
  virtual bool begin(int64_t, Response&&) { return false; }
  virtual bool write(int64_t, std::string&, std::function<void(bool)>&) { return false; }
  virtual bool end(int64_t, Headers&) { return false; }
  virtual bool reset(int64_t) { return false; }
};

struct Responder::Slot {
  Connection* conn;
  int64_t id;
};

std::unique_ptr<Protocol> make_h2(Connection& conn);
std::unique_ptr<Protocol> make_h1(Connection& conn);

class Connection {
 public:
  Connection(ServerCore& server, SSL_CTX* tls);
  // Starts reading; the connection frees itself once closed.
  void start();
  // Plain bytes to send (encrypted when TLS).
  void write(std::string_view plain);
  // True while the unsent output is below the high-water mark.
  [[nodiscard]] bool can_write() const;
  // Output given to write and not yet written by libuv.
  [[nodiscard]] size_t unsent() const { return in_flight_ + cipher_.size() + plain_.size(); }
  // Runs the protocol's output and hands it to libuv; closes when the protocol is finished.
  void flush();
  void close();
  void shutdown();
  void dispatch(Request&& request, std::weak_ptr<Responder::Slot> slot);
  // A handler's answer arriving through a Responder.
  void respond_later(int64_t id, Response&& response);
  // The protocol, for the streamed-body calls of a Responder; null once closing.
  Protocol* protocol() { return closing_ ? nullptr : proto_.get(); }
  // Output waits (a window update, a chunk): flush at the loop's next turn, before it polls, or
  // after the current feed when inside one.
  void poke();
  bool counted = false;  // registered with the server (ServerCore::add)

  ServerCore& server;
  const ServerOptions& options() const;
  std::string remote;
  std::string scheme;
  uv_loop_t* loop() const { return tcp_.loop; }

  uv_tcp_t* tcp() { return &tcp_; }

 private:
  static void on_alloc(uv_handle_t*, size_t, uv_buf_t* buf);
  static void on_read(uv_stream_t*, ssize_t n, const uv_buf_t* buf);
  static void on_write(uv_write_t* req, int status);
  static void on_timer(uv_timer_t*);
  static void on_later(uv_idle_t*);
  static void on_closed(uv_handle_t*);
  void received(std::string_view cipher);
  bool choose_protocol(std::string_view plain);
  bool send_out();
  void check_timeouts();
  void update_reading();
  void linger();
  void release();
  static void on_shutdown(uv_shutdown_t* req, int status);

  uv_tcp_t tcp_;
  uv_timer_t timer_;
  // Answers given outside a feed (a handler's fiber, a timer) are flushed together at the loop's
  // next turn, before it polls: one write for a batch of streams, not one per answer. An idle
  // handle, not a prepare one: while one is active the poll does not block, so a flush that
  // stopped after kHttpSyncWriteRounds goes on as fast as the socket takes the output. (A prepare
  // handle restarted from its own callback left that poll asleep until the connection's tick:
  // a large answer to a peer that sent nothing back went at about 2 MB a second.)
  uv_idle_t later_;
  std::unique_ptr<TlsChannel> tls_;
  std::unique_ptr<Protocol> proto_;
  std::string early_;      // plain bytes before the protocol is known
  std::string plain_;      // TLS: output not yet encrypted (send_out makes full-size records of it)
  std::string cipher_;     // output not yet handed to libuv
  size_t in_flight_ = 0;   // bytes handed to libuv and not yet written
  bool reading_ = false;
  bool closing_ = false;
  bool flushing_ = false;
  bool in_feed_ = false;
  bool close_after_write_ = false;
  bool lingering_ = false;  // FIN sent; input is read and dropped until EOF or kHttpLingerMs
  uv_shutdown_t shutdown_req_;
  int open_handles_ = 0;
  uint64_t opened_at_ = 0;
  uint64_t last_read_ = 0;
  uint64_t last_write_progress_ = 0;
  uint64_t headers_since_ = 0;  // 0: no incomplete headers
  char read_buf_[65536];
};

// The part of the server that connections see: options, handler, counters, the set of
// connections (for graceful stop).
class ServerCore {
 public:
  uv_loop_t* loop = nullptr;
  ServerOptions options;
  Handler handler;
  std::function<void()> after_input;  // Server::after_input
  ServerStats stats;
  SslCtxPtr tls;
  bool stopping = false;
  void add(Connection*);
  void remove(Connection*);
  virtual ~ServerCore() = default;
  virtual void connection_gone() {}

 protected:
  std::vector<Connection*> conns_;
};

}  // namespace valk::net
