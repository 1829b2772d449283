// connection.cpp: one accepted connection: reading and writing on libuv, TLS, choosing HTTP/2 or
// HTTP/1.1, backpressure (stop reading while output is stuck) and the idle/header/write timeouts.
// Every libuv callback here catches everything: no C++ exception crosses into libuv.
#include <algorithm>
#include <cstring>

#include "net/conn.h"
#include "net/socket_write.h"

namespace valk::net {
namespace {

constexpr std::string_view kH2Preface = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";

// Timeouts are checked on a tick; a coarser tick costs less, a finer one is more exact.
uint32_t tick_ms(const ServerOptions& o) {
  uint32_t t = std::min({o.idle_timeout_ms, o.header_timeout_ms, o.write_timeout_ms}) / 4;
  return std::clamp<uint32_t>(t, 10, 1000);
}

std::string peer_name(uv_tcp_t* tcp) {
  sockaddr_storage addr{};
  int len = sizeof addr;
  if (uv_tcp_getpeername(tcp, reinterpret_cast<sockaddr*>(&addr), &len) != 0) return "";
  char host[64] = "";
  if (addr.ss_family == AF_INET6) {
    auto* a = reinterpret_cast<sockaddr_in6*>(&addr);
    uv_ip6_name(a, host, sizeof host);
    return host_port(host, ntohs(a->sin6_port));
  }
  auto* a = reinterpret_cast<sockaddr_in*>(&addr);
  uv_ip4_name(a, host, sizeof host);
  return host_port(host, ntohs(a->sin_port));
}

}  // namespace

bool Responder::respond(Response response) {
  auto slot = slot_.lock();
  if (!slot) return false;
  slot_.reset();
  Connection* c = slot->conn;
  int64_t id = slot->id;
  slot.reset();
  c->respond_later(id, std::move(response));
  return true;
}

namespace {
// The protocol and stream of a Responder's slot, when both are still there.
template <class F>
bool with_stream(const std::weak_ptr<Responder::Slot>& weak, F&& f) {
  auto slot = weak.lock();
  if (!slot) return false;
  Protocol* p = slot->conn->protocol();
  if (!p || !f(*p, slot->id)) return false;
  slot->conn->poke();
  return true;
}
}  // namespace

bool Responder::streams() const {
  auto slot = slot_.lock();
  Protocol* p = slot ? slot->conn->protocol() : nullptr;
  return p && p->streams();
}

bool Responder::read(ChunkFn fn) {
  return with_stream(slot_, [&](Protocol& p, int64_t id) { return p.read(id, fn); });
}

bool Responder::unread() {
  return with_stream(slot_, [&](Protocol& p, int64_t id) { return p.unread(id); });
}

bool Responder::begin(Response head) {
  return with_stream(slot_, [&](Protocol& p, int64_t id) { return p.begin(id, std::move(head)); });
}

bool Responder::write(std::string chunk, std::function<void(bool)> taken) {
  return with_stream(slot_, [&](Protocol& p, int64_t id) { return p.write(id, chunk, taken); });
}

bool Responder::end(Headers trailers) {
  return with_stream(slot_, [&](Protocol& p, int64_t id) { return p.end(id, trailers); });
}

bool Responder::reset() {
  return with_stream(slot_, [&](Protocol& p, int64_t id) { return p.reset(id); });
}

Connection::Connection(ServerCore& s, SSL_CTX* tls) : server(s) {
  ignore_sigpipe();
  uv_tcp_init(s.loop, &tcp_);
  uv_timer_init(s.loop, &timer_);
  uv_idle_init(s.loop, &later_);
  tcp_.data = this;
  timer_.data = this;
  later_.data = this;
  open_handles_ = 3;
  if (tls) tls_ = std::make_unique<TlsChannel>(tls);
  scheme = tls ? "https" : "http";
}

const ServerOptions& Connection::options() const { return server.options; }

void Connection::start() {
  uv_tcp_nodelay(&tcp_, 1);
  remote = peer_name(&tcp_);
  opened_at_ = last_read_ = last_write_progress_ = uv_now(loop());
  uint32_t t = tick_ms(options());
  uv_timer_start(&timer_, on_timer, t, t);
  update_reading();
}

void Connection::update_reading() {
  bool want = lingering_ || (!closing_ && !close_after_write_ && can_write() && (!proto_ || proto_->wants_input()));
  if (want == reading_) return;
  reading_ = want;
  if (want) {
    uv_read_start(reinterpret_cast<uv_stream_t*>(&tcp_), on_alloc, on_read);
  } else {
    uv_read_stop(reinterpret_cast<uv_stream_t*>(&tcp_));
  }
}

void Connection::on_alloc(uv_handle_t* h, size_t, uv_buf_t* buf) {
  auto* self = static_cast<Connection*>(h->data);
  *buf = uv_buf_init(self->read_buf_, sizeof self->read_buf_);
}

void Connection::on_read(uv_stream_t* s, ssize_t n, const uv_buf_t* buf) {
  auto* self = static_cast<Connection*>(s->data);
  if (n < 0) {
    self->close();
    return;
  }
  if (n == 0 || self->lingering_) return;  // lingering: dropped
  try {
    self->last_read_ = uv_now(self->loop());
    self->received(std::string_view(buf->base, size_t(n)));
  } catch (...) {
    self->close();
  }
}

void Connection::received(std::string_view cipher) {
  std::string plain_buf;
  std::string_view plain = cipher;
  if (tls_) {
    std::string error;
    bool ok = tls_->receive(cipher, plain_buf, error);
    if (!ok) {
      close_after_write_ = true;  // the alert, if any, still goes out
      send_out();
      if (in_flight_ == 0) close();
      return;
    }
    plain = plain_buf;
  }
  if (!proto_) {
    if (tls_ && !tls_->handshake_done()) {
      send_out();
      return;
    }
    if (!choose_protocol(plain)) return;
    plain = early_;
  }
  in_feed_ = true;
  bool ok = plain.empty() || proto_->feed(plain);
  in_feed_ = false;
  if (!ok) close_after_write_ = true;
  early_.clear();
  if (server.after_input) server.after_input();
  flush();
}

// TLS: ALPN decides. Cleartext: the HTTP/2 preface (h2c with prior knowledge) or else HTTP/1.1;
// wait for enough bytes to tell.
bool Connection::choose_protocol(std::string_view plain) {
  early_.append(plain);
  bool h2;
  if (tls_) {
    h2 = tls_->alpn() == "h2";
  } else {
    size_t n = std::min(early_.size(), kH2Preface.size());
    bool prefix = early_.compare(0, n, kH2Preface.substr(0, n)) == 0;
    if (prefix && n < kH2Preface.size()) return false;
    h2 = prefix;
  }
  proto_ = h2 ? make_h2(*this) : make_h1(*this);
  return true;
}

// With TLS the frames of a turn are sealed together in send_out (TlsChannel::seal).
void Connection::write(std::string_view plain) { (tls_ ? plain_ : cipher_).append(plain); }

bool Connection::can_write() const {
  return unsent() < limits::kHttpWriteHighWaterBytes;
}

void Connection::flush() {
  if (closing_ || flushing_) return;
  // When libuv finishes a write, on_write flushes again: a protocol may wait for its output to
  // be written (a streamed answer's next chunk, output held back at the high-water mark). What
  // the socket took at once has no such callback, so flush again here: a few rounds, then on
  // the loop's next turn (poke), which runs without waiting for an event.
  for (uint32_t round = 0;; ++round) {
    flushing_ = true;
    if (proto_) proto_->produce();
    flushing_ = false;
    if (!send_out()) break;
    if (round + 1 == limits::kHttpSyncWriteRounds) {
      poke();
      break;
    }
  }
  if (proto_ && proto_->finished()) close_after_write_ = true;
  if (close_after_write_ && unsent() == 0) {
    linger();
    return;
  }
  update_reading();
}

// Everything is written: send FIN and drop the peer's input until it closes too or the time is
// up (limits.h kHttpLingerMs). A stopping server closes at once.
void Connection::linger() {
  if (closing_ || lingering_) return;
  if (server.stopping ||
      uv_shutdown(&shutdown_req_, reinterpret_cast<uv_stream_t*>(&tcp_), on_shutdown) != 0) {
    close();
    return;
  }
  lingering_ = true;
  ++open_handles_;  // the shutdown request, counted until its callback
  proto_.reset();   // late answers become no-ops, as after close
  uv_timer_start(&timer_, on_timer, limits::kHttpLingerMs, 0);
  update_reading();
}

void Connection::on_shutdown(uv_shutdown_t* req, int) {
  static_cast<Connection*>(req->handle->data)->release();
}

// Hands the output to the socket (write_out). True when the socket took everything at once.
bool Connection::send_out() {
  if (tls_) tls_->seal(plain_, cipher_);
  if (cipher_.empty() || closing_) return false;
  ssize_t queued = write_out(reinterpret_cast<uv_stream_t*>(&tcp_), cipher_, this, on_write);
  if (queued < 0) {
    close();
    return false;
  }
  if (queued == 0) return true;
  if (in_flight_ == 0) last_write_progress_ = uv_now(loop());  // the write timeout counts from here
  in_flight_ += size_t(queued);
  return false;
}

void Connection::on_write(uv_write_t* req, int status) {
  auto* w = reinterpret_cast<WriteReq*>(req);
  auto* self = static_cast<Connection*>(req->data);
  self->in_flight_ -= w->data.size();
  delete w;
  if (self->closing_) return;
  if (status != 0) {
    self->close();
    return;
  }
  self->last_write_progress_ = uv_now(self->loop());
  try {
    self->flush();
  } catch (...) {
    self->close();
  }
}

void Connection::respond_later(int64_t id, Response&& response) {
  if (closing_ || !proto_) return;
  proto_->respond(id, std::move(response));
  poke();
}

void Connection::poke() {
  // An answer given inside the handler call, itself inside nghttp2_session_mem_recv, waits for
  // the flush that follows feeding: nghttp2 must not be asked for output from its callbacks.
  // Any other waits for the loop's next turn, so that the answers of many fibers leave in one
  // write.
  if (!in_feed_ && !uv_is_active(reinterpret_cast<uv_handle_t*>(&later_))) uv_idle_start(&later_, on_later);
}

void Connection::on_later(uv_idle_t* p) {
  auto* self = static_cast<Connection*>(p->data);
  uv_idle_stop(p);
  try {
    self->flush();
  } catch (...) {
    self->close();
  }
}

void Connection::dispatch(Request&& request, std::weak_ptr<Responder::Slot> slot) {
  server.stats.requests++;
  request.remote = remote;
  request.scheme = scheme;
  Responder responder(slot);
  try {
    server.handler(std::move(request), responder);
  } catch (...) {
    Response r;
    r.status = 500;
    r.body = "internal server error\n";
    responder.respond(std::move(r));
  }
}

void Connection::on_timer(uv_timer_t* t) {
  auto* self = static_cast<Connection*>(t->data);
  try {
    self->check_timeouts();
  } catch (...) {
    self->close();
  }
}

void Connection::check_timeouts() {
  if (lingering_) {
    close();
    return;
  }
  const ServerOptions& o = options();
  uint64_t now = uv_now(loop());
  bool pending_output = in_flight_ > 0;
  if (pending_output && now - last_write_progress_ >= o.write_timeout_ms) {
    server.stats.timeouts++;
    close();
    return;
  }
  if (!pending_output) last_write_progress_ = now;
  bool headers = proto_ ? proto_->headers_pending() : true;
  if (headers) {
    if (headers_since_ == 0) headers_since_ = proto_ ? now : opened_at_;
    if (now - headers_since_ >= o.header_timeout_ms) {
      server.stats.timeouts++;
      close();
      return;
    }
  } else {
    headers_since_ = 0;
  }
  bool idle = proto_ && proto_->active() == 0 && !headers;
  if (idle && now - last_read_ >= o.idle_timeout_ms && !close_after_write_) {
    server.stats.timeouts++;
    proto_->say_goodbye();
    close_after_write_ = true;
    flush();
  }
}

void Connection::shutdown() {
  if (closing_) return;
  if (!proto_) {
    close();
    return;
  }
  proto_->shutdown();
  flush();
}

void Connection::close() {
  if (closing_) return;
  closing_ = true;
  proto_.reset();  // drops every Responder slot: late answers become no-ops
  uv_timer_stop(&timer_);
  uv_close(reinterpret_cast<uv_handle_t*>(&tcp_), on_closed);
  uv_close(reinterpret_cast<uv_handle_t*>(&timer_), on_closed);
  uv_close(reinterpret_cast<uv_handle_t*>(&later_), on_closed);
}

void Connection::on_closed(uv_handle_t* h) {
  static_cast<Connection*>(h->data)->release();
}

// One of the handles (or the shutdown request) is done with the connection: the last frees it.
void Connection::release() {
  if (--open_handles_ > 0) return;
  if (counted) server.remove(this);
  delete this;
}

}  // namespace valk::net
