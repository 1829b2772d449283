// h2_server.cpp: the HTTP/2 side of a server connection on nghttp2 (mem_recv / mem_send): builds
// requests from frames, enforces the header and body limits, answers with data providers that
// nghttp2 paces by flow control. nghttp2 callbacks return error codes, never throw.
#include <nghttp2/nghttp2.h>

#include <cstring>
#include <unordered_map>

#include "net/conn.h"
#include "net/h2_fields.h"

namespace valk::net {
namespace {

struct Stream {
  Request request;
  std::shared_ptr<Responder::Slot> slot;
  size_t header_bytes = 0;
  bool headers_open = true;
  bool too_large_headers = false;
  bool too_large_body = false;
  bool dispatched = false;
  bool answered = false;
  bool head = false;  // HEAD (or a 204 or 304 answer): the answer has no body
  Response response;
  size_t sent = 0;
  // A streamed request body (ServerOptions::stream_bodies): bytes received and not yet read; the
  // peer's window is opened (nghttp2_session_consume) only by what the handler reads.
  bool streaming = false;
  BodyInbox in;
  // A streamed answer (Responder::begin): bytes nghttp2 has not pulled yet, from out_at.
  bool out_stream = false;
  bool out_end = false;
  bool deferred = false;  // read_body said NGHTTP2_ERR_DEFERRED: resume when a chunk comes
  std::string outbox;
  size_t out_at = 0;
  std::function<void(bool)> taken;  // a write waiting for the outbox to drain
};

class H2 final : public Protocol {
 public:
  explicit H2(Connection& c);
  ~H2() override {
    // The connection closed under a waiting read or write: it fails rather than waits forever.
    for (auto& [id, s] : streams_) fail_stream(s, "connection closed");
    nghttp2_session_del(session_);
  }
  bool feed(std::string_view bytes) override;
  void produce() override;
  [[nodiscard]] bool finished() const override {
    return dead_ || (!nghttp2_session_want_read(session_) && !nghttp2_session_want_write(session_));
  }
  void shutdown() override;
  void respond(int64_t id, Response&& response) override;
  [[nodiscard]] size_t active() const override { return streams_.size(); }
  [[nodiscard]] bool headers_pending() const override { return headers_open_ > 0; }
  void say_goodbye() override { shutdown(); }
  [[nodiscard]] bool streams() const override { return conn_.options().stream_bodies; }
  bool read(int64_t id, Responder::ChunkFn& fn) override;
  bool unread(int64_t id) override;
  bool begin(int64_t id, Response&& head) override;
  bool write(int64_t id, std::string& chunk, std::function<void(bool)>& taken) override;
  bool end(int64_t id, Headers& trailers) override;
  bool reset(int64_t id) override;

 private:
  static int on_begin_headers(nghttp2_session*, const nghttp2_frame*, void*);
  static int on_header(nghttp2_session*, const nghttp2_frame*, const uint8_t*, size_t,
                       const uint8_t*, size_t, uint8_t, void*);
  static int on_frame_recv(nghttp2_session*, const nghttp2_frame*, void*);
  static int on_data_chunk(nghttp2_session*, uint8_t, int32_t, const uint8_t*, size_t, void*);
  static int on_stream_close(nghttp2_session*, int32_t, uint32_t, void*);
  static int on_frame_not_send(nghttp2_session*, const nghttp2_frame*, int, void*);
  static ssize_t read_body(nghttp2_session*, int32_t, uint8_t*, size_t, uint32_t*,
                           nghttp2_data_source*, void*);
  static ssize_t read_stream(nghttp2_session*, int32_t, uint8_t*, size_t, uint32_t*,
                             nghttp2_data_source*, void*);
  void deliver(int32_t id, Stream& s);
  void drop_inbox(int32_t id, Stream& s);
  void drop_body(int32_t id, Stream& s);
  void fail_stream(Stream& s, const std::string& error);
  void body_chunk(int32_t id, Stream& s, const uint8_t* data, size_t len);
  void over_limit(int32_t id, Stream& s, const std::string& error, int status);
  void send_trailers(int32_t id, Stream& s, uint32_t* flags);
  Stream* find(int32_t id);
  void headers_closed(Stream& s);
  void request_complete(int32_t id, Stream& s);
  void submit(int32_t id, Stream& s, Response&& response);

