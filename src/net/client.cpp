// client.cpp: the HTTP/2 client: a ClientConn per authority (libuv TCP, optional TLS on memory
// BIOs, an nghttp2 client session), requests queued until the session is up, timeouts on a
// per-connection timer, GOAWAY-refused requests retried on a fresh connection.
#include "net/client.h"

#include <nghttp2/nghttp2.h>

#include <cstring>
#include <deque>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "net/h2_fields.h"
#include "net/socket_write.h"
#include "net/tls.h"

namespace valk::net {

class ClientConn;

namespace {

constexpr uint32_t kClientTickMs = 100;  // how often deadlines are checked

struct Pending {
  uint64_t id = 0;  // Client::request's, for Client::cancel
  ClientRequest request;
  std::shared_ptr<ClientBody::State> body;  // stream_body: where the response's body goes
  bool delivered = false;  // stream_body: done has run with the head; the body follows in body
  // body_source: the chunk being sent (from out_at), and where the source is.
  std::string outbox;
  size_t out_at = 0;
  bool pulled = false;         // the source was asked at least once
  bool asking = false;         // a give is awaited
  bool in_ask = false;         // inside body_source(): a give now must not resume nghttp2
  bool source_end = false;
  bool deferred = false;       // read_body said NGHTTP2_ERR_DEFERRED
  std::string source_error;    // the source failed: the stream is reset, the request fails with it
  // What the source gave, kept while the peer may still refuse the stream unprocessed (GOAWAY,
  // REFUSED_STREAM) so the request can go again; dropped at the response's head, or for good
  // past kHttpClientReplayBytes (a refused request then fails).
  std::string replay;
  bool replayable = true;
  // Where the request is now: a give arriving late resumes that stream (none while it waits for a
  // connection).
  ClientConn* conn = nullptr;
  int32_t stream_id = 0;
  std::shared_ptr<char> token = std::make_shared<char>();  // expired: the request is over
  ResponseCallback done;
  ClientResponse response;
  uint64_t deadline = 0;
  size_t sent = 0;  // request body bytes handed to nghttp2
  bool ended = false;  // the peer's END_STREAM arrived: the response is complete
  bool head_done = false;  // the final (not 1xx) answer's HEADERS arrived: a later one is the trailers
  int retries = 0;
};

std::string endpoint(const ClientRequest& r) { return r.host + ":" + std::to_string(r.port); }
// The key of r's connection in ClientCore::conns.
std::string conn_key(const ClientRequest& r) { return r.scheme + "://" + endpoint(r) + "/" + r.sni; }

}  // namespace

struct ClientBody::State {
  ClientConn* conn = nullptr;  // while the stream is open: whose window a read opens
  int32_t id = 0;
  std::string inbox;  // received and not read yet: at most the stream's window
  bool end = false;
  std::string error;
  Headers trailers;  // the response's trailer fields, handed out with the end
  ChunkFn reader;
  void deliver();
};

class ClientCore {
 public:
  uv_loop_t* loop;
  ClientOptions options;
  // Null until the first https connection when no option names a file (nothing can fail then
  // that the caller must hear of at once): starting OpenSSL costs about 10 M instructions, which
  // a program speaking only h2c never needs. The system's CAs are loaded then too.
  SslCtxPtr tls;
  bool system_cas_pending = false;
  bool closing = false;
  bool orphaned = false;
  uint64_t opened = 0;
  uint64_t requests = 0;  // made so far: the last one's id
  std::unordered_map<std::string, ClientConn*> conns;  // usable connections by authority
  std::unordered_set<ClientConn*> all;                 // connections not yet freed
  ClientConn* last = nullptr;  // the usable connection conn_for found last (most requests go to one)

  void send(std::unique_ptr<Pending> p);
  // The TLS context made and the system's CAs loaded, when not yet; false with error set when
  // either fails.
  bool ready_tls(std::string& error);
  ClientConn* conn_for(const ClientRequest& r);
  void gone(ClientConn* c);
  void close_all();
};

class ClientConn {
 public:
  ClientConn(ClientCore& core, std::string key, const ClientRequest& first);
  ~ClientConn();
  void start();
  void add(std::unique_ptr<Pending> p);
  // Drops request id when it is on this connection; false when it is not.
  bool cancel(uint64_t id);
  // ready runs once the session is up ("") or the connection failed (its error).
  void on_ready(std::function<void(const std::string&)> ready);
  void close(const std::string& why);
  std::string key;
  bool usable() const { return !closing_ && !goaway_; }
  // True when r goes to this connection's host, port and TLS name (no key built).
  bool serves(const ClientRequest& r) const {
    return port_ == r.port && scheme_ == r.scheme && host_ == r.host && sni_ == (r.sni.empty() ? r.host : r.sni);
  }
  // A streamed body's reader took n bytes of stream id: the peer may send as much again.
  void consumed(int32_t id, size_t n);

