// client_test.cpp: the HTTP/2 client (src/net/client.cpp) against our server, nghttpd (tiny
// windows, upload echo, early response, trailers, max concurrent streams 2) and node's http2
// server (reset mid-body, GOAWAY with a retry); TLS verified, insecure, and with client certs.
#include "net/client.h"

#include <gtest/gtest.h>
#include <signal.h>

#include <deque>

#include "net_fixture.h"

namespace valk::net::test {
namespace {

// A client on its own loop in the test's thread; run() turns the loop until the expected
// number of answers came (or a bounded time passed).
struct ClientLoop {
  explicit ClientLoop(ClientOptions o = {}) {
    uv_loop_init(&loop);
    client = Client::make(&loop, std::move(o), error);
  }
  ~ClientLoop() { finish(); }
  // Closes the client and the loop; the result is loop_close_rc.
  int finish() {
    if (closed) return close_rc;
    closed = true;
    client.reset();
    uv_run(&loop, UV_RUN_DEFAULT);
    close_rc = uv_loop_close(&loop);
    return close_rc;
  }
  struct Answer {
    std::string error;
    ClientResponse response;
  };
  // Sends r; the answer lands in answers[index].
  void send(ClientRequest r) {
    size_t i = answers.size();
    answers.emplace_back();
    client->request(std::move(r), [this, i](const std::string& e, ClientResponse&& resp) {
      answers[i] = {e, std::move(resp)};
      done++;
    });
  }
  bool run(int seconds = 20) {
    uv_timer_t guard;
    uv_timer_init(&loop, &guard);
    bool late = false;
    guard.data = &late;
    uv_timer_start(&guard, [](uv_timer_t* t) { *static_cast<bool*>(t->data) = true; }, uint64_t(seconds) * 1000, 0);
    while (done < answers.size() && !late) uv_run(&loop, UV_RUN_ONCE);
    uv_close(reinterpret_cast<uv_handle_t*>(&guard), nullptr);
    uv_run(&loop, UV_RUN_NOWAIT);
    return !late;
  }
  uv_loop_t loop;
  std::unique_ptr<Client> client;
  std::string error;
  std::deque<Answer> answers;
  size_t done = 0;
  bool closed = false;
  int close_rc = -100;
};

ClientRequest get(const std::string& scheme, int port, const std::string& path,
                  const std::string& host = "127.0.0.1") {
  ClientRequest r;
  r.scheme = scheme;
  r.host = host;
  r.port = port;
  r.path = path;
  return r;
}

Handler hello_handler() {
  return [](Request&& req, Responder r) {
    Response resp;
    if (req.path == "/never") return;
    resp.body = req.path == "/echo" ? req.body : "hello " + req.path + (req.query.empty() ? "" : "?" + req.query);
    r.respond(std::move(resp));
  };
}

ServerOptions server_tls(bool mutual = false) {
  ServerOptions o;
  o.tls.cert_file = certs().server_cert;
  o.tls.key_file = certs().server_key;
  if (mutual) o.tls.client_ca_file = certs().ca;
  return o;
}

TEST(NetClient, ManyStreamsOnOneConnection) {
  LoopServer s({}, hello_handler());
  ClientLoop c;
  for (int i = 0; i < 200; i++) c.send(get("http", s.port(), "/hello?i=" + std::to_string(i)));
  ASSERT_TRUE(c.run());
  for (int i = 0; i < 200; i++) {
    EXPECT_EQ(c.answers[i].error, "");
    EXPECT_EQ(c.answers[i].response.status, 200);
    EXPECT_EQ(c.answers[i].response.body, "hello /hello?i=" + std::to_string(i));
  }
  EXPECT_EQ(c.client->connections_opened(), 1u);
  EXPECT_EQ(c.finish(), 0);
  s.stop();
  EXPECT_EQ(s.stats().connections, 1u);
  EXPECT_EQ(s.stats().requests, 200u);
}

TEST(NetClient, TlsVerifiedAgainstCaFile) {
  LoopServer s(server_tls(), hello_handler());
  ClientOptions o;
  o.ca_file = certs().ca;
  ClientLoop c(o);
  c.send(get("https", s.port(), "/a", "localhost"));
  c.send(get("https", s.port(), "/b", "127.0.0.1"));  // checked against the IP in the SAN
  ClientRequest sni = get("https", s.port(), "/c", "127.0.0.1");
  sni.sni = "localhost";
  c.send(sni);
  ASSERT_TRUE(c.run());
  EXPECT_EQ(c.answers[0].response.body, "hello /a") << c.answers[0].error;
  EXPECT_EQ(c.answers[1].response.body, "hello /b") << c.answers[1].error;
  EXPECT_EQ(c.answers[2].response.body, "hello /c") << c.answers[2].error;
}

TEST(NetClient, UntrustedCertificateFailsUnlessInsecure) {
  LoopServer s(server_tls(), hello_handler());
  ClientLoop verified;  // the system store does not know the test CA
  verified.send(get("https", s.port(), "/", "localhost"));
  ASSERT_TRUE(verified.run());
  EXPECT_EQ(verified.answers[0].error, "tls: certificate not trusted: unable to get local issuer certificate");
  ClientOptions in;
  in.insecure = true;
  ClientLoop insecure(in);
  insecure.send(get("https", s.port(), "/x", "localhost"));
  ASSERT_TRUE(insecure.run());
  EXPECT_EQ(insecure.answers[0].response.body, "hello /x");
}

TEST(NetClient, WrongNameIsNotTrusted) {
  LoopServer s(server_tls(), hello_handler());
  ClientOptions o;
  o.ca_file = certs().ca;
  ClientLoop c(o);
  ClientRequest r = get("https", s.port(), "/");
  r.sni = "other.example";
  c.send(r);
  ASSERT_TRUE(c.run());
  EXPECT_EQ(c.answers[0].error, "tls: certificate not trusted: hostname mismatch");
}

TEST(NetClient, ClientCertificate) {
  LoopServer s(server_tls(true), hello_handler());
  ClientOptions o;
  o.ca_file = certs().ca;
  o.cert_file = certs().client_cert;
  o.key_file = certs().client_key;
  ClientLoop with(o);
  with.send(get("https", s.port(), "/m", "localhost"));
  ASSERT_TRUE(with.run());
  EXPECT_EQ(with.answers[0].response.body, "hello /m") << with.answers[0].error;
  ClientOptions n;
  n.ca_file = certs().ca;
  ClientLoop without(n);
  without.send(get("https", s.port(), "/m", "localhost"));
  ASSERT_TRUE(without.run());
  EXPECT_EQ(without.answers[0].error.substr(0, 4), "tls:") << without.answers[0].error;
}

TEST(NetClient, RefusedConnection) {
  int port = free_port();
  ClientLoop c;
  c.send(get("http", port, "/"));
  ASSERT_TRUE(c.run());
  EXPECT_EQ(c.answers[0].error, "connect 127.0.0.1:" + std::to_string(port) + ": connection refused");
  EXPECT_EQ(c.finish(), 0);
}

TEST(NetClient, RequestTimeout) {
  LoopServer s({}, hello_handler());
  ClientOptions o;
  o.request_timeout_ms = 200;
  ClientLoop c(o);
  c.send(get("http", s.port(), "/never"));
  c.send(get("http", s.port(), "/fine"));
  ASSERT_TRUE(c.run());
  EXPECT_EQ(c.answers[0].error, "timeout after 200 ms");
  EXPECT_EQ(c.answers[1].response.body, "hello /fine");
}

TEST(NetClient, BadCaFileIsAnError) {
  uv_loop_t loop;
  uv_loop_init(&loop);
  ClientOptions o;
  o.ca_file = "/nonexistent/ca.pem";
  std::string error;
  EXPECT_EQ(Client::make(&loop, o, error), nullptr);
  EXPECT_EQ(error.rfind("tls: CA /nonexistent/ca.pem: ", 0), 0u) << error;
  EXPECT_EQ(uv_loop_close(&loop), 0);
}

// nghttpd: windows of 2^10-1 bytes, upload echo, trailers, 2 concurrent streams at most.
TEST(NetClient, AgainstNghttpd) {
  int port = free_port();
  std::string dir = certs().dir + "/www";
  sh("mkdir -p " + dir + " && head -c 300000 /dev/zero | tr \"\\\\0\" z > " + dir + "/file");
  Peer peer("nghttpd --no-tls -w 10 -W 10 -m 2 --echo-upload --trailer \"x-trailer: yes\" -d " +
                 dir + " " + std::to_string(port), port);
  ASSERT_GT(peer.pid, 0);
  ClientLoop c;
  for (int i = 0; i < 20; i++) c.send(get("http", port, "/file"));
  ClientRequest up = get("http", port, "/file");
  up.method = "POST";
  up.body = std::string(256 * 1024, 'u');
  c.send(up);
  ASSERT_TRUE(c.run(30));
  for (int i = 0; i < 20; i++) {
    EXPECT_EQ(c.answers[i].error, "");
    EXPECT_EQ(c.answers[i].response.body.size(), 300000u);
  }
  EXPECT_EQ(c.answers[0].response.trailers, (Headers{{"x-trailer", "yes"}}));
  EXPECT_TRUE(c.answers[20].response.body == up.body)  // --echo-upload
      << c.answers[20].error << " " << c.answers[20].response.body.size();
  EXPECT_EQ(c.client->connections_opened(), 1u);
  EXPECT_EQ(c.finish(), 0);
}

TEST(NetClient, AgainstNghttpdEarlyResponse) {
  int port = free_port();
  std::string dir = certs().dir + "/www";
  sh("mkdir -p " + dir + " && echo small > " + dir + "/small");
  Peer peer("nghttpd --no-tls --early-response -d " + dir + " " + std::to_string(port), port);
  ASSERT_GT(peer.pid, 0);
  ClientLoop c;
  ClientRequest up = get("http", port, "/small");
  up.method = "POST";
  up.body = std::string(200000, 'e');
  c.send(up);
  ASSERT_TRUE(c.run());
  EXPECT_EQ(c.answers[0].error, "");
  EXPECT_EQ(c.answers[0].response.status, 200);
  EXPECT_EQ(c.answers[0].response.body, "small\n");
}

// node: /reset sends part of a body then resets the stream; on the first connection, every
// stream after the first is refused after a GOAWAY, so the client retries on a new connection.
TEST(NetClient, AgainstNodeResetAndGoaway) {
  int port = free_port();
  NodePeer peer("node_server", port,
     "const h2 = require(\"http2\"); let sessions = 0, refusing = null;\n"
     "const s = h2.createServer();\n"
     "s.on(\"session\", (se) => { se.n = ++sessions; se.first = 0; });\n"
     "s.on(\"stream\", (st, hd) => {\n"
     "  const se = st.session; st.on(\"error\", () => {});\n"
     "  if (hd[\":path\"] === \"/reset\") { st.respond({\":status\": 200}); st.write(\"x\".repeat(1000));\n"
     "    setTimeout(() => st.close(h2.constants.NGHTTP2_CANCEL), 50); return; }\n"
     "  if (hd[\":path\"].startsWith(\"/g\")) {\n"
     "    if (!refusing) { refusing = se; se.first = st.id; se.goaway(0, st.id); }\n"
     "    else if (se === refusing && st.id > se.first) { st.close(h2.constants.NGHTTP2_REFUSED_STREAM); return; }\n"
     "  }\n"
     "  st.respond({\":status\": 200}); st.end(\"node \" + hd[\":path\"] + \" \" + (se === refusing ? 1 : 2));\n"
     "});\n"
     "s.listen(" + std::to_string(port) + ", \"127.0.0.1\");\n");
  ASSERT_GT(peer.pid, 0);
  ClientLoop c;
  // The request body is never read (node pauses the stream), so the request stays open and the
  // close is an RST_STREAM(CANCEL) rather than an END_STREAM.
  ClientRequest reset = get("http", port, "/reset");
  reset.method = "POST";
  reset.body = std::string(1 << 20, 'r');
  c.send(reset);
  ASSERT_TRUE(c.run());
  EXPECT_EQ(c.answers[0].error, "stream reset: CANCEL")
      << c.answers[0].response.status << " " << c.answers[0].response.body.size();
  ClientLoop g;
  for (int i = 0; i < 10; i++) g.send(get("http", port, "/g" + std::to_string(i)));
  ASSERT_TRUE(g.run());
  int retried = 0;
  for (int i = 0; i < 10; i++) {
    EXPECT_EQ(g.answers[i].error, "") << i;
    EXPECT_EQ(g.answers[i].response.body.rfind("node /g" + std::to_string(i) + " ", 0), 0u);
    retried += g.answers[i].response.body.back() != '1';
  }
  EXPECT_EQ(retried, 9);
  EXPECT_EQ(g.client->connections_opened(), 2u);
}

// Interim answers (1xx) before the final one: node sends 103 Early Hints (and a 100 on /two)
// with fields of their own, then the final HEADERS, a body and on /trailers a trailer. The
// response's headers are the final answer's, the interim fields dropped, and its trailers only
// the trailer's. Before, nghttp2 marking the final HEADERS after a 1xx as NGHTTP2_HCAT_HEADERS
// made its fields the trailers, and the 103's fields the headers. Whole and streamed alike.
TEST(NetClient, InterimAnswersBeforeTheFinalOne) {
  int port = free_port();
  NodePeer peer("node_103", port,
     "const h2 = require(\"http2\");\n"
     "const s = h2.createServer();\n"
     "s.on(\"stream\", (st, hd) => {\n"
     "  const p = hd[\":path\"];\n"
     "  if (p === \"/two\") st.additionalHeaders({\":status\": 100, \"x-interim\": \"100\"});\n"
     "  st.additionalHeaders({\":status\": 103, \"link\": \"</a>; rel=preload\"});\n"
     "  const trailers = p === \"/trailers\";\n"
     "  st.respond({\":status\": 200, \"x-final\": \"yes\"}, {waitForTrailers: trailers});\n"
     "  if (trailers) st.on(\"wantTrailers\", () => st.sendTrailers({\"x-t\": \"1\"}));\n"
     "  st.end(\"after103\");\n"
     "});\n"
     "s.listen(" + std::to_string(port) + ", \"127.0.0.1\");\n");
  ASSERT_GT(peer.pid, 0);
  ClientLoop c;
  c.send(get("http", port, "/"));
  c.send(get("http", port, "/two"));
  c.send(get("http", port, "/trailers"));
  ClientRequest streamed = get("http", port, "/");
  streamed.stream_body = true;
  c.send(streamed);
  ASSERT_TRUE(c.run());
  const Headers final_fields{{"x-final", "yes"}};
  for (size_t i = 0; i < 4; i++) {
    const ClientResponse& r = c.answers[i].response;
    EXPECT_EQ(c.answers[i].error, "") << i;
    EXPECT_EQ(r.status, 200) << i;
    // node adds a date field to the final answer.
    Headers fields;
    for (const auto& h : r.headers) {
      if (h.first != "date") fields.push_back(h);
    }
    EXPECT_EQ(fields, final_fields) << i;
  }
  EXPECT_EQ(c.answers[0].response.body, "after103");
  EXPECT_EQ(c.answers[0].response.trailers, Headers{});
  EXPECT_EQ(c.answers[1].response.trailers, Headers{});
  EXPECT_EQ(c.answers[2].response.trailers, (Headers{{"x-t", "1"}}));
  EXPECT_EQ(c.finish(), 0);
}

// The server name sent in TLS (SNI): a host name, never an IP literal (RFC 6066 3). node's
// server answers with the name it received, or "none".
TEST(NetClient, ServerNameSentForNamesNotAddresses) {
  int port = free_port();
  NodePeer peer("node_sni", port,
     "const h2 = require(\"http2\"), fs = require(\"fs\");\n"
     "const s = h2.createSecureServer({key: fs.readFileSync(\"" + certs().server_key + "\"), cert: "
     "fs.readFileSync(\"" + certs().server_cert + "\")});\n"
     "s.on(\"stream\", (st) => { st.respond({\":status\": 200}); "
     "st.end(String(st.session.socket.servername || \"none\")); });\n"
     "s.listen(" + std::to_string(port) + ", \"127.0.0.1\");\n");
  ASSERT_GT(peer.pid, 0);
  ClientOptions o;
  o.ca_file = certs().ca;
  ClientLoop c(o);
  c.send(get("https", port, "/", "localhost"));
  c.send(get("https", port, "/", "127.0.0.1"));
  ClientRequest named = get("https", port, "/", "127.0.0.1");
  named.sni = "localhost";
  c.send(named);
  ASSERT_TRUE(c.run());
  EXPECT_EQ(c.answers[0].response.body, "localhost") << c.answers[0].error;
  EXPECT_EQ(c.answers[1].response.body, "none") << c.answers[1].error;
  EXPECT_EQ(c.answers[2].response.body, "localhost") << c.answers[2].error;
}

TEST(NetLimits, HttpClientDefaults) {
  ClientOptions o;
  EXPECT_EQ(o.connect_timeout_ms, limits::kHttpConnectTimeoutMs);
  EXPECT_EQ(o.request_timeout_ms, limits::kHttpRequestTimeoutMs);
  EXPECT_EQ(limits::kHttpClientRetries, 2);
}

}  // namespace
}  // namespace valk::net::test
