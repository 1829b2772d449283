// tls.cpp: OpenSSL server contexts (certificates, ALPN, mutual TLS) and the memory-BIO channel
// that the connection feeds with socket bytes.
#include "net/tls.h"

#include <arpa/inet.h>
#include <openssl/err.h>

#include <cstring>

namespace valk::net {
namespace {

std::string ssl_reason() {
  unsigned long e = ERR_get_error();
  ERR_clear_error();
  if (e == 0) return "unknown error";
  char buf[256];
  ERR_error_string_n(e, buf, sizeof buf);
  return buf;
}

bool is_ip_literal(const std::string& host) {
  unsigned char addr[sizeof(in6_addr)];
  return inet_pton(AF_INET, host.c_str(), addr) == 1 || inet_pton(AF_INET6, host.c_str(), addr) == 1;
}

// ALPN: h2 first, then http/1.1; a client offering neither gets no ALPN (and HTTP/1.1).
int select_alpn(SSL*, const unsigned char** out, unsigned char* outlen, const unsigned char* in,
                unsigned int inlen, void*) {
  static const unsigned char kPreferred[] = "\x02h2\x08http/1.1";
  unsigned char* chosen = nullptr;
  int rc = SSL_select_next_proto(&chosen, outlen, kPreferred, sizeof kPreferred - 1, in, inlen);
  if (rc != OPENSSL_NPN_NEGOTIATED) return SSL_TLSEXT_ERR_NOACK;
  *out = chosen;
  return SSL_TLSEXT_ERR_OK;
}

}  // namespace

SslCtxPtr make_server_tls(const std::string& cert, const std::string& key,
                          const std::string& client_ca, std::string& error) {
  SslCtxPtr ctx(SSL_CTX_new(TLS_server_method()));
  if (!ctx) return error = "tls: context: " + ssl_reason(), nullptr;
  SSL_CTX_set_min_proto_version(ctx.get(), TLS1_2_VERSION);
  SSL_CTX_set_options(ctx.get(), SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION);
  if (SSL_CTX_use_certificate_chain_file(ctx.get(), cert.c_str()) != 1)
    return error = "tls: certificate " + cert + ": " + ssl_reason(), nullptr;
  if (SSL_CTX_use_PrivateKey_file(ctx.get(), key.c_str(), SSL_FILETYPE_PEM) != 1)
    return error = "tls: key " + key + ": " + ssl_reason(), nullptr;
  if (SSL_CTX_check_private_key(ctx.get()) != 1)
    return error = "tls: key " + key + " does not match certificate " + cert, nullptr;
  if (!client_ca.empty()) {
    if (SSL_CTX_load_verify_locations(ctx.get(), client_ca.c_str(), nullptr) != 1)
      return error = "tls: client CA " + client_ca + ": " + ssl_reason(), nullptr;
    SSL_CTX_set_verify(ctx.get(), SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, nullptr);
  }
  SSL_CTX_set_alpn_select_cb(ctx.get(), select_alpn, nullptr);
  return ctx;
}

TlsChannel::TlsChannel(SSL_CTX* ctx)
    : ssl_(SSL_new(ctx)), in_(BIO_new(BIO_s_mem())), out_(BIO_new(BIO_s_mem())) {
  BIO_set_mem_eof_return(in_, -1);  // an empty input BIO means "wait", not end of stream
  SSL_set_bio(ssl_, in_, out_);     // the SSL owns both BIOs from here
  SSL_set_accept_state(ssl_);
}

SslCtxPtr make_client_tls(const std::string& ca_file, bool insecure, const std::string& cert,
                          const std::string& key, std::string& error) {
  SslCtxPtr ctx(SSL_CTX_new(TLS_client_method()));
  if (!ctx) return error = "tls: context: " + ssl_reason(), nullptr;
  SSL_CTX_set_min_proto_version(ctx.get(), TLS1_2_VERSION);
  SSL_CTX_set_options(ctx.get(), SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION);
  static const unsigned char kAlpn[] = "\x02h2";
  SSL_CTX_set_alpn_protos(ctx.get(), kAlpn, sizeof kAlpn - 1);
  if (!insecure) {
    if (!ca_file.empty() && SSL_CTX_load_verify_locations(ctx.get(), ca_file.c_str(), nullptr) != 1)
      return error = "tls: CA " + ca_file + ": " + ssl_reason(), nullptr;
    SSL_CTX_set_verify(ctx.get(), SSL_VERIFY_PEER, nullptr);
  }
  if (!cert.empty()) {
    if (SSL_CTX_use_certificate_chain_file(ctx.get(), cert.c_str()) != 1)
      return error = "tls: certificate " + cert + ": " + ssl_reason(), nullptr;
    if (SSL_CTX_use_PrivateKey_file(ctx.get(), key.c_str(), SSL_FILETYPE_PEM) != 1)
      return error = "tls: key " + key + ": " + ssl_reason(), nullptr;
  }
  return ctx;
}

bool load_system_cas(SSL_CTX* ctx, std::string& error) {
  if (SSL_CTX_set_default_verify_paths(ctx) == 1) return true;
  error = "tls: the system's CA store: " + ssl_reason();
  return false;
}

TlsChannel::TlsChannel(SSL_CTX* ctx, const std::string& server_name, const std::string& host)
    : ssl_(SSL_new(ctx)), in_(BIO_new(BIO_s_mem())), out_(BIO_new(BIO_s_mem())) {
  BIO_set_mem_eof_return(in_, -1);
  SSL_set_bio(ssl_, in_, out_);
  SSL_set_connect_state(ssl_);
  // RFC 6066 3: "Literal IPv4 and IPv6 addresses are not permitted in HostName".
  if (!server_name.empty() && !is_ip_literal(server_name)) SSL_set_tlsext_host_name(ssl_, server_name.c_str());
  X509_VERIFY_PARAM* param = SSL_get0_param(ssl_);
  // An IP literal is checked against the certificate's IP addresses, a name against its names.
  if (X509_VERIFY_PARAM_set1_ip_asc(param, host.c_str()) != 1) {
    ERR_clear_error();
    SSL_set1_host(ssl_, host.c_str());
  }
  std::string plain, error;
  advance(plain, error);  // writes the ClientHello
}

TlsChannel::~TlsChannel() { SSL_free(ssl_); }

bool TlsChannel::receive(std::string_view cipher, std::string& plain, std::string& error) {
  if (!cipher.empty() && BIO_write(in_, cipher.data(), int(cipher.size())) != int(cipher.size())) {
    error = "tls: out of memory";
    return false;
  }
  return advance(plain, error);
}

bool TlsChannel::advance(std::string& plain, std::string& error) {
  if (!done_) {
    int rc = SSL_do_handshake(ssl_);
    if (rc != 1) {
      int e = SSL_get_error(ssl_, rc);
      if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) return true;
      long verify = SSL_get_verify_result(ssl_);
      error = verify != X509_V_OK
                  ? std::string("tls: certificate not trusted: ") + X509_verify_cert_error_string(verify)
                  : "tls: handshake: " + ssl_reason();
      ERR_clear_error();
      return false;
    }
    done_ = true;
    if (!pending_.empty()) {
      std::string p;
      p.swap(pending_);
      send(p);
    }
  }
  char buf[16384];
  for (;;) {
    int n = SSL_read(ssl_, buf, sizeof buf);
    if (n > 0) {
      plain.append(buf, size_t(n));
      continue;
    }
    int e = SSL_get_error(ssl_, n);
    if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) return true;
    if (e == SSL_ERROR_ZERO_RETURN) return true;  // close_notify: the socket's EOF follows
    error = "tls: read: " + ssl_reason();
    return false;
  }
}

void TlsChannel::send(std::string_view plain) {
  if (!done_) {
    pending_.append(plain);
    return;
  }
  // Memory BIOs grow as needed, so SSL_write takes everything at once.
  while (!plain.empty()) {
    int n = SSL_write(ssl_, plain.data(), int(plain.size()));
    if (n <= 0) break;
    plain.remove_prefix(size_t(n));
  }
}

void TlsChannel::take_output(std::string& cipher) {
  char* data = nullptr;
  long n = BIO_get_mem_data(out_, &data);
  if (n <= 0) return;
  cipher.append(data, size_t(n));
  (void)BIO_reset(out_);
}

std::string TlsChannel::alpn() const {
  const unsigned char* p = nullptr;
  unsigned int n = 0;
  SSL_get0_alpn_selected(ssl_, &p, &n);
  return std::string(reinterpret_cast<const char*>(p ? p : reinterpret_cast<const unsigned char*>("")), n);
}

}  // namespace valk::net