  Connection& conn_;
  nghttp2_session* session_ = nullptr;
  std::unordered_map<int32_t, Stream> streams_;
  size_t headers_open_ = 0;
  bool dead_ = false;
  bool goaway_ = false;
};

nghttp2_session_callbacks* callbacks() {
  static nghttp2_session_callbacks* cbs = [] {
    nghttp2_session_callbacks* c = nullptr;
    nghttp2_session_callbacks_new(&c);
    return c;
  }();
  return cbs;
}

}  // namespace

H2::H2(Connection& c) : conn_(c) {
  nghttp2_session_callbacks* cbs = callbacks();
  nghttp2_session_callbacks_set_on_begin_headers_callback(cbs, on_begin_headers);
  nghttp2_session_callbacks_set_on_header_callback(cbs, on_header);
  nghttp2_session_callbacks_set_on_frame_recv_callback(cbs, on_frame_recv);
  nghttp2_session_callbacks_set_on_data_chunk_recv_callback(cbs, on_data_chunk);
  nghttp2_session_callbacks_set_on_stream_close_callback(cbs, on_stream_close);
  nghttp2_session_callbacks_set_on_frame_not_send_callback(cbs, on_frame_not_send);
  // Windows are opened by hand (nghttp2_session_consume): at once for bodies held whole, as the
  // handler reads for streamed ones.
  nghttp2_option* opt = nullptr;
  nghttp2_option_new(&opt);
  nghttp2_option_set_no_auto_window_update(opt, 1);
  nghttp2_session_server_new2(&session_, cbs, this, opt);
  nghttp2_option_del(opt);
  const ServerOptions& o = c.options();
  nghttp2_settings_entry settings[] = {
      {NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS, o.max_concurrent_streams},
      {NGHTTP2_SETTINGS_MAX_HEADER_LIST_SIZE, o.max_header_list_bytes},
      {NGHTTP2_SETTINGS_INITIAL_WINDOW_SIZE, uint32_t(limits::kHttpStreamWindowBytes)},
  };
  nghttp2_submit_settings(session_, NGHTTP2_FLAG_NONE, settings, 3);
  nghttp2_session_set_local_window_size(session_, NGHTTP2_FLAG_NONE, 0,
                                        limits::kHttpConnectionWindowBytes);
}

Stream* H2::find(int32_t id) {
  auto it = streams_.find(id);
  return it == streams_.end() ? nullptr : &it->second;
}

bool H2::feed(std::string_view bytes) {
  if (dead_) return false;
  ssize_t rc = nghttp2_session_mem_recv(session_, reinterpret_cast<const uint8_t*>(bytes.data()),
                                        bytes.size());
  if (rc < 0) {
    // Bad preface, a flood nghttp2 detected, or a callback failure: nothing more to say.
    dead_ = true;
    return false;
  }
  return true;
}

void H2::produce() {
  while (!dead_ && conn_.can_write()) {
    const uint8_t* data = nullptr;
    ssize_t n = nghttp2_session_mem_send(session_, &data);
    if (n < 0) {
      dead_ = true;
      return;
    }
    if (n == 0) return;
    conn_.write(std::string_view(reinterpret_cast<const char*>(data), size_t(n)));
  }
}

void H2::shutdown() {
  if (goaway_ || dead_) return;
  goaway_ = true;
  nghttp2_submit_goaway(session_, NGHTTP2_FLAG_NONE,
                        nghttp2_session_get_last_proc_stream_id(session_), NGHTTP2_NO_ERROR,
                        nullptr, 0);
}

int H2::on_begin_headers(nghttp2_session*, const nghttp2_frame* f, void* user) {
  auto* self = static_cast<H2*>(user);
  if (f->hd.type != NGHTTP2_HEADERS || f->headers.cat != NGHTTP2_HCAT_REQUEST) return 0;
  Stream& s = self->streams_[f->hd.stream_id];
  s.request.protocol = "h2";
  self->headers_open_++;
  return 0;
}

int H2::on_header(nghttp2_session*, const nghttp2_frame* f, const uint8_t* name, size_t namelen,
                  const uint8_t* value, size_t valuelen, uint8_t, void* user) {
  auto* self = static_cast<H2*>(user);
  Stream* s = self->find(f->hd.stream_id);
  if (!s || f->hd.type != NGHTTP2_HEADERS) return 0;
  // The trailers count against the same limit as the headers (RFC 9113 6.5.2: the whole list).
  s->header_bytes += namelen + valuelen + kFieldOverheadBytes;
  if (s->header_bytes > self->conn_.options().max_header_list_bytes) {
    s->too_large_headers = true;
    return 0;
  }
  std::string_view n(reinterpret_cast<const char*>(name), namelen);
  std::string v(reinterpret_cast<const char*>(value), valuelen);
  if (f->headers.cat == NGHTTP2_HCAT_HEADERS) {
    // Trailers (nghttp2 has checked there is no pseudo-header among them): with the request held
    // whole, or with the streamed body's end.
    (s->streaming ? s->in.trailers : s->request.trailers).emplace_back(std::string(n), std::move(v));
    return 0;
  }
  Request& r = s->request;
  if (n == ":method") {
    r.method = std::move(v);
  } else if (n == ":path") {
    size_t q = v.find('?');
    r.path = v.substr(0, q);
    if (q != std::string::npos) r.query = v.substr(q + 1);
  } else if (n == ":authority") {
    r.authority = std::move(v);
  } else if (n == ":scheme") {
    // the connection knows whether it is TLS; the client's claim is not trusted
  } else {
    // A request may name its host with host instead of :authority (RFC 9113 8.3.1); nghttp2
    // refuses one whose two differ.
    if (n == "host" && r.authority.empty()) r.authority = v;
    r.headers.emplace_back(std::string(n), std::move(v));
  }
  return 0;
}

void H2::headers_closed(Stream& s) {
  if (!s.headers_open) return;
  s.headers_open = false;
  headers_open_--;
}

int H2::on_frame_recv(nghttp2_session*, const nghttp2_frame* f, void* user) {
  auto* self = static_cast<H2*>(user);
  Stream* s = self->find(f->hd.stream_id);
  if (!s) return 0;
  if (f->hd.type == NGHTTP2_HEADERS) self->headers_closed(*s);
  bool end = f->hd.flags & NGHTTP2_FLAG_END_STREAM;
  if (s->streaming && s->too_large_headers) {
    // The trailers went past the limit.
    std::string limit = std::to_string(self->conn_.options().max_header_list_bytes);
    self->over_limit(f->hd.stream_id, *s, "the trailers are over max-header-list-bytes (" + limit + ")", 431);
  } else if (s->streaming && end) {
    s->in.end = true;
    self->deliver(f->hd.stream_id, *s);
  } else if ((f->hd.type == NGHTTP2_HEADERS || f->hd.type == NGHTTP2_DATA) && end) {
    self->request_complete(f->hd.stream_id, *s);
  } else if (f->hd.type == NGHTTP2_HEADERS && self->conn_.options().stream_bodies && !s->too_large_headers &&
             f->headers.cat == NGHTTP2_HCAT_REQUEST) {
    // The body follows: the handler starts now and reads it as it comes.
    s->streaming = true;
    self->request_complete(f->hd.stream_id, *s);
  } else if (f->hd.type == NGHTTP2_HEADERS && s->too_large_headers && !s->answered) {
    Response r;
    r.status = 431;
    self->submit(f->hd.stream_id, *s, std::move(r));
  }
  return 0;
}

int H2::on_data_chunk(nghttp2_session*, uint8_t, int32_t id, const uint8_t* data, size_t len,
                      void* user) {
  auto* self = static_cast<H2*>(user);
  Stream* s = self->find(id);
  if (s && s->streaming) {
    self->body_chunk(id, *s, data, len);
    return 0;
  }
  // Held whole (or dropped): the window opens at once.
  nghttp2_session_consume(self->session_, id, len);
  if (!s || s->answered) return 0;
  if (s->request.body.size() + len > self->conn_.options().max_body_bytes) {
    s->too_large_body = true;
    s->request.body.clear();
    Response r;
    r.status = 413;
    self->submit(id, *s, std::move(r));
    return 0;
  }
  s->request.body.append(reinterpret_cast<const char*>(data), len);
  return 0;
}

void H2::request_complete(int32_t id, Stream& s) {
  if (s.dispatched || s.answered) return;
  if (s.too_large_headers) {
    Response r;
    r.status = 431;
    submit(id, s, std::move(r));
    return;
  }
  s.dispatched = true;
  s.head = s.request.method == "HEAD";
  s.slot = std::make_shared<Responder::Slot>(Responder::Slot{&conn_, id});
  conn_.dispatch(std::move(s.request), s.slot);
}

// A HEADERS frame (an answer's or its trailers) that nghttp2 could not encode, such as a block
// over its max_send_header_block_length (64 KiB), is dropped with the stream left open: the
// peer would wait forever. The stream is reset instead. (A Valk answer over
// kHttpMaxSentHeaderBytes is refused before it gets here, answered 500 and logged.)
int H2::on_frame_not_send(nghttp2_session* session, const nghttp2_frame* frame, int, void*) {
  if (frame->hd.type == NGHTTP2_HEADERS) {
    nghttp2_submit_rst_stream(session, NGHTTP2_FLAG_NONE, frame->hd.stream_id, NGHTTP2_INTERNAL_ERROR);
  }
  return 0;
}

int H2::on_stream_close(nghttp2_session*, int32_t id, uint32_t, void* user) {
  auto* self = static_cast<H2*>(user);
  auto it = self->streams_.find(id);
  if (it == self->streams_.end()) return 0;
  self->headers_closed(it->second);
  // A reader or writer still waiting learns the stream is gone, after the erase (what it runs may
  // look the stream up again). Only they are moved out: a whole Stream is costly to move.
  Responder::ChunkFn reader = std::move(it->second.in.reader);
  std::function<void(bool)> taken = std::move(it->second.taken);
  self->streams_.erase(it);
  if (reader) reader("stream reset", "", {});
  if (taken) taken(false);
  return 0;
}

void H2::fail_stream(Stream& s, const std::string& error) {
  s.in.fail(error);
  if (auto fn = std::move(s.taken)) {
    s.taken = nullptr;
    fn(false);
  }
}

// The connection's window opens at once (a slow handler must not stall the other streams); the
// stream's only as the handler reads (deliver), so at most a stream window waits per stream.
void H2::body_chunk(int32_t id, Stream& s, const uint8_t* data, size_t len) {
  nghttp2_session_consume_connection(session_, len);
  s.in.received += len;
  size_t limit = conn_.options().max_body_bytes;
  if (s.in.received > limit || !s.in.error.empty()) {
    // Over the limit: nothing more is kept; the window still opens so the connection goes on.
    nghttp2_session_consume_stream(session_, id, len);
    if (s.in.error.empty()) over_limit(id, s, "the body is over max-body-bytes (" + std::to_string(limit) + ")", 413);
    return;
  }
  s.in.bytes.append(reinterpret_cast<const char*>(data), len);
  deliver(id, s);
}

// A streamed request went past a limit: the waiting read fails with error, and the stream is
// answered status if the answer has not begun, else reset.
void H2::over_limit(int32_t id, Stream& s, const std::string& error, int status) {
  drop_inbox(id, s);
  fail_stream(s, error);
  if (!s.answered && !s.out_stream) {
    Response r;
    r.status = status;
    submit(id, s, std::move(r));
  } else {
    nghttp2_submit_rst_stream(session_, NGHTTP2_FLAG_NONE, id, NGHTTP2_CANCEL);
  }
}

// Drops what arrived and was not read, opening the stream's window by as much: bytes left
// counted against it would stall the peer (nghttp2 sends WINDOW_UPDATE only once half the
// window is consumed, and a full inbox may be more than that).
void H2::drop_inbox(int32_t id, Stream& s) {
  nghttp2_session_consume_stream(session_, id, s.in.bytes.size());
  s.in.bytes.clear();
}

// The handler is done with the body unread (answered whole, or a streamed answer ended): what
// waits is dropped and the rest is dropped as it comes (on_data_chunk opens the window at once),
// so the peer finishes its upload instead of waiting for a window the handler would never open.
void H2::drop_body(int32_t id, Stream& s) {
  if (!s.streaming) return;
  drop_inbox(id, s);
  s.streaming = false;
  s.in.fail("the request was answered");
}

// Gives the waiting reader what has arrived (at most one chunk), or the end; the stream's window
// reopens by as much.
void H2::deliver(int32_t id, Stream& s) {
  s.in.deliver([&](size_t n) {
    nghttp2_session_consume_stream(session_, id, n);
    conn_.poke();  // the WINDOW_UPDATE
  });
}

bool H2::read(int64_t id, Responder::ChunkFn& fn) {
  Stream* s = find(int32_t(id));
  if (!s || s->in.reader) return false;
  if (!s->streaming) {
    // Its HEADERS ended the stream (no body), or it was answered whole: nothing more to read.
    fn(s->in.error, "", {});
    return true;
  }
  s->in.reader = std::move(fn);
  deliver(int32_t(id), *s);
  return true;
}

bool H2::unread(int64_t id) {
  Stream* s = find(int32_t(id));
  if (!s) return false;
  s->in.reader = nullptr;
  return true;
}

bool H2::begin(int64_t id, Response&& head) {
  Stream* s = find(int32_t(id));
  if (!s || s->answered) return false;
  s->out_stream = true;
  submit(int32_t(id), *s, std::move(head));
  return true;
}

bool H2::write(int64_t id, std::string& chunk, std::function<void(bool)>& taken) {
  Stream* s = find(int32_t(id));
  if (!s || !s->out_stream || s->out_end || s->taken) return false;
  if (s->head) chunk.clear();  // HEAD: the answer has no body (read_stream sends an empty end)
  if (s->out_at > 0 && s->out_at == s->outbox.size()) {
    s->outbox.clear();
    s->out_at = 0;
  }
  s->outbox += chunk;
  if (s->deferred && s->out_at < s->outbox.size()) {
    s->deferred = false;
    nghttp2_session_resume_data(session_, int32_t(id));
  }
  if (s->outbox.size() - s->out_at < limits::kHttpStreamBufferBytes) {
    taken(true);
  } else {
    s->taken = std::move(taken);
  }
  return true;
}

bool H2::end(int64_t id, Headers& trailers) {
  Stream* s = find(int32_t(id));
  if (!s || !s->out_stream || s->out_end) return false;
  s->out_end = true;
  // A body that has all arrived stays readable; the rest of one still coming is dropped, as
  // after a whole answer (over HTTP/1.1 too, once the answer is out).
  if (!s->in.end) drop_body(int32_t(id), *s);
  if (!s->head) s->response.trailers = std::move(trailers);
  if (s->deferred) {
    s->deferred = false;
    nghttp2_session_resume_data(session_, int32_t(id));
  }
  return true;
}

bool H2::reset(int64_t id) {
  Stream* s = find(int32_t(id));
  if (!s) return false;
  nghttp2_submit_rst_stream(session_, NGHTTP2_FLAG_NONE, int32_t(id), NGHTTP2_INTERNAL_ERROR);
  return true;
}

ssize_t H2::read_stream(nghttp2_session*, int32_t id, uint8_t* buf, size_t len, uint32_t* flags,
                        nghttp2_data_source*, void* user) {
  auto* self = static_cast<H2*>(user);
  Stream* s = self->find(id);
  if (!s) return NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE;
  size_t n = std::min(len, s->outbox.size() - s->out_at);
  if (n == 0 && !s->out_end) {
    s->deferred = true;
    return NGHTTP2_ERR_DEFERRED;
  }
  std::memcpy(buf, s->outbox.data() + s->out_at, n);
  s->out_at += n;
  if (s->out_at == s->outbox.size()) {
    s->outbox.clear();
    s->out_at = 0;
    if (s->out_end) self->send_trailers(id, *s, flags);
  }
  if (s->taken && s->outbox.size() - s->out_at < limits::kHttpStreamBufferBytes) {
    auto fn = std::move(s->taken);
    s->taken = nullptr;
    fn(true);
  }
  return ssize_t(n);
}

void H2::respond(int64_t id, Response&& response) {
  Stream* s = find(int32_t(id));
  if (!s || s->answered) return;
  drop_body(int32_t(id), *s);  // answered whole before reading all the body
  submit(int32_t(id), *s, std::move(response));
}

ssize_t H2::read_body(nghttp2_session*, int32_t id, uint8_t* buf, size_t len,
                      uint32_t* flags, nghttp2_data_source*, void* user) {
  auto* self = static_cast<H2*>(user);
  Stream* s = self->find(id);
  if (!s) return NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE;
  size_t n = std::min(len, s->response.body.size() - s->sent);
  std::memcpy(buf, s->response.body.data() + s->sent, n);
  s->sent += n;
  if (s->sent == s->response.body.size()) self->send_trailers(id, *s, flags);
  return ssize_t(n);
}

// The body's last DATA frame: it ends the stream, or the trailers do (a HEADERS frame nghttp2
// sends after this DATA; submitting them from inside the data callback is what it asks for).
void H2::send_trailers(int32_t id, Stream& s, uint32_t* flags) {
  *flags |= NGHTTP2_DATA_FLAG_EOF;
  if (s.response.trailers.empty()) return;
  std::vector<nghttp2_nv> nva = nv_list(s.response.trailers);
  if (nghttp2_submit_trailer(session_, id, nva.data(), nva.size()) == 0) *flags |= NGHTTP2_DATA_FLAG_NO_END_STREAM;
}

void H2::submit(int32_t id, Stream& s, Response&& response) {
  s.answered = true;
  s.response = std::move(response);
  bool sized = status_has_body(s.response.status);
  s.head = s.head || !sized;  // a 204 or 304 has no body, nor content-length, as HEAD has none
  std::string status = std::to_string(s.response.status);
  std::string length = s.out_stream ? "" : std::to_string(s.response.body.size());
  std::vector<nghttp2_nv> nva;
  nva.reserve(s.response.headers.size() + 3);
  static const std::string kStatus = ":status", kLength = "content-length", kDate = "date";
  add_nv(nva, kStatus, status);
  bool dated = false;
  for (const auto& [n, v] : s.response.headers) {
    if (n != kLength && !connection_specific(n, v)) add_nv(nva, n, v);
    dated = dated || n == kDate;
  }
  if (!dated) add_nv(nva, kDate, http_date());
  if (!s.out_stream && sized) add_nv(nva, kLength, length);
  if (s.head) s.response.trailers.clear();  // HEAD's HEADERS frame ends the stream
  nghttp2_data_provider body{};
  body.read_callback = s.out_stream ? read_stream : read_body;
  // nghttp2 copies the header block at once; the body is pulled by read_body as windows allow.
  bool data = s.out_stream || (!s.head && !(s.response.body.empty() && s.response.trailers.empty()));
  int rc = nghttp2_submit_response(session_, id, nva.data(), nva.size(), data ? &body : nullptr);
  if (rc != 0) nghttp2_submit_rst_stream(session_, NGHTTP2_FLAG_NONE, id, NGHTTP2_INTERNAL_ERROR);
}

std::unique_ptr<Protocol> make_h2(Connection& conn) { return std::make_unique<H2>(conn); }

}  // namespace valk::net
