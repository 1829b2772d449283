// tls.h: TLS for the HTTP engine with OpenSSL 3 memory BIOs: the socket stays with libuv, OpenSSL
// only turns cipher bytes into plain bytes and back. ALPN chooses h2 or http/1.1.
#pragma once

#include <openssl/ssl.h>

#include <memory>
#include <string>
#include <string_view>

namespace valk::net {

struct SslCtxFree {
  void operator()(SSL_CTX* c) const { SSL_CTX_free(c); }
};
using SslCtxPtr = std::unique_ptr<SSL_CTX, SslCtxFree>;

// A server context: certificate, key, ALPN (h2 preferred, then http/1.1) and, when client_ca is
// given, mandatory client certificates signed by it. On failure returns null and sets error to
// "tls: <what>: <OpenSSL's reason>".
SslCtxPtr make_server_tls(const std::string& cert, const std::string& key,
                          const std::string& client_ca, std::string& error);

// A client context: ALPN h2; verify the server against ca_file, or the system store when it is
// empty, unless insecure; an optional client certificate. Null and error on failure.
// The system store is not read here but by load_system_cas, before the first TLS connection:
// parsing its certificates takes about 230 M instructions (50 ms and more), which a program that
// only calls http:// URLs should not pay.
SslCtxPtr make_client_tls(const std::string& ca_file, bool insecure, const std::string& cert,
                          const std::string& key, std::string& error);
bool load_system_cas(SSL_CTX* ctx, std::string& error);

// One TLS session over memory BIOs.
class TlsChannel {
 public:
  // Server side.
  explicit TlsChannel(SSL_CTX* ctx);
  // Client side: sends SNI server_name (unless it is an IP address) and checks the certificate names host (a DNS name or an
  // IP address) when the context verifies. The ClientHello is ready in take_output at once.
  TlsChannel(SSL_CTX* ctx, const std::string& server_name, const std::string& host);
  ~TlsChannel();
  TlsChannel(const TlsChannel&) = delete;
  TlsChannel& operator=(const TlsChannel&) = delete;

  // Feeds cipher bytes from the socket; plain bytes read are appended to plain. Returns false on
  // a fatal TLS error (handshake failure, bad record), with error set.
  bool receive(std::string_view cipher, std::string& plain, std::string& error);
  // Encrypts plain bytes (only once the handshake is done; before, they wait in pending_).
  void send(std::string_view plain);
  // Takes the cipher bytes to write to the socket.
  void take_output(std::string& cipher);
  // send(plain), emptying it, then take_output(cipher). Callers gather a turn's frames in plain
  // and seal them once: encrypted frame by frame, every HEADERS and DATA frame was a TLS record
  // of its own, with its own header and MAC for the peer to check.
  void seal(std::string& plain, std::string& cipher) {
    if (!plain.empty()) send(plain);
    plain.clear();
    take_output(cipher);
  }
  [[nodiscard]] bool handshake_done() const { return done_; }
  // The protocol ALPN chose ("h2", "http/1.1", or "" when the client offered none).
  [[nodiscard]] std::string alpn() const;

 private:
  bool advance(std::string& plain, std::string& error);
  SSL* ssl_;
  BIO* in_;   // cipher bytes from the peer (OpenSSL reads)
  BIO* out_;  // cipher bytes to the peer (OpenSSL writes)
  bool done_ = false;
  std::string pending_;
};

}  // namespace valk::net
