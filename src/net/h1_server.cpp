// h1_server.cpp: the HTTP/1.1 side of a server connection on Debian's http_parser: keep-alive,
// chunked request bodies, pipelined requests answered in order even when handlers answer late.
#include <http_parser.h>

#include <strings.h>

#include <algorithm>
#include <climits>
#include <deque>

#include "net/conn.h"

namespace valk::net {
namespace {

struct Pending {
  int64_t id;
  std::shared_ptr<Responder::Slot> slot;
  bool head = false;        // HEAD: no body in the answer
  bool keep_alive = true;
  bool ready = false;
  std::string wire;  // the serialized answer, once ready
};

const char* reason(int status) {
  switch (status) {
    case 200: return "OK";
    case 201: return "Created";
    case 204: return "No Content";
    case 301: return "Moved Permanently";
    case 302: return "Found";
    case 304: return "Not Modified";
    case 400: return "Bad Request";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 413: return "Content Too Large";
    case 431: return "Request Header Fields Too Large";
    case 500: return "Internal Server Error";
    case 503: return "Service Unavailable";
  }
  return "Status";
}

class H1 final : public Protocol {
 public:
  explicit H1(Connection& c);
  bool feed(std::string_view bytes) override;
  void produce() override;
  [[nodiscard]] bool finished() const override {
    return (closing_ || stopping_) && queue_.empty();
  }
  void shutdown() override { stopping_ = true; }
  void respond(int64_t id, Response&& response) override;
  [[nodiscard]] size_t active() const override { return queue_.size(); }
  [[nodiscard]] bool headers_pending() const override { return in_headers_; }

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
  void fail(int status);
  std::string serialize(const Pending& p, const Response& r) const;

  Connection& conn_;
  http_parser parser_;
  Request request_;
  std::string url_;
  bool in_value_ = false;
  bool in_headers_ = false;
  size_t header_bytes_ = 0;
  int error_status_ = 0;  // set by a callback that stops the parser
  bool closing_ = false;   // no more requests are read (error or Connection: close)
  bool stopping_ = false;  // graceful stop
  int64_t next_id_ = 1;
  std::deque<Pending> queue_;
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

bool H1::feed(std::string_view bytes) {
  if (closing_) return true;  // bytes after a final request are ignored
  size_t n = http_parser_execute(&parser_, &kSettings, bytes.data(), bytes.size());
  if (parser_.upgrade) {
    // Upgrade (h2c's included) is not taken: the request was answered as HTTP/1.1, and HTTP/2
    // needs prior knowledge or TLS. What follows the request is not read.
    closing_ = true;
  } else if (closing_) {
    // a final request (Connection: close) stopped the parser on purpose
  } else if (HTTP_PARSER_ERRNO(&parser_) != HPE_OK || n != bytes.size()) {
    fail(error_status_ ? error_status_ : 400);
  }
  return true;
}

void H1::fail(int status) {
  if (closing_) return;
  closing_ = true;
  in_headers_ = false;
  Pending p{next_id_++, nullptr, false, true, false, {}};
  p.keep_alive = false;
  p.ready = true;
  Response r;
  r.status = status;
  p.wire = serialize(p, r);
  queue_.push_back(std::move(p));
}

int H1::on_message_begin(http_parser* p) {
  auto* self = static_cast<H1*>(p->data);
  self->request_ = Request{};
  self->request_.protocol = "http/1.1";
  self->url_.clear();
  self->in_value_ = false;
  self->in_headers_ = true;
  self->header_bytes_ = 0;
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

int H1::on_header_field(http_parser* p, const char* at, size_t n) {
  auto* self = static_cast<H1*>(p->data);
  if (!self->count_header(n + (self->in_value_ || self->request_.headers.empty() ? 32 : 0)))
    return 1;
  auto& h = self->request_.headers;
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
  self->request_.headers.back().second.append(at, n);
  return 0;
}

int H1::on_headers_complete(http_parser* p) {
  auto* self = static_cast<H1*>(p->data);
  Request& r = self->request_;
  self->in_headers_ = false;
  r.method = http_method_str(http_method(p->method));
  size_t q = self->url_.find('?');
  r.path = self->url_.substr(0, q);
  if (q != std::string::npos) r.query = self->url_.substr(q + 1);
  bool expect_continue = false;
  for (auto& [n, v] : r.headers) {
    if (n == "host") r.authority = v;
    if (n == "expect" && strcasecmp(v.c_str(), "100-continue") == 0) expect_continue = true;
  }
  if (p->content_length != ULLONG_MAX && p->content_length > self->conn_.options().max_body_bytes) {
    self->error_status_ = 413;
    return -1;  // 1 would mean "no body"; any other value stops the parser
  }
  // curl asks before sending a large body; say yes unless earlier answers are still queued.
  if (expect_continue && self->queue_.empty()) self->conn_.write("HTTP/1.1 100 Continue\r\n\r\n");
  return 0;
}

int H1::on_body(http_parser* p, const char* at, size_t n) {
  auto* self = static_cast<H1*>(p->data);
  if (self->request_.body.size() + n > self->conn_.options().max_body_bytes) {
    self->error_status_ = 413;
    return 1;
  }
  self->request_.body.append(at, n);
  return 0;
}

int H1::on_message_complete(http_parser* p) {
  auto* self = static_cast<H1*>(p->data);
  Pending pending{self->next_id_++, nullptr, false, true, false, {}};
  pending.head = p->method == HTTP_HEAD;
  pending.keep_alive = http_should_keep_alive(p) && !self->stopping_;
  if (!pending.keep_alive) self->closing_ = true;
  pending.slot = std::make_shared<Responder::Slot>(Responder::Slot{&self->conn_, pending.id});
  std::weak_ptr<Responder::Slot> slot = pending.slot;
  self->queue_.push_back(std::move(pending));
  self->conn_.dispatch(std::move(self->request_), slot);
  // Stop after a final request: what follows it is not read.
  return self->closing_ ? 1 : 0;
}

std::string H1::serialize(const Pending& p, const Response& r) const {
  std::string out = "HTTP/1.1 " + std::to_string(r.status) + " " + reason(r.status) + "\r\n";
  for (const auto& [n, v] : r.headers) {
    if (n == "content-length" || n == "connection" || n == "transfer-encoding") continue;
    out += n + ": " + v + "\r\n";
  }
  out += "content-length: " + std::to_string(r.body.size()) + "\r\n";
  if (!p.keep_alive || stopping_) out += "connection: close\r\n";
  out += "\r\n";
  if (!p.head) out += r.body;
  return out;
}

void H1::respond(int64_t id, Response&& response) {
  auto it = std::find_if(queue_.begin(), queue_.end(), [&](const Pending& p) { return p.id == id; });
  if (it == queue_.end() || it->ready) return;
  it->ready = true;
  it->slot.reset();
  it->wire = serialize(*it, response);
}

// Answers go out in request order (HTTP/1.1 has no stream ids).
void H1::produce() {
  while (!queue_.empty() && queue_.front().ready && conn_.can_write()) {
    Pending& p = queue_.front();
    conn_.write(p.wire);
    if (!p.keep_alive) closing_ = true;
    queue_.pop_front();
  }
}

}  // namespace

std::unique_ptr<Protocol> make_h1(Connection& conn) { return std::make_unique<H1>(conn); }

}  // namespace valk::net
