// h1_server.cpp: the HTTP/1.1 side of a server connection on Debian's http_parser: keep-alive,
// chunked request bodies, pipelined requests answered in order even when handlers answer late,
// and streamed bodies (ServerOptions::stream_bodies): the handler starts at the end of the
// headers, reads the body as it arrives (the socket is not read while too much waits unread) and
// may answer by chunks (transfer-encoding: chunked). At most max_concurrent_streams requests of
// a connection are read ahead of their answers, as HTTP/2 advertises it for its streams: the
// parser stops after the request that fills the queue, and what follows it waits unparsed.
#include <http_parser.h>

#include <strings.h>

#include <algorithm>
#include <climits>
#include <cstdio>
#include <cstring>
#include <deque>

#include "net/conn.h"
#include "net/h2_fields.h"

namespace valk::net {
namespace {

struct Pending {
  int64_t id = 0;
  std::shared_ptr<Responder::Slot> slot;
  bool head = false;        // HEAD (or a 204 or 304 answer): no body in the answer
  bool keep_alive = true;
  bool http10 = false;      // an HTTP/1.0 request: no chunks, keep-alive only when asked
  bool ready = false;       // the answer is whole in wire (or, streamed, has ended)
  std::string wire;         // the serialized answer, or the streamed answer's bytes not yet sent
  // A streamed request body: streaming while the handler may still read it.
  bool streaming = false;
  BodyInbox in;
  // A streamed answer (Responder::begin): chunked unless the handler gave a content-length.
  bool out_stream = false;
  bool chunked = false;
  bool cut = false;  // the handler failed after begin: the connection closes when this is due
  std::function<void(bool)> taken;  // a write waiting until libuv has written it
};

// The reason phrase of a status line: http-parser's table, with the names RFC 9110 gave 413 and
// 422 since; none for a code it does not know (the phrase may be empty, RFC 9112 4).
const char* reason(int status) {
  if (status == 413) return "Content Too Large";
  if (status == 422) return "Unprocessable Content";
  const char* name = http_status_str(http_status(status));
  return std::strcmp(name, "<unknown>") == 0 ? "" : name;
}

class H1 final : public Protocol {
 public:
  explicit H1(Connection& c);
  ~H1() override {
    // The connection closed under a waiting read or write: it fails rather than waits forever.
    for (auto& p : queue_) fail_pending(p, "connection closed");
  }
  bool feed(std::string_view bytes) override;
  void produce() override;
  [[nodiscard]] bool finished() const override {
    return dead_ || ((closing_ || stopping_) && queue_.empty());
  }
  void shutdown() override { stopping_ = true; }
  void respond(int64_t id, Response&& response) override;
  [[nodiscard]] size_t active() const override { return queue_.size(); }
  [[nodiscard]] bool headers_pending() const override { return in_headers_; }
  [[nodiscard]] bool wants_input() const override;
  [[nodiscard]] bool streams() const override { return conn_.options().stream_bodies; }
  bool read(int64_t id, Responder::ChunkFn& fn) override;
  bool unread(int64_t id) override;
  bool begin(int64_t id, Response&& head) override;
  bool write(int64_t id, std::string& chunk, std::function<void(bool)>& taken) override;
  bool end(int64_t id, Headers& trailers) override;
  bool reset(int64_t id) override;

 private:
  static int on_message_begin(http_parser*);
  static int on_url(http_parser*, const char*, size_t);
  static int on_header_field(http_parser*, const char*, size_t);
  static int on_header_value(http_parser*, const char*, size_t);
  static int on_headers_complete(http_parser*);
  static int on_body(http_parser*, const char*, size_t);
  static int on_message_complete(http_parser*);
  static const http_parser_settings kSettings;
  bool count_header(size_t n);
  Headers& fields();
  void fail(int status);
  Pending* find(int64_t id);
  [[nodiscard]] const Pending* find(int64_t id) const;
  void dispatch(Pending& p);
  void deliver(Pending& p);
  static void fail_pending(Pending& p, const std::string& error);
  void settle_write(Pending& p);
  [[nodiscard]] bool full() const { return queue_.size() >= conn_.options().max_concurrent_streams; }
  void resume();
  [[nodiscard]] std::string head_of(const Pending& p, const Response& r, bool whole) const;
  [[nodiscard]] std::string serialize(const Pending& p, const Response& r) const;

