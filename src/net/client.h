// client.h: the HTTP/2 client: one connection per authority (scheme, host, port), reused by
// every request to it, many concurrent streams on it (nghttp2 queues those past the peer's
// stream limit), TLS verified by default, GOAWAY handled by retrying unprocessed requests.
#pragma once

#include <uv.h>

#include <functional>
#include <memory>
#include <string>

#include "net/http.h"

namespace valk::net {

struct ClientOptions {
  std::string ca_file;     // PEM CAs to trust; empty: the system store
  bool insecure = false;   // no certificate check (only for the original's http2/connect)
  std::string cert_file;   // client certificate for mutual TLS (optional)
  std::string key_file;
  uint32_t connect_timeout_ms = limits::kHttpConnectTimeoutMs;
  uint32_t request_timeout_ms = limits::kHttpRequestTimeoutMs;
  bool operator==(const ClientOptions&) const = default;
};

struct ClientRequest {
  std::string method = "GET";
  std::string scheme = "https";  // "https" (TLS, ALPN h2) or "http" (h2c, prior knowledge)
  std::string host;              // name or IP literal to connect to
  int port = 443;
  std::string path = "/";        // with the query
  std::string sni;               // TLS server name and name checked; empty: host
  Headers headers;
  std::string body;
  Headers trailers;  // sent after the body (a HEADERS frame ending the stream)
  // The response's body is read by chunks (ClientResponse::stream) instead of gathered whole;
  // the response is given as soon as its headers arrive.
  bool stream_body = false;
  // The request's body given by chunks instead of `body` (no content-length): source(give) is
  // called when the previous chunk has gone to nghttp2 and the peer's window wants more; give
  // (on the loop, once) the next chunk, "" at the end, or an error that resets the stream
  // (CANCEL) and fails the request with "body: ERROR". The chunks given are kept (at most
  // kHttpClientReplayBytes) until the response's head arrives, so that a request the peer refused
  // unprocessed goes again without asking for them again.
  using ChunkGiver = std::function<void(const std::string& error, std::string chunk)>;
  std::function<void(ChunkGiver give)> body_source;
};

// A response body read by chunks (ClientRequest::stream_body). The peer's stream window opens
// only by what was read, so a slow reader slows the peer and memory stays bounded by the window
// (kHttpStreamWindowBytes) whatever the body's size.
class ClientBody {
 public:
  struct State;
  using ChunkFn = std::function<void(const std::string& error, std::string chunk, Headers trailers)>;
  explicit ClientBody(std::shared_ptr<State> st) : st_(std::move(st)) {}
  // fn runs once, on the loop: the next part of the body (at most kHttpStreamChunkBytes), "" at
  // its end and at every read after (the response's trailers with the first ""), or the error that ended the stream ("stream reset:
  // INTERNAL_ERROR", "connection closed", "client closed"), again at every read after.
  // False (and fn never runs) when a read already waits.
  bool read(ChunkFn fn);
  // Drops the waiting read's fn (its future was cancelled): what arrives stays for the next read.
  void unread();

 private:
  std::shared_ptr<State> st_;
};

struct ClientResponse {
  int status = 0;
  Headers headers;
  std::string body;
  Headers trailers;               // not with stream_body: they come with the body's end (ClientBody::read)
  std::shared_ptr<ClientBody> stream;  // with stream_body: the body (and body is "")
};

// error is empty on success, else one line: "connect 127.0.0.1:1: connection refused",
// "tls: certificate not trusted: ...", "timeout after 30000 ms", "stream reset: CANCEL",
// "connection closed", "client closed", "cancelled".
using ResponseCallback = std::function<void(const std::string& error, ClientResponse&& response)>;

class ClientCore;

class Client {
 public:
  // On a TLS setup failure (bad CA file, certificate) returns null and sets error.
  static std::unique_ptr<Client> make(uv_loop_t* loop, ClientOptions options, std::string& error);
  // Closing fails every pending request with "client closed"; handles close asynchronously.
  ~Client();
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;
  // Sends a request; done runs once, on the loop, with the response or an error. Returns the
  // request's id for cancel.
  uint64_t request(ClientRequest&& request, ResponseCallback done);
  // Stops a request (reset when sent, unqueued when not): done runs with "cancelled", or a body
  // being streamed ends with it. Nothing when the request is over.
  void cancel(uint64_t id);
  // Opens (or reuses) the connection to request's authority without sending anything; ready
  // runs once, on the loop, with "" once the HTTP/2 session is up, or the connection's error.
  // (The original's http2/connect: a refused connection is an error before any request.)
  void connect(ClientRequest request, std::function<void(const std::string& error)> ready);
  // Connections opened so far (a test of reuse).
  [[nodiscard]] uint64_t connections_opened() const;

 private:
  explicit Client(ClientCore* core) : core_(core) {}
  ClientCore* core_;
};

}  // namespace valk::net
