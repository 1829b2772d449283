// http.h: the HTTP engine's public C++ API: requests, responses, the handler interface and the
// server's options. The Valk binding (http/serve) sits on these; docs/HTTP.md describes them.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "aio/sigpipe.h"
#include "config/limits.h"

namespace valk::net {

// A host as URLs and :authority write it: an IPv6 address in brackets ("[::1]").
inline std::string url_host(const std::string& host) {
  return host.find(':') == std::string::npos ? host : "[" + host + "]";
}

// "host:port" ("127.0.0.1:8080", "[::1]:8080"), in messages, printed values and :authority.
inline std::string host_port(const std::string& host, int port) {
  return url_host(host) + ":" + std::to_string(port);
}

// Whether an answer with this status has a body: 204 and 304 have none, and no content-length
// either (RFC 9110 8.6, 15.3.5, 15.4.5; RFC 9112 6.3): the engine drops what a handler gives, as
// for HEAD, since a body there would be read as the start of the next answer.
inline bool status_has_body(int status) { return status != 204 && status != 304; }

// Header names are lower case (HTTP/2 requires it; HTTP/1.1 names are folded when parsed).
using Headers = std::vector<std::pair<std::string, std::string>>;

struct Request {
  std::string method;     // "GET"
  std::string path;       // "/a/b", without the query
  std::string query;      // "x=1&y=2", without the '?'; empty when there is none
  std::string authority;  // :authority or Host
  std::string scheme;     // "http" or "https"
  Headers headers;        // regular headers only (no pseudo-headers), in arrival order
  std::string body;
  // Trailer fields after the body, when it was held whole; a streamed body's come with its end
  // (Responder::read).
  Headers trailers;
  std::string remote;     // "127.0.0.1:54321"
  std::string protocol;   // "h2" or "http/1.1"
};

struct Response {
  int status = 200;
  Headers headers;  // lower-case names; content-length is added by the engine
  std::string body;
  // Sent after the body: HTTP/2 a HEADERS frame; HTTP/1.1 the trailer section of a chunked body
  // (an answer with trailers goes chunked). Dropped for HTTP/1.0 and HEAD, which have no place
  // for them.
  Headers trailers;
};

// Where a handler's answer goes. A handler may answer at once or keep the Responder and answer
// later from the same loop (the Valk handler answers from a fiber). Answering a stream that has
// meanwhile gone (reset by the peer, connection closed) does nothing and returns false; answering
// twice does nothing the second time.
class Responder {
 public:
  struct Slot;  // owned by the stream; the Responder only observes it
  Responder() = default;
  explicit Responder(std::weak_ptr<Slot> slot) : slot_(std::move(slot)) {}
  bool respond(Response response);
  [[nodiscard]] bool alive() const { return !slot_.expired(); }

  // Streamed bodies (ServerOptions::stream_bodies; HTTP/2 and HTTP/1.1, streams() says whether
  // this request streams).
  // read: the next bytes of the request body, at most kHttpStreamChunkBytes; fn(error, chunk,
  // trailers) runs once, with chunk "" at the end of the body (and the request's trailer fields,
  // the first time), or error "stream reset" / "connection closed" / "the body is over
  // max-body-bytes (N)". HTTP/2: the peer's window opens by what was
  // read; HTTP/1.1: the socket is not read while more than kHttpH1UnreadBodyBytes waits unread.
  // So a slow reader slows the peer.
  using ChunkFn = std::function<void(const std::string& error, std::string chunk, Headers trailers)>;
  // begin: the headers now (HTTP/2: no content-length; HTTP/1.1: transfer-encoding: chunked
  // unless head has a content-length), the body by write and end.
  // write: queues a chunk; taken(true) once less than kHttpStreamBufferBytes waits for the
  // peer's window (HTTP/2; at once when so already) or once libuv has written it (HTTP/1.1),
  // taken(false) when the stream is gone.
  // end: the body ends, then trailers (Response::trailers).
  // reset: RST_STREAM(INTERNAL_ERROR) (HTTP/1.1: the connection closes when this answer is
  // due), for a handler failing after begin.
  // Each returns false when the stream has gone (or read while a read waits, write before begin).
  [[nodiscard]] bool streams() const;
  bool read(ChunkFn fn);
  // Drops the waiting read's fn (its future was cancelled): what arrives stays for the next read.
  bool unread();
  bool begin(Response head);
  bool write(std::string chunk, std::function<void(bool)> taken);
  bool end(Headers trailers = {});
  bool reset();

 private:
  std::weak_ptr<Slot> slot_;
};

// Called on the loop's thread once a request is complete. It must not throw: an exception that
// escapes is caught by the engine and answered with 500.
using Handler = std::function<void(Request&&, Responder)>;

struct TlsOptions {
  std::string cert_file;       // PEM certificate chain; empty: cleartext (h2c + HTTP/1.1)
  std::string key_file;        // PEM private key
  std::string client_ca_file;  // non-empty: mutual TLS, clients must present a cert it signed
};

struct ServerOptions {
  std::string host = "127.0.0.1";
  int port = 0;  // 0: the system picks a free port; Server::port() tells which
  TlsOptions tls;
  uint32_t max_concurrent_streams = limits::kHttpMaxConcurrentStreams;
  uint32_t max_header_list_bytes = limits::kHttpMaxHeaderListBytes;
  size_t max_body_bytes = limits::kHttpMaxBodyBytes;
  // Requests (HTTP/2 and HTTP/1.1) are handed to the handler when their headers end, the body
  // read through Responder::read; answers may stream through Responder::begin/write/end.
  bool stream_bodies = false;
  uint32_t idle_timeout_ms = limits::kHttpIdleTimeoutMs;
  uint32_t header_timeout_ms = limits::kHttpHeaderTimeoutMs;
  uint32_t write_timeout_ms = limits::kHttpWriteTimeoutMs;
  // No socket of its own: the server takes the connections handed to Server::adopt (http/serve's
  // worker isolates, fed by one acceptor; serve_workers.h). host and port are then unused.
  bool fed = false;
};

// Counters a test or the REPL can read.
struct ServerStats {
  uint64_t connections = 0;  // accepted so far
  uint64_t open_connections = 0;
  uint64_t requests = 0;  // complete requests handed to the handler
  uint64_t timeouts = 0;  // connections closed by the idle, header or write timeout
};

}  // namespace valk::net
