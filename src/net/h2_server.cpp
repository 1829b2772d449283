// h2_server.cpp: the HTTP/2 side of a server connection on nghttp2 (mem_recv / mem_send): builds
// requests from frames, enforces the header and body limits, answers with data providers that
// nghttp2 paces by flow control. nghttp2 callbacks return error codes, never throw.
#include <nghttp2/nghttp2.h>

#include <cstring>
#include <unordered_map>

#include "net/conn.h"

namespace valk::net {
namespace {

constexpr size_t kHeaderOverhead = 32;  // RFC 9113 6.5.2: each field counts 32 bytes more

struct Stream {
  Request request;
  std::shared_ptr<Responder::Slot> slot;
  size_t header_bytes = 0;
  bool headers_open = true;
  bool too_large_headers = false;
  bool too_large_body = false;
  bool dispatched = false;
  bool answered = false;
  bool head = false;  // HEAD: the answer has no body
  Response response;
  size_t sent = 0;
};

class H2 final : public Protocol {
 public:
  explicit H2(Connection& c);
  ~H2() override { nghttp2_session_del(session_); }
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

 private:
  static int on_begin_headers(nghttp2_session*, const nghttp2_frame*, void*);
  static int on_header(nghttp2_session*, const nghttp2_frame*, const uint8_t*, size_t,
                       const uint8_t*, size_t, uint8_t, void*);
  static int on_frame_recv(nghttp2_session*, const nghttp2_frame*, void*);
  static int on_data_chunk(nghttp2_session*, uint8_t, int32_t, const uint8_t*, size_t, void*);
  static int on_stream_close(nghttp2_session*, int32_t, uint32_t, void*);
  static ssize_t read_body(nghttp2_session*, int32_t, uint8_t*, size_t, uint32_t*,
                           nghttp2_data_source*, void*);
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
  nghttp2_session_server_new(&session_, cbs, this);
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
  if (!s || f->hd.type != NGHTTP2_HEADERS) return 0;  // trailers are dropped
  s->header_bytes += namelen + valuelen + kHeaderOverhead;
  if (s->header_bytes > self->conn_.options().max_header_list_bytes) {
    s->too_large_headers = true;
    return 0;
  }
  std::string_view n(reinterpret_cast<const char*>(name), namelen);
  std::string v(reinterpret_cast<const char*>(value), valuelen);
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
  if ((f->hd.type == NGHTTP2_HEADERS || f->hd.type == NGHTTP2_DATA) &&
      (f->hd.flags & NGHTTP2_FLAG_END_STREAM)) {
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

int H2::on_stream_close(nghttp2_session*, int32_t id, uint32_t, void* user) {
  auto* self = static_cast<H2*>(user);
  Stream* s = self->find(id);
  if (!s) return 0;
  self->headers_closed(*s);
  self->streams_.erase(id);
  return 0;
}

void H2::respond(int64_t id, Response&& response) {
  Stream* s = find(int32_t(id));
  if (!s || s->answered) return;
  submit(int32_t(id), *s, std::move(response));
}

ssize_t H2::read_body(nghttp2_session* session, int32_t id, uint8_t* buf, size_t len,
                      uint32_t* flags, nghttp2_data_source*, void* user) {
  auto* self = static_cast<H2*>(user);
  Stream* s = self->find(id);
  if (!s) return NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE;
  size_t n = std::min(len, s->response.body.size() - s->sent);
  std::memcpy(buf, s->response.body.data() + s->sent, n);
  s->sent += n;
  if (s->sent == s->response.body.size()) *flags |= NGHTTP2_DATA_FLAG_EOF;
  return ssize_t(n);
}

void H2::submit(int32_t id, Stream& s, Response&& response) {
  s.answered = true;
  s.response = std::move(response);
  std::string status = std::to_string(s.response.status);
  std::string length = std::to_string(s.response.body.size());
  std::vector<nghttp2_nv> nva;
  nva.reserve(s.response.headers.size() + 2);
  auto add = [&](const std::string& n, const std::string& v) {
    nva.push_back({(uint8_t*)n.data(), (uint8_t*)v.data(), n.size(), v.size(),
                   NGHTTP2_NV_FLAG_NONE});
  };
  static const std::string kStatus = ":status", kLength = "content-length";
  add(kStatus, status);
  for (const auto& [n, v] : s.response.headers) {
    if (n != kLength) add(n, v);
  }
  add(kLength, length);
  nghttp2_data_provider body{};
  body.read_callback = read_body;
  // nghttp2 copies the header block at once; the body is pulled by read_body as windows allow.
  int rc = nghttp2_submit_response(session_, id, nva.data(), nva.size(),
                                   s.response.body.empty() || s.head ? nullptr : &body);
  if (rc != 0) nghttp2_submit_rst_stream(session_, NGHTTP2_FLAG_NONE, id, NGHTTP2_INTERNAL_ERROR);
}

std::unique_ptr<Protocol> make_h2(Connection& conn) { return std::make_unique<H2>(conn); }

}  // namespace valk::net
