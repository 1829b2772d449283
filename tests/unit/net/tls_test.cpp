// tls_test.cpp: TlsChannel (src/net/tls.cpp) on its own, a client and a server channel joined in
// memory: the handshake and plain bytes both ways, and what a channel does after a fatal error;
// the client context's CAs.
#include "net/tls.h"

#include <gtest/gtest.h>
#include <openssl/x509_vfy.h>

#include <string>

#include "net_fixture.h"

namespace valk::net::test {
namespace {

struct Pair {
  SslCtxPtr server_ctx, client_ctx;
  std::unique_ptr<TlsChannel> server, client;
  std::string server_plain, client_plain, error;

  Pair() {
    server_ctx = make_server_tls(certs().server_cert, certs().server_key, "", error);
    client_ctx = make_client_tls(certs().ca, false, "", "", error);
    server = std::make_unique<TlsChannel>(server_ctx.get());
    client = std::make_unique<TlsChannel>(client_ctx.get(), "localhost", "localhost");
  }
  // Carries what each side wrote to the other until neither has more; false on a fatal error.
  bool shuttle() {
    for (int round = 0; round < 10; ++round) {
      std::string to_server, to_client;
      client->take_output(to_server);
      server->take_output(to_client);
      if (to_server.empty() && to_client.empty()) return true;
      if (!to_server.empty() && !server->receive(to_server, server_plain, error)) return false;
      if (!to_client.empty() && !client->receive(to_client, client_plain, error)) return false;
    }
    return true;
  }
};

// The system's CAs are read when a TLS connection needs them, not when the context is made.
TEST(TlsClientContext, SystemCasLoadedOnlyWhenAsked) {
  std::string error;
  SslCtxPtr ctx = make_client_tls("", false, "", "", error);
  ASSERT_TRUE(ctx) << error;
  X509_STORE* store = SSL_CTX_get_cert_store(ctx.get());
  EXPECT_EQ(sk_X509_OBJECT_num(X509_STORE_get0_objects(store)), 0);
  ASSERT_TRUE(load_system_cas(ctx.get(), error)) << error;
  EXPECT_GT(sk_X509_OBJECT_num(X509_STORE_get0_objects(store)), 50);  // Debian's ca-certificates: ~140
}

TEST(TlsChannel, HandshakeThenPlainBytesBothWays) {
  Pair p;
  ASSERT_TRUE(p.server_ctx && p.client_ctx) << p.error;
  p.client->send("early");  // before the handshake: it waits, then goes
  ASSERT_TRUE(p.shuttle()) << p.error;
  EXPECT_TRUE(p.client->handshake_done());
  EXPECT_TRUE(p.server->handshake_done());
  EXPECT_EQ(p.server->alpn(), "h2");
  p.server->send(std::string(100000, 's'));  // several records
  ASSERT_TRUE(p.shuttle()) << p.error;
  EXPECT_EQ(p.server_plain, "early");
  EXPECT_EQ(p.client_plain, std::string(100000, 's'));
}

// A record that does not decrypt is fatal: receive says so, and a send after it (a handler's late
// answer on a connection that is closing) returns at once and adds nothing to the output.
TEST(TlsChannel, SendAfterAFatalErrorReturnsAndSendsNothing) {
  Pair p;
  ASSERT_TRUE(p.shuttle()) << p.error;
  ASSERT_TRUE(p.server->handshake_done());
  std::string record;
  p.client->send("a request");
  p.client->take_output(record);
  ASSERT_GT(record.size(), 10u);
  record[record.size() - 3] ^= 0x55;  // corrupt the record's tag
  EXPECT_FALSE(p.server->receive(record, p.server_plain, p.error));
  EXPECT_EQ(p.error.rfind("tls: read: ", 0), 0u) << p.error;
  std::string alert;
  p.server->take_output(alert);
  p.server->send("late answer");
  std::string after;
  p.server->take_output(after);
  EXPECT_EQ(after, "");
  EXPECT_EQ(p.server_plain, "");
}

}  // namespace
}  // namespace valk::net::test