 private:
  static void on_resolved(uv_getaddrinfo_t* req, int status, addrinfo* res);
  static void on_connect(uv_connect_t* req, int status);
  static void on_alloc(uv_handle_t*, size_t, uv_buf_t* buf);
  static void on_read(uv_stream_t*, ssize_t n, const uv_buf_t* buf);
  static void on_write(uv_write_t* req, int status);
  static void on_timer(uv_timer_t*);
  static void on_closed(uv_handle_t*);
  void release();
  static int on_header(nghttp2_session*, const nghttp2_frame*, const uint8_t*, size_t,
                       const uint8_t*, size_t, uint8_t, void*);
  static int on_data_chunk(nghttp2_session*, uint8_t, int32_t, const uint8_t*, size_t, void*);
  static int on_frame_recv(nghttp2_session*, const nghttp2_frame*, void*);
  static int on_frame_not_send(nghttp2_session*, const nghttp2_frame*, int, void*);
  static int on_stream_close(nghttp2_session*, int32_t, uint32_t, void*);
  static ssize_t read_body(nghttp2_session*, int32_t, uint8_t*, size_t, uint32_t*,
                           nghttp2_data_source*, void*);
  void send_trailers(int32_t id, Pending& p, uint32_t* flags);
  void received(std::string_view cipher);
  void session_up();
  void submit(std::unique_ptr<Pending> p);
  void flush();
  void flush_soon();
  static void on_later(uv_prepare_t*);
  void finish(int32_t id, const std::string& error, bool retry);
  void head_arrived(int32_t id, Pending& p);
  void ask_source(Pending& p);
  static void given(Pending& p, const std::string& error, std::string chunk);
  void resume_source(Pending& p);
  static void end_body(Pending& p, const std::string& error);
  void check_deadlines();
  void fail_all(const std::string& why);
  void update_ref();