  Connection& conn_;
  http_parser parser_;
  Request request_;
  Headers trailers_;  // a chunked body's trailer section (after on_headers_complete)
  std::string url_;
  bool in_value_ = false;
  bool in_headers_ = false;
  size_t header_bytes_ = 0;
  int error_status_ = 0;  // set by a callback that stops the parser
  bool closing_ = false;   // no more requests are read (error or Connection: close)
  bool stopping_ = false;  // graceful stop
  bool dead_ = false;      // a streamed answer was cut: the connection closes now
  int64_t next_id_ = 1;
  std::deque<Pending> queue_;
  // Bytes after a request the parser stopped at because the queue was full (the parser is
  // paused until an answer leaves; the socket is not read meanwhile).
  std::string held_;
  // The message whose body is being parsed (its answer may have gone already).
  int64_t body_id_ = 0;
  bool body_open_ = false;
  bool final_ = false;  // that message is the connection's last (Connection: close, HTTP/1.0)
  size_t body_bytes_ = 0;
};

const http_parser_settings H1::kSettings = [] {
  http_parser_settings s{};
  s.on_message_begin = on_message_begin;
  s.on_url = on_url;
  s.on_header_field = on_header_field;
  s.on_header_value = on_header_value;
  s.on_headers_complete = on_headers_complete;
  s.on_body = on_body;
  s.on_message_complete = on_message_complete;
  return s;
}();

H1::H1(Connection& c) : conn_(c) {
  http_parser_init(&parser_, HTTP_REQUEST);
  parser_.data = this;
}

Pending* H1::find(int64_t id) {
  auto it = std::find_if(queue_.begin(), queue_.end(), [&](const Pending& p) { return p.id == id; });
  return it == queue_.end() ? nullptr : &*it;
}

const Pending* H1::find(int64_t id) const { return const_cast<H1*>(this)->find(id); }

bool H1::feed(std::string_view bytes) {
  if (closing_ || dead_) return !dead_;  // bytes after a final request are ignored
  if (HTTP_PARSER_ERRNO(&parser_) == HPE_PAUSED) {  // a read that was under way when it stopped
    held_.append(bytes);
    return true;
  }
  size_t n = http_parser_execute(&parser_, &kSettings, bytes.data(), bytes.size());
  if (HTTP_PARSER_ERRNO(&parser_) == HPE_PAUSED) {
    held_.assign(bytes.substr(n));
  } else if (parser_.upgrade && !body_open_) {
    // Upgrade (h2c's included) is not taken: the request was answered as HTTP/1.1, and HTTP/2
    // needs prior knowledge or TLS. What follows the request is not read; its body, still to
    // come (after a 100 Continue), is.
    closing_ = true;
  } else if (closing_) {
    // a final request (Connection: close) stopped the parser on purpose
  } else if (HTTP_PARSER_ERRNO(&parser_) != HPE_OK || n != bytes.size()) {
    fail(error_status_ ? error_status_ : 400);
  }
  return !dead_;
}

// The parser cannot go on: the answer is status and the connection closes. A message whose body
// was being read takes the status as its answer if none has begun (its reader fails); a streamed
// answer already begun is cut instead.
void H1::fail(int status) {
  if (closing_) return;
  closing_ = true;
  in_headers_ = false;
  Pending* open = body_open_ ? find(body_id_) : nullptr;
  body_open_ = false;
  Response r;
  r.status = status;
  if (!open) {
    Pending p;
    p.id = next_id_++;
    p.keep_alive = false;
    p.ready = true;
    p.wire = serialize(p, r);
    queue_.push_back(std::move(p));
    return;
  }
  std::string why = status == 413   ? "the body is over max-body-bytes (" +
                                          std::to_string(conn_.options().max_body_bytes) + ")"
                    : status == 431 ? "the trailers are over max-header-list-bytes (" +
                                          std::to_string(conn_.options().max_header_list_bytes) + ")"
                    : status == 501 ? "the body's transfer coding is not chunked"
                                    : "the request is malformed";
  open->streaming = false;
  open->in.bytes.clear();
  open->in.fail(why);
  if (open->ready) return;  // answered already: it goes out, then the connection closes
  if (open->out_stream) {
    open->cut = true;
    return;
  }
  open->keep_alive = false;
  open->ready = true;
  open->wire = serialize(*open, r);
}

int H1::on_message_begin(http_parser* p) {
  auto* self = static_cast<H1*>(p->data);
  self->request_ = Request{};
  self->trailers_.clear();
  self->url_.clear();
  self->in_value_ = false;
  self->in_headers_ = true;
  self->header_bytes_ = 0;
  self->body_bytes_ = 0;
  return 0;
}

bool H1::count_header(size_t n) {
  header_bytes_ += n;
  if (header_bytes_ <= conn_.options().max_header_list_bytes) return true;
  error_status_ = 431;
  return false;
}

int H1::on_url(http_parser* p, const char* at, size_t n) {
  auto* self = static_cast<H1*>(p->data);
  if (!self->count_header(n)) return 1;
  self->url_.append(at, n);
  return 0;
}

// After the headers, http_parser calls these for a chunked body's trailer section; they count
// against the same limit (RFC 9110 6.5.1: a recipient may drop trailers, none must be unbounded).
Headers& H1::fields() { return in_headers_ ? request_.headers : trailers_; }

int H1::on_header_field(http_parser* p, const char* at, size_t n) {
  auto* self = static_cast<H1*>(p->data);
  auto& h = self->fields();
  if (!self->count_header(n + (self->in_value_ || h.empty() ? 32 : 0))) return 1;
  if (self->in_value_ || h.empty()) h.emplace_back();
  self->in_value_ = false;
  std::string& name = h.back().first;
  for (size_t i = 0; i < n; i++) name.push_back(char(std::tolower(static_cast<unsigned char>(at[i]))));
  return 0;
}

int H1::on_header_value(http_parser* p, const char* at, size_t n) {
  auto* self = static_cast<H1*>(p->data);
  if (!self->count_header(n)) return 1;
  self->in_value_ = true;
  self->fields().back().second.append(at, n);
  return 0;
}

// A field value without the whitespace around it (RFC 9110 5.5: it is not part of the value;
// http_parser drops only the leading part).
void trim_values(Headers& fields) {
  for (auto& field : fields) {
    std::string& v = field.second;
    size_t end = v.find_last_not_of(" \t");
    v.erase(end == std::string::npos ? 0 : end + 1);
    v.erase(0, std::min(v.size(), v.find_first_not_of(" \t")));
  }
}

// The request target (RFC 9112 3.2): its path, query and, in absolute form
// ("GET http://h:81/p HTTP/1.1", as sent to proxies), the authority that replaces Host's. A
// fragment is no part of a target; one sent anyway is dropped. False when it does not parse.
bool split_target(const std::string& url, Request& r) {
  std::string target = url.substr(0, url.find('#'));
  bool absolute = target.compare(0, 7, "http://") == 0 || target.compare(0, 8, "https://") == 0;
  if (absolute) {
    http_parser_url u;
    http_parser_url_init(&u);
    if (http_parser_parse_url(target.data(), target.size(), 0, &u) != 0 || !(u.field_set & (1 << UF_HOST))) {
      return false;
    }
    auto field = [&](int f) { return target.substr(u.field_data[f].off, u.field_data[f].len); };
    r.authority = field(UF_HOST);
    if (u.field_set & (1 << UF_PORT)) r.authority += ":" + field(UF_PORT);
    size_t path_start = u.field_set & (1 << UF_PATH) ? u.field_data[UF_PATH].off : target.size();
    target = target.substr(path_start);
    if (target.empty() || target[0] == '?') target.insert(0, "/");
  }
  size_t q = target.find('?');
  r.path = target.substr(0, q);
  if (q != std::string::npos) r.query = target.substr(q + 1);
  return true;
}

int H1::on_headers_complete(http_parser* p) {
  auto* self = static_cast<H1*>(p->data);
  Request& r = self->request_;
  self->in_headers_ = false;
  r.method = http_method_str(http_method(p->method));
  trim_values(r.headers);
  bool http11 = p->http_major > 1 || (p->http_major == 1 && p->http_minor >= 1);
  bool expect_continue = false;
  int hosts = 0, codings = 0;
  bool other_coding = false;
  for (auto& [n, v] : r.headers) {
    if (n == "host" && ++hosts == 1) r.authority = v;
    if (n == "expect" && strcasecmp(v.c_str(), "100-continue") == 0) expect_continue = true;
    if (n == "transfer-encoding" && (++codings > 1 || strcasecmp(v.c_str(), "chunked") != 0)) other_coding = true;
  }
  // The one transfer coding the server decodes is chunked, alone: a body in any other (gzip,
  // chunked) would reach the handler still encoded (RFC 9112 6.1: 501).
  if (other_coding) {
    self->error_status_ = 501;
    return -1;
  }
  // An HTTP/1.1 request names its host exactly once (RFC 9112 3.2); the target's authority,
  // when it has one, wins over Host's.
  if (!split_target(self->url_, r) || hosts > 1 || (http11 && hosts == 0)) {
    self->error_status_ = 400;
    return -1;
  }
  if (p->content_length != ULLONG_MAX && p->content_length > self->conn_.options().max_body_bytes) {
    self->error_status_ = 413;
    return -1;  // 1 would mean "no body"; any other value stops the parser
  }
  Pending pending;
  pending.http10 = !http11;
  self->request_.protocol = pending.http10 ? "http/1.0" : "http/1.1";
  // curl asks before sending a large body; say yes unless earlier answers are still queued (an
  // HTTP/1.0 client knows no 100, RFC 9110 15.2).
  if (expect_continue && !pending.http10 && self->queue_.empty()) self->conn_.write("HTTP/1.1 100 Continue\r\n\r\n");
  pending.id = self->next_id_++;
  pending.head = p->method == HTTP_HEAD;
  pending.keep_alive = http_should_keep_alive(p) && !self->stopping_;
  // HTTP/1.0 has no chunked answers: a streamed one without a length ends with the connection.
  pending.chunked = !pending.http10;
  self->final_ = !pending.keep_alive;
  self->body_id_ = pending.id;
  self->body_open_ = true;
  self->queue_.push_back(std::move(pending));
  if (self->streams()) {
    // The body follows: the handler starts now and reads it as it comes.
    self->queue_.back().streaming = true;
    self->dispatch(self->queue_.back());
  }
  return 0;
}

void H1::dispatch(Pending& p) {
  p.slot = std::make_shared<Responder::Slot>(Responder::Slot{&conn_, p.id});
  std::weak_ptr<Responder::Slot> slot = p.slot;
  conn_.dispatch(std::move(request_), slot);
}

int H1::on_body(http_parser* hp, const char* at, size_t n) {
  auto* self = static_cast<H1*>(hp->data);
  Pending* p = self->find(self->body_id_);
  bool stream = self->streams();
  if (stream && !(p && p->streaming)) return 0;  // answered already: the rest is dropped
  self->body_bytes_ += n;
  if (self->body_bytes_ > self->conn_.options().max_body_bytes) {
    self->error_status_ = 413;
    return 1;
  }
  if (!stream) {
    self->request_.body.append(at, n);
    return 0;
  }
  p->in.received += n;
  p->in.bytes.append(at, n);
  self->deliver(*p);
  return 0;
}

int H1::on_message_complete(http_parser* hp) {
  auto* self = static_cast<H1*>(hp->data);
  self->body_open_ = false;
  if (self->final_) self->closing_ = true;
  Pending* p = self->find(self->body_id_);
  trim_values(self->trailers_);
  if (p && p->streaming) {
    p->in.trailers = std::move(self->trailers_);
    p->in.end = true;
    self->deliver(*p);
  } else if (p && !self->streams()) {
    self->request_.trailers = std::move(self->trailers_);
    self->dispatch(*p);
  }
  // Stop after a final request: what follows it is not read. Pause after one that fills the
  // queue: what follows it is read once an answer leaves (resume).
  if (self->closing_) return 1;
  if (self->full()) http_parser_pause(hp, 1);
  return 0;
}

// An answer left: the requests held while the queue was full are parsed, up to the limit again.
void H1::resume() {
  if (HTTP_PARSER_ERRNO(&parser_) != HPE_PAUSED || full()) return;
  http_parser_pause(&parser_, 0);
  std::string rest = std::move(held_);
  held_.clear();
  feed(rest);
}

// Gives the waiting reader what has arrived; the socket may then be read again (wants_input).
void H1::deliver(Pending& p) {
  p.in.deliver([&](size_t) { conn_.poke(); });
}

bool H1::wants_input() const {
  if (HTTP_PARSER_ERRNO(&parser_) == HPE_PAUSED) return false;
  const Pending* p = body_open_ ? find(body_id_) : nullptr;
  return !p || !p->streaming || p->in.bytes.size() <= limits::kHttpH1UnreadBodyBytes;
}

void H1::fail_pending(Pending& p, const std::string& error) {
  p.in.fail(error);
  if (auto fn = std::move(p.taken)) {
    p.taken = nullptr;
    fn(false);
  }
}

// One chunk of a chunked body.
void append_chunk(std::string& wire, std::string_view chunk) {
  char size[24];
  std::snprintf(size, sizeof size, "%zx\r\n", chunk.size());
  wire += size;
  wire += chunk;
  wire += "\r\n";
}

// The last chunk, with its trailer section.
void append_last_chunk(std::string& wire, const Headers& trailers) {
  wire += "0\r\n";
  for (const auto& [n, v] : trailers) {
    if (!connection_specific(n, v)) wire += n + ": " + v + "\r\n";
  }
  wire += "\r\n";
}

std::string H1::head_of(const Pending& p, const Response& r, bool whole) const {
  std::string out = "HTTP/1.1 " + std::to_string(r.status) + " " + reason(r.status) + "\r\n";
  bool sized = status_has_body(r.status);
  bool dated = false;
  for (const auto& [n, v] : r.headers) {
    bool length = n == "content-length" && (whole || p.chunked || !sized);
    if (connection_specific(n, v) || length) continue;  // the connection's fields are the engine's
    out += n + ": " + v + "\r\n";
    dated = dated || n == "date";
  }
  if (!dated) out += "date: " + http_date() + "\r\n";
  if (whole && sized) out += "content-length: " + std::to_string(r.body.size()) + "\r\n";
  if (!whole && p.chunked) out += "transfer-encoding: chunked\r\n";
  if (!p.keep_alive || stopping_) {
    out += "connection: close\r\n";
  } else if (p.http10) {
    // An HTTP/1.0 client that asked for keep-alive assumes the close unless the answer says so.
    out += "connection: keep-alive\r\n";
  }
  out += "\r\n";
  return out;
}

// A whole answer: with a content-length, or chunked when it has trailers to carry (HTTP/1.1;
// HTTP/1.0 and HEAD drop them).
std::string H1::serialize(const Pending& p, const Response& r) const {
  bool trailers = !r.trailers.empty() && p.chunked && !p.head;
  std::string out = head_of(p, r, !trailers);
  if (p.head) return out;
  if (!trailers) return out + r.body;
  if (!r.body.empty()) append_chunk(out, r.body);
  append_last_chunk(out, r.trailers);
  return out;
}

void H1::respond(int64_t id, Response&& response) {
  Pending* p = find(id);
  if (!p || p->ready || p->out_stream) return;
  if (p->streaming) {
    // Answered whole before reading all the body: the rest is dropped as it comes.
    p->streaming = false;
    p->in.bytes.clear();
    p->in.fail("the request was answered");
  }
  p->ready = true;
  p->slot.reset();
  p->head = p->head || !status_has_body(response.status);
  p->wire = serialize(*p, response);
}

bool H1::read(int64_t id, Responder::ChunkFn& fn) {
  Pending* p = find(id);
  if (!p || p->in.reader) return false;
  if (!p->streaming) {
    fn(p->in.error, "", {});
    return true;
  }
  p->in.reader = std::move(fn);
  deliver(*p);
  return true;
}

bool H1::unread(int64_t id) {
  Pending* p = find(id);
  if (!p) return false;
  p->in.reader = nullptr;
  return true;
}

bool H1::begin(int64_t id, Response&& head) {
  Pending* p = find(id);
  if (!p || p->ready || p->out_stream) return false;
  p->out_stream = true;
  p->head = p->head || !status_has_body(head.status);  // its writes are dropped, as for HEAD
  bool length = std::any_of(head.headers.begin(), head.headers.end(),
                            [](const auto& h) { return h.first == "content-length"; });
  if (!length && !p->chunked) p->keep_alive = false;  // HTTP/1.0: the close ends the body
  p->chunked = p->chunked && !length && !p->head;
  p->wire = head_of(*p, head, false);
  return true;
}

bool H1::write(int64_t id, std::string& chunk, std::function<void(bool)>& taken) {
  Pending* p = find(id);
  if (!p || !p->out_stream || p->ready || p->cut || p->taken) return false;
  if (!p->head && !chunk.empty()) {
    if (p->chunked) {
      append_chunk(p->wire, chunk);
    } else {
      p->wire += chunk;
    }
  }
  p->taken = std::move(taken);  // settled by produce once libuv has written the chunk
  return true;
}

bool H1::end(int64_t id, Headers& trailers) {
  Pending* p = find(id);
  if (!p || !p->out_stream || p->ready || p->cut) return false;
  p->ready = true;
  if (p->chunked) append_last_chunk(p->wire, trailers);  // else no place for trailers: dropped
  return true;
}

bool H1::reset(int64_t id) {
  Pending* p = find(id);
  if (!p || p->ready) return false;
  p->cut = true;  // HTTP/1.1 cannot cut one answer: the connection closes when it is due
  return true;
}

// A streamed answer's waiting write resolves once everything handed to libuv has been written.
void H1::settle_write(Pending& p) {
  if (!p.taken || !p.wire.empty() || conn_.unsent() > 0) return;
  auto fn = std::move(p.taken);
  p.taken = nullptr;
  fn(true);
}

// Answers go out in request order (HTTP/1.1 has no stream ids); a streamed answer holds the
// line until it ends.
void H1::produce() {
  while (!dead_ && !queue_.empty() && conn_.can_write()) {
    Pending& p = queue_.front();
    if (p.cut) {
      dead_ = true;
      return;
    }
    settle_write(p);
    if (!p.wire.empty()) {
      conn_.write(p.wire);
      p.wire.clear();
    }
    if (!p.ready) return;
    if (!p.keep_alive) closing_ = true;
    Pending done = std::move(p);
    queue_.pop_front();
    if (auto fn = std::move(done.taken)) fn(true);  // ended while a write waited: it is out
    resume();
  }
}

}  // namespace

std::unique_ptr<Protocol> make_h1(Connection& conn) { return std::make_unique<H1>(conn); }

}  // namespace valk::net