  ClientCore& core_;
  std::string host_, sni_, authority_, scheme_;
  int port_;
  uv_tcp_t tcp_;
  uv_timer_t timer_;
  uv_prepare_t later_;  // flush_soon's
  uv_connect_t connect_;
  uv_getaddrinfo_t resolve_;
  int open_handles_ = 0;  // handles not yet closed, and the name lookup while it runs
  std::unique_ptr<TlsChannel> tls_;
  nghttp2_session* session_ = nullptr;
  std::deque<std::unique_ptr<Pending>> waiting_;  // before the session is up
  std::unordered_map<int32_t, std::unique_ptr<Pending>> streams_;
  std::vector<std::function<void(const std::string&)>> ready_;  // Client::connect's callers
  uint64_t connect_deadline_ = 0;
  bool closing_ = false;
  bool goaway_ = false;
  bool in_feed_ = false;
  int32_t refused_by_rst_ = 0;  // the stream an RST_STREAM(REFUSED_STREAM) just closed
  std::string plain_;  // TLS: frames not yet encrypted
  std::string out_;
  char read_buf_[65536];
};

// ---- the core: connection per authority ----

void ClientCore::send(std::unique_ptr<Pending> p) {
  if (closing) {
    p->done("client closed", ClientResponse{});
    return;
  }
  ClientConn* c = conn_for(p->request);
  if (c) {
    c->add(std::move(p));
    return;
  }
  const ClientRequest& r = p->request;
  c = new ClientConn(*this, conn_key(r), r);
  conns[c->key] = c;
  all.insert(c);
  opened++;
  c->add(std::move(p));
  c->start();
}

bool ClientCore::ready_tls(std::string& error) {
  if (!tls) {
    tls = make_client_tls(options.ca_file, options.insecure, options.cert_file, options.key_file, error);
    if (!tls) return false;
  }
  if (system_cas_pending) {
    if (!load_system_cas(tls.get(), error)) return false;
    system_cas_pending = false;
  }
  return true;
}

// The usable connection to r's authority, or null.
ClientConn* ClientCore::conn_for(const ClientRequest& r) {
  if (last && last->usable() && last->serves(r)) return last;
  auto it = conns.find(conn_key(r));
  if (it == conns.end() || !it->second->usable()) return nullptr;
  last = it->second;
  return last;
}

void ClientCore::gone(ClientConn* c) {
  if (last == c) last = nullptr;
  auto it = conns.find(c->key);
  if (it != conns.end() && it->second == c) conns.erase(it);
}

void ClientCore::close_all() {
  closing = true;
  std::vector<ClientConn*> copy(all.begin(), all.end());
  for (ClientConn* c : copy) c->close("client closed");
}

// ---- one connection ----

ClientConn::ClientConn(ClientCore& core, std::string k, const ClientRequest& first)
    : key(std::move(k)), core_(core), host_(first.host), sni_(first.sni.empty() ? first.host : first.sni),
      scheme_(first.scheme), port_(first.port) {
  bool default_port = (scheme_ == "https" && port_ == 443) || (scheme_ == "http" && port_ == 80);
  authority_ = default_port ? url_host(sni_) : host_port(sni_, port_);
  ignore_sigpipe();
  uv_tcp_init(core.loop, &tcp_);
  uv_timer_init(core.loop, &timer_);
  uv_prepare_init(core.loop, &later_);
  tcp_.data = timer_.data = later_.data = connect_.data = resolve_.data = this;
  open_handles_ = 3;
}

ClientConn::~ClientConn() {
  if (session_) nghttp2_session_del(session_);
}

void ClientConn::start() {
  connect_deadline_ = uv_now(core_.loop) + core_.options.connect_timeout_ms;
  uv_timer_start(&timer_, on_timer, kClientTickMs, kClientTickMs);
  if (scheme_ == "https") {
    std::string error;
    if (!core_.ready_tls(error)) {
      close(error);
      return;
    }
  }
  // The name is looked up on libuv's thread pool: a slow resolver holds this connection only
  // (its connect timeout runs meanwhile), not the loop.
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  int rc = uv_getaddrinfo(core_.loop, &resolve_, on_resolved, host_.c_str(), std::to_string(port_).c_str(), &hints);
  if (rc != 0) {
    close("connect " + host_port(host_, port_) + ": " + uv_strerror(rc));
    return;
  }
  ++open_handles_;
}

void ClientConn::on_resolved(uv_getaddrinfo_t* req, int status, addrinfo* res) {
  auto* self = static_cast<ClientConn*>(req->data);
  if (!self->closing_) {  // closed meanwhile (timeout, client closed): nothing to connect
    int rc = status == 0 ? uv_tcp_connect(&self->connect_, &self->tcp_, res->ai_addr, on_connect) : status;
    if (rc != 0) self->close("connect " + host_port(self->host_, self->port_) + ": " + uv_strerror(rc));
  }
  uv_freeaddrinfo(res);
  self->release();
}

void ClientConn::on_connect(uv_connect_t* req, int status) {
  auto* self = static_cast<ClientConn*>(req->data);
  if (self->closing_) return;
  if (status != 0) {
    self->close("connect " + host_port(self->host_, self->port_) + ": " + uv_strerror(status));
    return;
  }
  uv_tcp_nodelay(&self->tcp_, 1);
  uv_read_start(reinterpret_cast<uv_stream_t*>(&self->tcp_), on_alloc, on_read);
  if (self->scheme_ == "https") {
    self->tls_ = std::make_unique<TlsChannel>(self->core_.tls.get(), self->sni_, self->sni_);
    self->flush();
  } else {
    self->session_up();
  }
}

void ClientConn::add(std::unique_ptr<Pending> p) {
  if (p->deadline == 0) p->deadline = uv_now(core_.loop) + core_.options.request_timeout_ms;
  if (session_) {
    submit(std::move(p));
    flush_soon();
  } else {
    waiting_.push_back(std::move(p));
  }
  update_ref();
}

// A request sent is reset (CANCEL; nghttp2 drops its HEADERS if they still wait for a free
// stream), one waiting for the session taken from the queue; its callback runs with "cancelled".
bool ClientConn::cancel(uint64_t id) {
  for (auto it = waiting_.begin(); it != waiting_.end(); ++it) {
    if ((*it)->id != id) continue;
    std::unique_ptr<Pending> p = std::move(*it);
    waiting_.erase(it);
    // A connection still being made for no one is given up: its connect would keep the loop
    // alive until it succeeds or times out.
    if (waiting_.empty() && ready_.empty()) {
      close("cancelled");
    } else {
      update_ref();
    }
    p->done("cancelled", ClientResponse{});
    return true;
  }
  for (const auto& [stream, p] : streams_) {
    if (p->id != id) continue;
    int32_t reset = stream;
    nghttp2_submit_rst_stream(session_, NGHTTP2_FLAG_NONE, reset, NGHTTP2_CANCEL);
    finish(reset, "cancelled", false);
    flush();
    return true;
  }
  return false;
}

void ClientConn::on_ready(std::function<void(const std::string&)> ready) {
  if (session_) {
    ready("");
    return;
  }
  ready_.push_back(std::move(ready));
  update_ref();
}

// An idle connection does not keep the loop alive: a program that made a request ends when its
// work is done, not when the peer closes the connection.
void ClientConn::update_ref() {
  if (closing_) return;
  bool busy = !streams_.empty() || !waiting_.empty() || !ready_.empty();
  for (uv_handle_t* h : {reinterpret_cast<uv_handle_t*>(&tcp_), reinterpret_cast<uv_handle_t*>(&timer_)}) {
    if (busy) {
      uv_ref(h);
    } else {
      uv_unref(h);
    }
  }
}

void ClientConn::session_up() {
  nghttp2_session_callbacks* cbs = nullptr;
  nghttp2_session_callbacks_new(&cbs);
  nghttp2_session_callbacks_set_on_header_callback(cbs, on_header);
  nghttp2_session_callbacks_set_on_data_chunk_recv_callback(cbs, on_data_chunk);
  nghttp2_session_callbacks_set_on_frame_recv_callback(cbs, on_frame_recv);
  nghttp2_session_callbacks_set_on_frame_not_send_callback(cbs, on_frame_not_send);
  nghttp2_session_callbacks_set_on_stream_close_callback(cbs, on_stream_close);
  // Windows open by what was consumed: at once for bodies gathered whole, as the program reads
  // for streamed ones (ClientBody).
  nghttp2_option* opt = nullptr;
  nghttp2_option_new(&opt);
  nghttp2_option_set_no_auto_window_update(opt, 1);
  nghttp2_session_client_new2(&session_, cbs, this, opt);
  nghttp2_option_del(opt);
  nghttp2_session_callbacks_del(cbs);
  nghttp2_settings_entry settings[] = {
      {NGHTTP2_SETTINGS_ENABLE_PUSH, 0},
      {NGHTTP2_SETTINGS_INITIAL_WINDOW_SIZE, uint32_t(limits::kHttpStreamWindowBytes)},
  };
  nghttp2_submit_settings(session_, NGHTTP2_FLAG_NONE, settings, 2);
  nghttp2_session_set_local_window_size(session_, NGHTTP2_FLAG_NONE, 0,
                                        limits::kHttpConnectionWindowBytes);
  while (!waiting_.empty()) {
    submit(std::move(waiting_.front()));
    waiting_.pop_front();
  }
  flush();
  auto ready = std::move(ready_);
  ready_.clear();
  for (auto& fn : ready) fn("");
  update_ref();
}

void ClientConn::submit(std::unique_ptr<Pending> p) {
  if (!p->source_error.empty()) {  // the body failed while the request waited to go again
    p->done("body: " + p->source_error, ClientResponse{});
    return;
  }
  const ClientRequest& r = p->request;
  std::vector<nghttp2_nv> nva;
  constexpr size_t kPseudoAndLength = 5;  // :method :scheme :authority :path content-length
  nva.reserve(kPseudoAndLength + r.headers.size());
  static const std::string kMethod = ":method", kScheme = ":scheme", kAuthority = ":authority",
                           kPath = ":path", kLength = "content-length";
  std::string length = std::to_string(r.body.size());
  add_nv(nva, kMethod, r.method);
  add_nv(nva, kScheme, scheme_);
  add_nv(nva, kAuthority, authority_);
  add_nv(nva, kPath, r.path);
  add_fields(nva, r.headers);
  bool has_body = !r.body.empty() || r.body_source || !r.trailers.empty();
  if (!r.body.empty() && !r.body_source) add_nv(nva, kLength, length);
  nghttp2_data_provider body{};
  body.read_callback = read_body;
  // nghttp2 holds the HEADERS until the peer's MAX_CONCURRENT_STREAMS allows one more stream.
  int32_t id = nghttp2_submit_request(session_, nullptr, nva.data(), nva.size(),
                                      has_body ? &body : nullptr, nullptr);
  if (id < 0) {
    p->done(std::string("request not sent: ") + nghttp2_strerror(id), ClientResponse{});
    return;
  }
  p->conn = this;
  p->stream_id = id;
  p->deferred = false;
  streams_[id] = std::move(p);
}

ssize_t ClientConn::read_body(nghttp2_session*, int32_t id, uint8_t* buf, size_t len,
                              uint32_t* flags, nghttp2_data_source*, void* user) {
  auto* self = static_cast<ClientConn*>(user);
  auto it = self->streams_.find(id);
  if (it == self->streams_.end()) return NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE;
  Pending& p = *it->second;
  if (p.request.body_source) {
    if (p.out_at == p.outbox.size() && !p.source_end) {
      if (!p.asking && p.source_error.empty()) self->ask_source(p);
      if (p.out_at == p.outbox.size() && !p.source_end) {
        p.deferred = true;
        return NGHTTP2_ERR_DEFERRED;
      }
    }
    size_t n = std::min(len, p.outbox.size() - p.out_at);
    std::memcpy(buf, p.outbox.data() + p.out_at, n);
    p.out_at += n;
    if (p.out_at == p.outbox.size() && p.source_end) self->send_trailers(id, p, flags);
    return ssize_t(n);
  }
  size_t n = std::min(len, p.request.body.size() - p.sent);
  std::memcpy(buf, p.request.body.data() + p.sent, n);
  p.sent += n;
  if (p.sent == p.request.body.size()) self->send_trailers(id, p, flags);
  return ssize_t(n);
}

// The body's last DATA frame ends the stream, or the request's trailers do (submitted from inside
// the data callback, as nghttp2 asks).
void ClientConn::send_trailers(int32_t id, Pending& p, uint32_t* flags) {
  *flags |= NGHTTP2_DATA_FLAG_EOF;
  if (p.request.trailers.empty()) return;
  std::vector<nghttp2_nv> nva = nv_list(p.request.trailers);
  if (nghttp2_submit_trailer(session_, id, nva.data(), nva.size()) == 0) *flags |= NGHTTP2_DATA_FLAG_NO_END_STREAM;
}

int ClientConn::on_header(nghttp2_session*, const nghttp2_frame* f, const uint8_t* name,
                          size_t namelen, const uint8_t* value, size_t valuelen, uint8_t, void* user) {
  auto* self = static_cast<ClientConn*>(user);
  auto it = self->streams_.find(f->hd.stream_id);
  if (it == self->streams_.end() || f->hd.type != NGHTTP2_HEADERS) return 0;
  ClientResponse& r = it->second->response;
  std::string n(reinterpret_cast<const char*>(name), namelen);
  std::string v(reinterpret_cast<const char*>(value), valuelen);
  if (n == ":status") {
    r.status = std::atoi(v.c_str());
  } else if (r.status < 200) {
    // An interim answer's field (a 1xx such as 103 Early Hints): dropped. The final answer's
    // HEADERS follows, which nghttp2 marks NGHTTP2_HCAT_HEADERS as it marks trailers.
  } else if (it->second->head_done) {
    r.trailers.emplace_back(std::move(n), std::move(v));
  } else {
    // Room for a usual response's fields at once, rather than growing 1, 2, 4, 8.
    constexpr size_t kUsualResponseFields = 8;
    if (r.headers.empty()) r.headers.reserve(kUsualResponseFields);
    r.headers.emplace_back(std::move(n), std::move(v));
  }
  return 0;
}

int ClientConn::on_data_chunk(nghttp2_session*, uint8_t, int32_t id, const uint8_t* data,
                              size_t len, void* user) {
  auto* self = static_cast<ClientConn*>(user);
  nghttp2_session_consume_connection(self->session_, len);
  auto it = self->streams_.find(id);
  if (it != self->streams_.end() && it->second->delivered) {
    ClientBody::State& b = *it->second->body;
    b.inbox.append(reinterpret_cast<const char*>(data), len);
    b.deliver();
    return 0;
  }
  nghttp2_session_consume_stream(self->session_, id, len);
  if (it != self->streams_.end()) it->second->response.body.append(reinterpret_cast<const char*>(data), len);
  return 0;
}

// Gives the waiting reader what has arrived (at most one chunk), the end, or the error.
void ClientBody::State::deliver() {
  if (!reader) return;
  if (error.empty() && inbox.empty() && !end) return;
  ChunkFn fn = std::move(reader);
  reader = nullptr;
  if (!error.empty()) {
    fn(error, "", {});
    return;
  }
  std::string chunk;
  if (inbox.size() <= limits::kHttpStreamChunkBytes) {
    chunk.swap(inbox);
  } else {
    chunk = inbox.substr(0, limits::kHttpStreamChunkBytes);
    inbox.erase(0, limits::kHttpStreamChunkBytes);
  }
  if (conn && !chunk.empty()) conn->consumed(id, chunk.size());
  Headers with_end = chunk.empty() ? std::move(trailers) : Headers{};
  fn("", std::move(chunk), std::move(with_end));
}

void ClientBody::unread() { st_->reader = nullptr; }

bool ClientBody::read(ChunkFn fn) {
  if (st_->reader) return false;
  st_->reader = std::move(fn);
  st_->deliver();
  return true;
}

// Asks the request's body source for its next chunk. The source may give at once (inside this
// call: read_body then takes the chunk itself) or later, from the loop, perhaps once the request
// has moved to another stream or connection (given finds it through p.conn).
void ClientConn::ask_source(Pending& p) {
  p.pulled = true;
  p.asking = true;
  p.in_ask = true;
  std::weak_ptr<char> alive = p.token;
  Pending* raw = &p;
  p.request.body_source([alive, raw](const std::string& error, std::string chunk) {
    if (alive.expired()) return;  // the request ended (reset, timeout, connection closed)
    given(*raw, error, std::move(chunk));
  });
  p.in_ask = false;
}

void ClientConn::given(Pending& p, const std::string& error, std::string chunk) {
  if (!p.asking) return;
  p.asking = false;
  if (!error.empty()) {
    p.source_error = error;
  } else {
    if (p.replayable && p.replay.size() + chunk.size() > limits::kHttpClientReplayBytes) {
      p.replayable = false;
      std::string().swap(p.replay);
    } else if (p.replayable) {
      p.replay += chunk;
    }
    if (chunk.empty()) p.source_end = true;
    // Appended: after a retry the outbox may still hold the part given before.
    p.outbox.erase(0, p.out_at);
    p.out_at = 0;
    p.outbox += chunk;
  }
  if (!p.conn) return;                             // no stream yet: submit finds what came
  if (p.in_ask && p.source_error.empty()) return;  // read_body, which asked, takes the chunk
  p.conn->resume_source(p);
}

// A late give reaches the request's stream: a failed source resets it (its close, through
// finish, fails the request with the error); a chunk resumes nghttp2's data provider.
void ClientConn::resume_source(Pending& p) {
  if (closing_) return;
  if (!p.source_error.empty()) {
    nghttp2_submit_rst_stream(session_, NGHTTP2_FLAG_NONE, p.stream_id, NGHTTP2_CANCEL);
  } else if (p.deferred) {
    p.deferred = false;
    nghttp2_session_resume_data(session_, p.stream_id);
  }
  if (!p.in_ask) flush();  // inside read_body nghttp2 is sending already
}

void ClientConn::consumed(int32_t id, size_t n) {
  nghttp2_session_consume_stream(session_, id, n);
  flush();  // the WINDOW_UPDATE (flush waits while nghttp2 is feeding: it flushes after)
}

// A streamed response's head: the program gets it now and reads the body as it comes; the
// request's timeout no longer applies (the body takes as long as the program reads).
void ClientConn::head_arrived(int32_t id, Pending& p) {
  p.delivered = true;
  p.deadline = UINT64_MAX;
  p.body->conn = this;
  p.body->id = id;
  ClientResponse head;
  head.status = p.response.status;
  head.headers = std::move(p.response.headers);
  head.stream = std::make_shared<ClientBody>(p.body);
  p.done("", std::move(head));
}

// The stream of a delivered response has closed: its body ends, or fails with error.
void ClientConn::end_body(Pending& p, const std::string& error) {
  ClientBody::State& b = *p.body;
  b.conn = nullptr;
  if (error.empty()) {
    b.end = true;
    b.trailers = std::move(p.response.trailers);
  } else {
    b.error = error;
    b.inbox.clear();
  }
  b.deliver();
}

int ClientConn::on_frame_recv(nghttp2_session*, const nghttp2_frame* f, void* user) {
  auto* self = static_cast<ClientConn*>(user);
  if ((f->hd.type == NGHTTP2_DATA || f->hd.type == NGHTTP2_HEADERS) &&
      (f->hd.flags & NGHTTP2_FLAG_END_STREAM)) {
    auto it = self->streams_.find(f->hd.stream_id);
    if (it != self->streams_.end()) it->second->ended = true;
  }
  if (f->hd.type == NGHTTP2_HEADERS) {
    auto it = self->streams_.find(f->hd.stream_id);
    if (it != self->streams_.end()) {
      // The peer answers: it processed the request, which will not go again.
      it->second->replayable = false;
      std::string().swap(it->second->replay);
      if (it->second->response.status >= 200) it->second->head_done = true;
    }
    if (it != self->streams_.end() && it->second->body && !it->second->delivered &&
        it->second->response.status >= 200) {
      self->head_arrived(f->hd.stream_id, *it->second);
    }
  }
  if (f->hd.type == NGHTTP2_RST_STREAM && f->rst_stream.error_code == NGHTTP2_REFUSED_STREAM) {
    self->refused_by_rst_ = f->hd.stream_id;
  }
  if (f->hd.type == NGHTTP2_GOAWAY) {
    // No new streams here; the peer's unprocessed ones come back as REFUSED_STREAM closes.
    self->goaway_ = true;
    self->core_.gone(self);
  }
  return 0;
}

int ClientConn::on_frame_not_send(nghttp2_session*, const nghttp2_frame* f, int error, void* user) {
  auto* self = static_cast<ClientConn*>(user);
  if (f->hd.type != NGHTTP2_HEADERS) return 0;
  // A request never sent (the connection is going away) is safe to send again elsewhere.
  self->finish(f->hd.stream_id, std::string("request not sent: ") + nghttp2_strerror(error), true);
  return 0;
}

int ClientConn::on_stream_close(nghttp2_session*, int32_t id, uint32_t code, void* user) {
  auto* self = static_cast<ClientConn*>(user);
  auto it = self->streams_.find(id);
  bool ended = it != self->streams_.end() && it->second->ended;
  if (code == NGHTTP2_NO_ERROR && ended) {
    self->finish(id, "", false);
  } else {
    self->finish(id, std::string("stream reset: ") + nghttp2_http2_strerror(code),
                 code == NGHTTP2_REFUSED_STREAM);
  }
  return 0;
}

// Completes stream id: with its response, or with error (retried elsewhere when retry allows it).
void ClientConn::finish(int32_t id, const std::string& error, bool retry) {
  auto it = streams_.find(id);
  if (it == streams_.end()) return;
  std::unique_ptr<Pending> p = std::move(it->second);
  streams_.erase(it);
  p->conn = nullptr;
  update_ref();
  if (p->delivered) {
    end_body(*p, p->source_error.empty() ? error : "body: " + p->source_error);
    return;
  }
  if (!p->source_error.empty()) {
    p->done("body: " + p->source_error, ClientResponse{});
    return;
  }
  std::string why = error;
  if (!error.empty() && retry && p->pulled && !p->replayable) {
    retry = false;
    why = error + " (after more than " + std::to_string(limits::kHttpClientReplayBytes) +
          " bytes of the body function's chunks: not sent again)";
  }
  if (!error.empty() && retry && p->retries < limits::kHttpClientRetries && !core_.closing) {
    p->retries++;
    p->sent = 0;
    p->response = ClientResponse{};
    // The body again from its start: what the source gave so far, then the source goes on.
    p->outbox = p->replay;
    p->out_at = 0;
    // nghttp2 closes the streams a GOAWAY left unprocessed before it reports the GOAWAY itself:
    // only a stream refused by its own RST_STREAM stays on this connection.
    if (id != refused_by_rst_) {
      goaway_ = true;
      core_.gone(this);
    }
    if (usable()) {
      // Refused without a GOAWAY: sent before the peer's SETTINGS (its stream limit) arrived.
      // nghttp2 now knows the limit and queues the request until a stream is free.
      submit(std::move(p));
      flush();
    } else {
      core_.send(std::move(p));  // a new connection for the authority
    }
    return;
  }
  if (error.empty() && p->response.status == 0) {
    p->done("connection closed", ClientResponse{});
    return;
  }
  p->done(why, std::move(p->response));
}

void ClientConn::on_alloc(uv_handle_t* h, size_t, uv_buf_t* buf) {
  auto* self = static_cast<ClientConn*>(h->data);
  *buf = uv_buf_init(self->read_buf_, sizeof self->read_buf_);
}

void ClientConn::on_read(uv_stream_t* s, ssize_t n, const uv_buf_t* buf) {
  auto* self = static_cast<ClientConn*>(s->data);
  if (n < 0) {
    self->close("connection closed");
    return;
  }
  try {
    self->received(std::string_view(buf->base, size_t(n)));
  } catch (...) {
    self->close("out of memory");
  }
}

void ClientConn::received(std::string_view cipher) {
  if (closing_) return;
  std::string plain_buf;
  std::string_view plain = cipher;
  if (tls_) {
    std::string error;
    if (!tls_->receive(cipher, plain_buf, error)) {
      close(error);
      return;
    }
    if (!tls_->handshake_done()) {
      flush();
      return;
    }
    if (!session_) {
      if (tls_->alpn() != "h2") {
        close("tls: the server did not agree to h2 (ALPN)");
        return;
      }
      session_up();
    }
    plain = plain_buf;
  }
  if (!session_ || plain.empty()) return;
  in_feed_ = true;
  ssize_t rc = nghttp2_session_mem_recv(session_, reinterpret_cast<const uint8_t*>(plain.data()), plain.size());
  in_feed_ = false;
  if (rc < 0) {
    close(std::string("http2: ") + nghttp2_strerror(int(rc)));
    return;
  }
  flush();
}

void ClientConn::flush() {
  if (closing_ || in_feed_) return;
  while (session_) {
    const uint8_t* data = nullptr;
    ssize_t n = nghttp2_session_mem_send(session_, &data);
    if (n < 0) {
      close(std::string("http2: ") + nghttp2_strerror(int(n)));
      return;
    }
    if (n == 0) break;
    (tls_ ? plain_ : out_).append(reinterpret_cast<const char*>(data), size_t(n));
  }
  if (tls_) tls_->seal(plain_, out_);
  if (!out_.empty() && write_out(reinterpret_cast<uv_stream_t*>(&tcp_), out_, this, on_write) < 0) {
    close("connection closed");
    return;
  }
  if (session_ && goaway_ && streams_.empty() && !nghttp2_session_want_write(session_)) close("");
}

// The requests many fibers make in one turn of the loop leave in one write, in the prepare phase
// before the loop polls (a write per request was a system call each).
void ClientConn::flush_soon() {
  if (!uv_is_active(reinterpret_cast<uv_handle_t*>(&later_))) uv_prepare_start(&later_, on_later);
}

void ClientConn::on_later(uv_prepare_t* p) {
  uv_prepare_stop(p);
  static_cast<ClientConn*>(p->data)->flush();
}

void ClientConn::on_write(uv_write_t* req, int status) {
  auto* w = reinterpret_cast<WriteReq*>(req);
  auto* self = static_cast<ClientConn*>(req->data);
  delete w;
  if (self->closing_) return;
  if (status != 0) {
    self->close("connection closed");
    return;
  }
  self->flush();
}

void ClientConn::on_timer(uv_timer_t* t) {
  auto* self = static_cast<ClientConn*>(t->data);
  self->check_deadlines();
}

void ClientConn::check_deadlines() {
  uint64_t now = uv_now(core_.loop);
  if (!session_ && now >= connect_deadline_) {
    close("connect " + host_port(host_, port_) + ": timeout after " +
          std::to_string(core_.options.connect_timeout_ms) + " ms");
    return;
  }
  std::vector<int32_t> late;
  for (auto& [id, p] : streams_) {
    if (now >= p->deadline) late.push_back(id);
  }
  for (int32_t id : late) {
    nghttp2_submit_rst_stream(session_, NGHTTP2_FLAG_NONE, id, NGHTTP2_CANCEL);
    finish(id, "timeout after " + std::to_string(core_.options.request_timeout_ms) + " ms", false);
  }
  if (!late.empty()) flush();
}

void ClientConn::fail_all(const std::string& why) {
  std::vector<std::unique_ptr<Pending>> all;
  for (auto& [id, p] : streams_) all.push_back(std::move(p));
  for (auto& p : waiting_) all.push_back(std::move(p));
  streams_.clear();
  waiting_.clear();
  for (auto& p : all) {
    if (p->delivered) {
      end_body(*p, why.empty() ? "connection closed" : why);
    } else {
      p->done(why.empty() ? "connection closed" : why, ClientResponse{});
    }
  }
}

void ClientConn::close(const std::string& why) {
  if (closing_) return;
  closing_ = true;
  core_.gone(this);
  uv_timer_stop(&timer_);
  uv_close(reinterpret_cast<uv_handle_t*>(&tcp_), on_closed);
  uv_close(reinterpret_cast<uv_handle_t*>(&timer_), on_closed);
  uv_close(reinterpret_cast<uv_handle_t*>(&later_), on_closed);
  auto ready = std::move(ready_);
  ready_.clear();
  for (auto& fn : ready) fn(why.empty() ? "connection closed" : why);
  fail_all(why);
}

void ClientConn::on_closed(uv_handle_t* h) { static_cast<ClientConn*>(h->data)->release(); }

// One of open_handles_ is done; the last frees the connection (and an orphaned core with it).
void ClientConn::release() {
  if (--open_handles_ > 0) return;
  ClientCore& core = core_;
  core.all.erase(this);
  delete this;
  if (core.all.empty() && core.orphaned) delete &core;
}

// ---- the handle ----

std::unique_ptr<Client> Client::make(uv_loop_t* loop, ClientOptions options, std::string& error) {
  auto* core = new ClientCore;
  core->loop = loop;
  core->options = std::move(options);
  const ClientOptions& o = core->options;
  bool names_a_file = !o.ca_file.empty() || !o.cert_file.empty();
  if (names_a_file && !core->ready_tls(error)) {
    delete core;
    return nullptr;
  }
  core->system_cas_pending = !o.insecure && o.ca_file.empty();
  return std::unique_ptr<Client>(new Client(core));
}

Client::~Client() {
  core_->close_all();
  if (core_->all.empty()) {
    delete core_;
  } else {
    core_->orphaned = true;
  }
}

uint64_t Client::request(ClientRequest&& request, ResponseCallback done) {
  auto p = std::make_unique<Pending>();
  uint64_t id = p->id = ++core_->requests;
  if (request.stream_body) p->body = std::make_shared<ClientBody::State>();
  p->request = std::move(request);
  p->done = std::move(done);
  core_->send(std::move(p));
  return id;
}

void Client::cancel(uint64_t id) {
  for (ClientConn* c : core_->all) {
    if (c->cancel(id)) return;
  }
}

void Client::connect(ClientRequest request, std::function<void(const std::string& error)> ready) {
  if (core_->closing) {
    ready("client closed");
    return;
  }
  ClientConn* c = core_->conn_for(request);
  if (!c) {
    c = new ClientConn(*core_, conn_key(request), request);
    core_->conns[c->key] = c;
    core_->all.insert(c);
    core_->opened++;
    c->on_ready(std::move(ready));
    c->start();
    return;
  }
  c->on_ready(std::move(ready));
}

uint64_t Client::connections_opened() const { return core_->opened; }

}  // namespace valk::net
