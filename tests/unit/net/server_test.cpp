// server_test.cpp: the HTTP server (src/net/server.cpp, connection.cpp, h2_server.cpp,
// h1_server.cpp, tls.cpp) against real peers on loopback: curl (h2c, TLS+ALPN, HTTP/1.1),
// nghttp, h2load, node's http2 client and h2probe.py; plus one test per limit of ServerOptions.
#include "net/server.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>

#include "net_fixture.h"

namespace valk::net::test {
namespace {

const std::string kProbe = "/work/shared/tools/http2/h2probe.py";

std::string big_body() {
  std::string s(size_t(1) << 20, 'x');
  for (size_t i = 0; i < s.size(); i++) s[i] = char('a' + i % 26);
  return s;
}

void answer_after(uv_loop_t* loop, uint64_t ms, Responder r, Response resp) {
  struct Later {
    uv_timer_t timer;
    Responder r;
    Response resp;
  };
  auto* l = new Later{{}, std::move(r), std::move(resp)};
  uv_timer_init(loop, &l->timer);
  l->timer.data = l;
  uv_timer_start(&l->timer, [](uv_timer_t* t) {
    auto* l = static_cast<Later*>(t->data);
    l->r.respond(std::move(l->resp));
    uv_close(reinterpret_cast<uv_handle_t*>(t), [](uv_handle_t* h) { delete static_cast<Later*>(h->data); });
  }, ms, 0);
}

// The handler every test uses; paths say what it does.
// Requests for /slow and /never that reached the test handler (it runs on the server's thread).
std::atomic<int> held_requests{0};

// Waits (at most 20 s, a loaded machine's worst) until `n` requests for /slow or /never in all
// have reached the handler: a peer started in the background is then surely in flight.
void await_held_requests(int n) {
  for (int i = 0; i < 2000 && held_requests.load() < n; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(10));
}

// Runs a peer's command in the background, its output (stdout and stderr) to the file `out`.
void start_peer(const std::string& command, const std::string& out) {
  // The subshell lets go of sh()'s pipe, or sh() would wait for the peer.
  sh("rm -f " + out + ".done; (" + command + " > " + out + " 2>&1; echo > " + out + ".done) > /dev/null 2>&1 < /dev/null &");
}

// The output of the peer started by start_peer once it has ended (waiting at most 20 s).
std::string peer_output(const std::string& out) {
  for (int i = 0; i < 2000 && !std::ifstream(out + ".done"); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  std::ifstream in(out, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

Handler test_handler(LoopServer** self) {
  return [self](Request&& req, Responder r) {
    Response resp;
    resp.headers.emplace_back("x-proto", req.protocol);
    if (req.path == "/hello") {
      resp.body = "hello " + req.method + " " + req.path + (req.query.empty() ? "" : " ?" + req.query);
    } else if (req.path == "/echo") {
      resp.body = std::move(req.body);
    } else if (req.path == "/big") {
      resp.body = big_body();
    } else if (req.path == "/remote") {
      resp.body = req.remote + " " + req.scheme + " " + req.authority;
    } else if (req.path == "/header") {
      for (auto& [n, v] : req.headers) {
        if (n == "x-test") resp.body = v;
      }
    } else if (req.path == "/later") {
      resp.body = "later";
      answer_after((*self)->loop(), 50, std::move(r), std::move(resp));
      return;
    } else if (req.path == "/slow") {
      held_requests++;
      resp.body = "slow";
      answer_after((*self)->loop(), 700, std::move(r), std::move(resp));
      return;
    } else if (req.path == "/never") {
      held_requests++;
      return;  // the Responder is dropped: the stream stays open until the drain deadline
    } else if (req.path == "/huge-header") {
      resp.headers.emplace_back("x-huge", std::string(70'000, 'a'));  // past nghttp2's 64 KiB block
    } else if (req.path == "/throw") {
      throw std::runtime_error("handler failed");
    } else {
      resp.status = 404;
      resp.body = "not found";
    }
    r.respond(std::move(resp));
  };
}

// A server with the test handler, plus its address helpers.
struct Fixture {
  explicit Fixture(ServerOptions o = {}, uint32_t drain_ms = 1000)
      : server(std::move(o), test_handler(&self), drain_ms) {}
  LoopServer* self = &server;
  LoopServer server;
};

ServerOptions tls_options(bool mutual = false) {
  ServerOptions o;
  o.tls.cert_file = certs().server_cert;
  o.tls.key_file = certs().server_key;
  if (mutual) o.tls.client_ca_file = certs().ca;
  return o;
}

std::string curl(const std::string& args) {
  return "curl -sS --max-time 20 " + args;
}

TEST(NetServer, CurlH2cPriorKnowledge) {
  Fixture f;
  Shell r = sh(curl("--http2-prior-knowledge -w \" %{http_version} %{http_code}\" \"" +
                    f.server.url("/hello?x=1") + "\""));
  EXPECT_EQ(r.out, "hello GET /hello ?x=1 2 200");
  f.server.stop();
  EXPECT_EQ(f.server.loop_close_rc(), 0);
  EXPECT_EQ(f.server.stats().requests, 1u);
}

TEST(NetServer, CurlHttp11KeepAlive) {
  Fixture f;
  // Two requests on one connection: curl reuses it when the server keeps it alive.
  Shell r = sh(curl("-w \" %{http_version} %{http_code} %{num_connects}\\n\" " + f.server.url() +
                    " " + f.server.url("/nothing")));
  EXPECT_EQ(r.out, "hello GET /hello 1.1 200 1\nnot found 1.1 404 0\n");
  f.server.stop();
  EXPECT_EQ(f.server.stats().connections, 1u);
  EXPECT_EQ(f.server.loop_close_rc(), 0);
}

TEST(NetServer, CurlHttp11ChunkedUpload) {
  Fixture f;
  std::string file = blob(300000);
  Shell r = sh(curl("--http1.1 -H \"Transfer-Encoding: chunked\" --data-binary @" + file + " " +
                    f.server.url("/echo") + " | cmp - " + file + " && echo same"));
  EXPECT_EQ(r.out, "same\n");
}

TEST(NetServer, CurlHeadGetsNoBody) {
  Fixture f;
  Shell r = sh(curl("-I " + f.server.url()));
  EXPECT_NE(r.out.find("HTTP/1.1 200 OK"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("content-length: 17"), std::string::npos) << r.out;
}

TEST(NetServer, CurlTlsAlpnH2AndHttp11) {
  Fixture f(tls_options());
  ASSERT_EQ(f.server.error(), "");
  std::string ca = "--cacert " + certs().ca + " ";
  Shell h2 = sh(curl(ca + "-w \" %{http_version}\" " + f.server.tls_url("/remote")));
  EXPECT_EQ(h2.status, 0) << h2.out;
  EXPECT_NE(h2.out.find("127.0.0.1:"), std::string::npos) << h2.out;
  EXPECT_NE(h2.out.find(" https localhost:"), std::string::npos) << h2.out;
  EXPECT_EQ(h2.out.substr(h2.out.size() - 2), " 2");
  Shell h1 = sh(curl(ca + "--http1.1 -w \" %{http_version}\" " + f.server.tls_url()));
  EXPECT_EQ(h1.out, "hello GET /hello 1.1");
  f.server.stop();
  EXPECT_EQ(f.server.loop_close_rc(), 0);
}

TEST(NetServer, MutualTlsNeedsClientCertificate) {
  Fixture f(tls_options(true));
  std::string ca = "--cacert " + certs().ca + " ";
  Shell without = sh(curl(ca + f.server.tls_url()));
  EXPECT_NE(without.status, 0) << without.out;
  Shell with = sh(curl(ca + "--cert " + certs().client_cert + " --key " + certs().client_key +
                       " " + f.server.tls_url()));
  EXPECT_EQ(with.out, "hello GET /hello");
}

TEST(NetServer, BadCertificateIsAnError) {
  ServerOptions o;
  o.tls.cert_file = "/nonexistent/cert.pem";
  o.tls.key_file = "/nonexistent/key.pem";
  LoopServer s(o, [](Request&&, Responder) {});
  EXPECT_EQ(s.port(), -1);
  EXPECT_EQ(s.error().rfind("tls: certificate /nonexistent/cert.pem: ", 0), 0u) << s.error();
  s.stop();
  EXPECT_EQ(s.loop_close_rc(), 0);
}

TEST(NetServer, PortInUseIsAnError) {
  Fixture f;
  ServerOptions o;
  o.port = f.server.port();
  LoopServer s(o, [](Request&&, Responder) {});
  EXPECT_EQ(s.error(), "listen 127.0.0.1:" + std::to_string(o.port) + ": address already in use");
  s.stop();
  EXPECT_EQ(s.loop_close_rc(), 0);
}

// listen_socket makes every listening socket (Server::start's, and the one of http/serve's
// workers, whose servers are fed and bind nothing): its errors name the address.
TEST(NetServer, ListenSocketAndAFedServer) {
  std::string error;
  int port = 0;
  int fd = listen_socket("127.0.0.1", 0, &port, error);
  ASSERT_GE(fd, 0) << error;
  EXPECT_GT(port, 0);
  int unused = 0;
  EXPECT_EQ(listen_socket("127.0.0.1", port, &unused, error), -1);
  EXPECT_EQ(error, "listen 127.0.0.1:" + std::to_string(port) + ": address already in use");
  EXPECT_EQ(listen_socket("", 80, &unused, error), -1);
  EXPECT_EQ(error, "listen :80: unknown node or service");
  ServerOptions o;
  o.fed = true;
  o.port = port;  // taken, but a fed server binds nothing
  LoopServer fed(o, [](Request&&, Responder) {});
  EXPECT_EQ(fed.port(), 0) << fed.error();
  EXPECT_EQ(fed.error(), "");
  fed.stop();
  EXPECT_EQ(fed.loop_close_rc(), 0);
  ::close(fd);
}

TEST(NetServer, LateAnswerAndHandlerError) {
  Fixture f;
  Shell late = sh(curl("--http2-prior-knowledge " + f.server.url("/later")));
  EXPECT_EQ(late.out, "later");
  Shell err = sh(curl("--http2-prior-knowledge -w \" %{http_code}\" " + f.server.url("/throw")));
  EXPECT_EQ(err.out, "internal server error\n 500");
  Shell err1 = sh(curl("-w \" %{http_code}\" " + f.server.url("/throw")));
  EXPECT_EQ(err1.out, "internal server error\n 500");
}

// An answer whose header block nghttp2 will not encode (over its 64 KiB
// max_send_header_block_length): the stream is reset, the connection's other stream answered
// (before: the stream hung with no frame at all).
TEST(NetServer, HeaderBlockNghttp2CannotEncodeResetsItsStream) {
  Fixture f;
  Shell r = sh("nghttp -v " + f.server.url("/huge-header") + " " + f.server.url("/hello"), 20);
  EXPECT_EQ(count(r.out, "recv RST_STREAM frame"), 1u) << r.out;
  EXPECT_EQ(count(r.out, "(error_code=INTERNAL_ERROR(0x02))"), 1u) << r.out;
  EXPECT_EQ(count(r.out, ":status: 200"), 1u) << r.out;
}

TEST(NetServer, NghttpSmallWindowsBigDownloadAndUpload) {
  Fixture f;
  // 16 KiB windows (2^14) both ways: a 1 MiB answer and a 256 KiB upload.
  Shell down = sh("nghttp -w 14 -W 14 " + f.server.url("/big") + " | wc -c");
  EXPECT_EQ(down.out, "1048576\n");
  std::string file = blob(256 * 1024);
  Shell up = sh("nghttp -w 14 -W 14 -d " + file + " " + f.server.url("/echo") + " | cmp - " +
                file + " && echo same");
  EXPECT_EQ(up.out, "same\n");
}

TEST(NetServer, NghttpHeaderThroughContinuation) {
  Fixture f;
  // A 40 KB header needs CONTINUATION frames (max frame 16 KiB) and is within the limit.
  std::string v(40000, 'h');
  Shell r = sh("nghttp -H \"x-test: " + v + "\" " + f.server.url("/header") + " | wc -c");
  EXPECT_EQ(r.out, "40000\n");
  // 80 KB is over the header list limit (64 KiB): the answer is 431 (or the stream is reset).
  std::string big(80000, 'h');
  Shell over = sh("nghttp -v -H \"x-test: " + big + "\" " + f.server.url("/header"));
  bool refused = over.out.find(":status: 431") != std::string::npos ||
                 over.out.find("RST_STREAM") != std::string::npos ||
                 over.out.find("GOAWAY") != std::string::npos;
  EXPECT_TRUE(refused) << over.out.substr(over.out.size() > 2000 ? over.out.size() - 2000 : 0);
  f.server.stop();
  EXPECT_EQ(f.server.loop_close_rc(), 0);
}

TEST(NetServer, Nghttp50MultiplexedStreams) {
  Fixture f;
  // -m 50: the same URI 50 times on one connection, concurrently.
  Shell r = sh("nghttp -n -s -m 50 " + f.server.url());
  EXPECT_EQ(r.status, 0) << r.out;
  EXPECT_EQ(count(r.out, " 200 "), 50u) << r.out;
  f.server.stop();
  EXPECT_EQ(f.server.stats().connections, 1u);
  EXPECT_EQ(f.server.stats().requests, 50u);
}

TEST(NetServer, H2load) {
  Fixture f;
  Shell r = sh("h2load -n 2000 -c 10 -m 10 " + f.server.url());
  EXPECT_NE(r.out.find("2000 total, 2000 started, 2000 done, 2000 succeeded, 0 failed"),
            std::string::npos) << r.out;
  Fixture t(tls_options());
  Shell tls = sh("h2load -n 500 -c 5 -m 10 " + t.server.tls_url());
  EXPECT_NE(tls.out.find("500 succeeded, 0 failed"), std::string::npos) << tls.out;
}

TEST(NetServer, NodeHttp2Client) {
  Fixture f;
  std::string js =
      "const h=require(\"http2\");const c=h.connect(process.argv[1]);let n=0,ok=0;"
      "for(let i=0;i<20;i++){const r=c.request({\":path\":\"/hello?i=\"+i});let b=\"\";"
      "r.on(\"response\",(hd)=>{if(hd[\":status\"]==200)ok++;});r.setEncoding(\"utf8\");"
      "r.on(\"data\",(d)=>b+=d);r.on(\"end\",()=>{if(b!=\"hello GET /hello ?i=\"+i)ok=-999;"
      "if(++n==20){console.log(ok);c.close();}});}";
  Shell r = sh("node -e '\"'\"'" + js + "'\"'\"' http://127.0.0.1:" + std::to_string(f.server.port()));
  EXPECT_EQ(r.out, "20\n");
}

Shell probe(const LoopServer& s, const std::string& args) {
  return sh("/usr/bin/python3 " + kProbe + " 127.0.0.1 " + std::to_string(s.port()) + " " + args, 120);
}

TEST(NetServer, H2probeCleartext) {
  Fixture f;
  Shell r = probe(f.server, "--big /big");
  // 23 checks pass; T19 (an 80 KB header) is INFO: the probe counts a 431 answer as "accepted".
  EXPECT_NE(r.out.find("23 passed, 0 failed"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("accepted, status 431"), std::string::npos) << r.out;
  f.server.stop();
  EXPECT_EQ(f.server.loop_close_rc(), 0);
}

TEST(NetServer, H2probeTls) {
  Fixture f(tls_options());
  Shell r = probe(f.server, "--tls --big /big");
  EXPECT_NE(r.out.find("23 passed, 0 failed"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("accepted, status 431"), std::string::npos) << r.out;
}

// --slow: an idle connection and a slowloris one are both closed by the timeouts (short here).
TEST(NetServer, H2probeSlowIdleAndHeaderTimeouts) {
  ServerOptions o;
  o.idle_timeout_ms = 1500;
  o.header_timeout_ms = 1500;
  Fixture f(o);
  Shell r = probe(f.server, "--slow --only S01,S02");
  EXPECT_NE(r.out.find("S01 INFO"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("closed/GOAWAY after 1."), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("closed/reset after 1."), std::string::npos) << r.out;
  f.server.stop();
  EXPECT_EQ(f.server.stats().timeouts, 2u);
}

// --- one test per limit (config/limits.h kHttp*) ---

TEST(NetLimits, HttpDefaults) {
  ServerOptions o;
  EXPECT_EQ(o.max_concurrent_streams, limits::kHttpMaxConcurrentStreams);
  EXPECT_EQ(o.max_header_list_bytes, limits::kHttpMaxHeaderListBytes);
  EXPECT_EQ(o.max_body_bytes, limits::kHttpMaxBodyBytes);
  EXPECT_EQ(o.idle_timeout_ms, limits::kHttpIdleTimeoutMs);
  EXPECT_EQ(o.header_timeout_ms, limits::kHttpHeaderTimeoutMs);
  EXPECT_EQ(o.write_timeout_ms, limits::kHttpWriteTimeoutMs);
}

TEST(NetLimits, HttpMaxConcurrentStreamsIsAdvertised) {
  ServerOptions o;
  o.max_concurrent_streams = 7;
  Fixture f(o);
  Shell r = sh("nghttp -v " + f.server.url());
  EXPECT_NE(r.out.find("[SETTINGS_MAX_CONCURRENT_STREAMS(0x03):7]"), std::string::npos) << r.out;
  Shell d = sh("nghttp -v " + Fixture().server.url());
  EXPECT_NE(d.out.find("[SETTINGS_MAX_CONCURRENT_STREAMS(0x03):100]"), std::string::npos);
  // The probe opens one stream more than advertised and is refused.
  Shell p = probe(f.server, "--only T18");
  EXPECT_NE(p.out.find("T18 PASS"), std::string::npos) << p.out;
}

TEST(NetLimits, HttpMaxHeaderListBytes) {
  ServerOptions o;
  o.max_header_list_bytes = 2000;
  Fixture f(o);
  std::string ok(1500, 'k'), over(2000, 'o');
  Shell h2 = sh(curl("--http2-prior-knowledge -H \"x-test: " + ok + "\" " + f.server.url("/header") + " | wc -c"));
  EXPECT_EQ(h2.out, "1500\n");
  Shell h2over = sh(curl("--http2-prior-knowledge -w %{http_code} -H \"x-test: " + over + "\" " + f.server.url("/header")));
  EXPECT_EQ(h2over.out, "431");
  Shell h1over = sh(curl("-w %{http_code} -H \"x-test: " + over + "\" " + f.server.url("/header")));
  EXPECT_EQ(h1over.out, "431");
}

TEST(NetLimits, HttpMaxBodyBytes) {
  ServerOptions o;
  o.max_body_bytes = 100000;
  Fixture f(o);
  std::string small = blob(100000), large = blob(100001);
  Shell fits = sh(curl("--http2-prior-knowledge --data-binary @" + small + " " + f.server.url("/echo") + " | wc -c"));
  EXPECT_EQ(fits.out, "100000\n");
  Shell h2 = sh(curl("--http2-prior-knowledge -o /dev/null -w %{http_code} --data-binary @" + large + " " + f.server.url("/echo")));
  EXPECT_EQ(h2.out, "413");
  Shell h1 = sh(curl("-o /dev/null -w %{http_code} --data-binary @" + large + " " + f.server.url("/echo")));
  EXPECT_EQ(h1.out, "413");
  Shell chunked = sh(curl("-o /dev/null -w %{http_code} -H \"Transfer-Encoding: chunked\" --data-binary @" + large + " " + f.server.url("/echo")));
  EXPECT_EQ(chunked.out, "413");
}

// A 413 reaches an HTTP/1.1 client still sending its body (no "Expect: 100-continue" to stop it):
// the server sends FIN, then reads and drops the rest (limits.h kHttpLingerMs) instead of closing
// with unread input, which made the kernel reset the connection and curl fail to send (exit 55)
// in about a third of the tries before.
TEST(NetLimits, HttpH1AnswerOverLimitSurvivesTheRestOfTheUpload) {
  ServerOptions o;
  o.max_body_bytes = 100000;
  Fixture f(o);
  std::string huge = blob(20'000'000);
  for (const char* framing : {"", "-H \"Transfer-Encoding: chunked\" "}) {
    for (int i = 0; i < 4; i++) {
      Shell r = sh(curl("-o /dev/null -w %{http_code} -H \"Expect:\" " + std::string(framing) + "--data-binary @" + huge +
                        " " + f.server.url("/echo")), 60);
      EXPECT_EQ(r.out, "413") << framing;
      EXPECT_EQ(r.status, 0) << framing;
    }
  }
  EXPECT_EQ(sh(curl(f.server.url("/"))).status, 0);  // the server goes on
}

TEST(NetLimits, HttpIdleTimeoutMs) {
  ServerOptions o;
  o.idle_timeout_ms = 300;
  Fixture f(o);
  // HTTP/1.1 keep-alive connection left idle: the server closes it, then the loop ends cleanly.
  Shell r = sh("exec 3<>/dev/tcp/127.0.0.1/" + std::to_string(f.server.port()) +
               "; printf \"GET /hello HTTP/1.1\\r\\nHost: x\\r\\n\\r\\n\" >&3; cat <&3");
  EXPECT_EQ(r.status, 0);
  EXPECT_NE(r.out.find("hello GET /hello"), std::string::npos) << r.out;
  f.server.stop();
  EXPECT_EQ(f.server.stats().timeouts, 1u);
}

TEST(NetLimits, HttpHeaderTimeoutMs) {
  ServerOptions o;
  o.header_timeout_ms = 300;
  Fixture f(o);
  // Half a request line, then silence: closed after the header timeout (cat sees EOF).
  Shell r = sh("exec 3<>/dev/tcp/127.0.0.1/" + std::to_string(f.server.port()) +
               "; printf \"GET /hel\" >&3; cat <&3; echo closed");
  EXPECT_EQ(r.out, "closed\n");
  f.server.stop();
  EXPECT_EQ(f.server.stats().timeouts, 1u);
}

TEST(NetLimits, HttpWriteTimeoutMs) {
  ServerOptions o;
  o.write_timeout_ms = 300;
  Fixture f(o);
  // 30 requests for 1 MiB each on one connection that never reads: the output stalls. The peer
  // holds the connection until the server has closed its end (its socket in /proc/net/tcp is no
  // longer ESTABLISHED, state 01), at most 20 s: a loaded machine may take seconds to stall.
  std::string req = "GET /big HTTP/1.1\\r\\nHost: x\\r\\n\\r\\n";
  std::string many;
  for (int i = 0; i < 30; i++) many += req;
  char port_hex[8];
  std::snprintf(port_hex, sizeof port_hex, "%04X", unsigned(f.server.port()));
  sh("exec 3<>/dev/tcp/127.0.0.1/" + std::to_string(f.server.port()) + "; printf \"" + many +
     "\" >&3; for i in $(seq 400); do grep -q \" 0100007F:" + port_hex +
     " [0-9A-F:]* 01 \" /proc/net/tcp || break; sleep 0.05; done");
  f.server.stop();
  EXPECT_EQ(f.server.stats().timeouts, 1u);
  EXPECT_EQ(f.server.loop_close_rc(), 0);
}

// A peer that goes away while the server writes makes the write fail with EPIPE and raise
// SIGPIPE, whose default action would end the server's process (this test's, or valk's): once a
// connection is accepted, SIGPIPE is ignored. (Seen in a loaded make stress run: nghttp closed
// while the server still wrote, and the test process died of SIGPIPE.)
TEST(NetServer, AcceptedConnectionLeavesSigpipeIgnored) {
  std::signal(SIGPIPE, SIG_DFL);
  Fixture f;
  Shell r = sh(curl("--http1.1 " + f.server.url("/hello")));
  EXPECT_EQ(r.out, "hello GET /hello");
  struct sigaction now {};
  ASSERT_EQ(sigaction(SIGPIPE, nullptr, &now), 0);
  EXPECT_EQ(now.sa_handler, SIG_IGN);
  raise(SIGPIPE);  // and the process goes on
  f.server.stop();
  EXPECT_EQ(f.server.loop_close_rc(), 0);
}

TEST(NetLimits, HttpDrainTimeoutMs) {
  EXPECT_EQ(limits::kHttpDrainTimeoutMs, 5000u);
  // Graceful stop lets an in-flight answer (700 ms) finish inside the drain deadline ...
  Fixture f(ServerOptions{}, 3000);
  std::string out = certs().dir + "/drain.out";
  int held = held_requests.load();
  start_peer(curl("--http2-prior-knowledge " + f.server.url("/slow")), out);
  await_held_requests(held + 1);
  f.server.stop();
  EXPECT_EQ(peer_output(out), "slow");
  EXPECT_EQ(f.server.loop_close_rc(), 0);
  // ... and cuts one that never answers when the deadline passes.
  Fixture g(ServerOptions{}, 200);
  start_peer(curl("--http2-prior-knowledge " + g.server.url("/never")), out);
  await_held_requests(held + 2);
  g.server.stop();
  EXPECT_EQ(g.server.loop_close_rc(), 0);
  EXPECT_EQ(g.server.stats().requests, 1u);
}

// A graceful stop tells each open connection at once (Connection::shutdown): an h2 peer gets a
// GOAWAY while its request is still in flight, an HTTP/1.1 one gets "connection: close" on the
// answer; both answers arrive whole.
TEST(NetServer, GracefulStopTellsOpenConnectionsAtOnce) {
  Fixture f(ServerOptions{}, 3000);
  std::string h2 = certs().dir + "/stop-h2.out";
  int held = held_requests.load();
  start_peer("nghttp -v " + f.server.url("/slow"), h2);
  await_held_requests(held + 1);
  f.server.stop();
  std::string out = peer_output(h2);
  EXPECT_NE(out.find("recv GOAWAY frame"), std::string::npos) << out;
  EXPECT_NE(out.find("slow"), std::string::npos) << out;
  EXPECT_EQ(f.server.loop_close_rc(), 0);

  Fixture g(ServerOptions{}, 3000);
  std::string h1 = certs().dir + "/stop-h1.out";
  start_peer(curl("-i --http1.1 " + g.server.url("/slow")), h1);
  await_held_requests(held + 2);
  g.server.stop();
  out = peer_output(h1);
  EXPECT_NE(out.find("connection: close\r\n"), std::string::npos) << out;
  EXPECT_NE(out.find("\r\n\r\nslow"), std::string::npos) << out;
  EXPECT_EQ(g.server.loop_close_rc(), 0);
}

TEST(NetLimits, HttpWriteHighWaterBytes) {
  // A PING flood from a peer that does not read is bounded (h2probe T22), and so is memory.
  EXPECT_EQ(limits::kHttpWriteHighWaterBytes, size_t(256) << 10);
  Fixture f;
  Shell p = probe(f.server, "--only T22");
  EXPECT_NE(p.out.find("T22 PASS"), std::string::npos) << p.out;
}

// A 20 MB answer to a peer that sends nothing back (curl's windows hold all of it, so no
// WINDOW_UPDATE wakes the loop): after kHttpSyncWriteRounds rounds a flush goes on at the loop's
// next turn, which must not wait for an event. Before, that turn's poll blocked until the
// connection's tick: about 2 MB a second, 14 s for the answer (HTTP/1.1 took 0.6 s). Over h2c and
// TLS.
TEST(NetLimits, HttpSyncWriteRounds) {
  EXPECT_EQ(limits::kHttpSyncWriteRounds, 4u);
  const size_t size = 20'000'000;
  auto whole = [size](Request&&, Responder r) {
    Response resp;
    resp.body.assign(size, 'z');
    r.respond(std::move(resp));
  };
  LoopServer h2c(ServerOptions{}, whole);
  LoopServer tls(tls_options(), whole);
  ASSERT_EQ(tls.error(), "");
  std::string w = "-o /dev/null -w \"%{http_version} %{size_download} %{time_total}\" ";
  for (const std::string& args :
       {"--http2-prior-knowledge " + w + h2c.url(), "--cacert " + certs().ca + " " + w + tls.tls_url()}) {
    Shell r = sh(curl(args));
    ASSERT_EQ(r.status, 0) << r.out;
    EXPECT_EQ(r.out.rfind("2 " + std::to_string(size) + " ", 0), 0u) << r.out;
    // Well under a second on loopback; 5 s leaves room for a loaded machine, and is less than
    // the tick-paced 10 s.
    EXPECT_LT(std::atof(r.out.c_str() + r.out.rfind(' ')), 5.0) << args << ": " << r.out;
  }
}

TEST(NetLimits, HttpStreamAndConnectionWindows) {
  Fixture f;
  Shell r = sh("nghttp -v " + f.server.url());
  EXPECT_NE(r.out.find("[SETTINGS_INITIAL_WINDOW_SIZE(0x04):" +
                       std::to_string(limits::kHttpStreamWindowBytes) + "]"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("(window_size_increment=" +
                       std::to_string(limits::kHttpConnectionWindowBytes - 65535) + ")"),
            std::string::npos) << r.out;
}

// Streamed request bodies: a handler that starts reading late (the stream's window is full by
// then) gets reads of exactly kHttpStreamChunkBytes, never more, and the whole body.
struct ChunkCount {
  Responder r;
  size_t largest = 0, total = 0;
  void next(std::shared_ptr<ChunkCount> self) {
    r.read([self](const std::string& error, std::string chunk, Headers) {
      if (!error.empty() || chunk.empty()) {
        Response resp;
        resp.body = error.empty() ? std::to_string(self->largest) + " " + std::to_string(self->total) : error;
        self->r.respond(std::move(resp));
        return;
      }
      self->largest = std::max(self->largest, chunk.size());
      self->total += chunk.size();
      self->next(self);
    });
  }
};

TEST(NetLimits, HttpStreamChunkBytes) {
  EXPECT_EQ(limits::kHttpStreamChunkBytes, size_t(64) << 10);
  ServerOptions o;
  o.stream_bodies = true;
  LoopServer* srv = nullptr;
  LoopServer server(o, [&srv](Request&&, Responder r) {
    auto* t = new uv_timer_t;
    uv_timer_init(srv->loop(), t);
    t->data = new Responder(r);
    uv_timer_start(t, [](uv_timer_t* t) {
      auto c = std::make_shared<ChunkCount>();
      c->r = *static_cast<Responder*>(t->data);
      delete static_cast<Responder*>(t->data);
      uv_close(reinterpret_cast<uv_handle_t*>(t), [](uv_handle_t* h) { delete reinterpret_cast<uv_timer_t*>(h); });
      c->next(c);
    }, 300, 0);
  });
  srv = &server;
  Shell r = sh("curl -sS --max-time 20 --http2-prior-knowledge --data-binary @" + blob(1'000'000) + " " + server.url());
  EXPECT_EQ(r.out, std::to_string(limits::kHttpStreamChunkBytes) + " 1000000");
}

// A streamed answer: a write leaving kHttpStreamBufferBytes or more unsent is taken only once
// the peer has pulled below it; a small one is taken at once.
TEST(NetLimits, HttpStreamBufferBytes) {
  EXPECT_EQ(limits::kHttpStreamBufferBytes, size_t(256) << 10);
  ServerOptions o;
  o.stream_bodies = true;
  LoopServer server(o, [](Request&&, Responder r) {
    r.begin(Response{});
    auto at_once = std::make_shared<std::string>();
    auto called = std::make_shared<bool>(false);
    r.write(std::string(limits::kHttpStreamBufferBytes, 'b'), [r, at_once, called](bool ok) mutable {
      *called = true;
      auto small = std::make_shared<bool>(false);
      r.write("s", [small](bool) { *small = true; });
      *at_once += ok && *small ? " small at once" : " small waited";
      r.write(*at_once, [](bool) {});
      r.end();
    });
    *at_once = *called ? "big at once" : "big waited";
  });
  Shell r = sh("curl -sS --max-time 20 --http2-prior-knowledge " + server.url() + " | tail -c 25");
  EXPECT_EQ(r.out, "sbig waited small at once");
}

// A streamed HTTP/1.1 upload whose handler does not read: past kHttpH1UnreadBodyBytes the socket is
// not read, so in a second the client gets no further than that plus the kernel's socket buffers
// (a few MB on loopback), far from the 64 MB it offers.
TEST(NetLimits, HttpH1UnreadBodyBytes) {
  EXPECT_EQ(limits::kHttpH1UnreadBodyBytes, size_t(256) << 10);
  ServerOptions o;
  o.stream_bodies = true;
  o.max_body_bytes = size_t(1) << 30;
  LoopServer server(o, [](Request&&, Responder) {});
  std::string py = certs().dir + "/unread.py";
  std::ofstream(py) << "import socket, sys, time\n"
                       "s = socket.create_connection(('127.0.0.1', int(sys.argv[1])))\n"
                       "s.sendall(b'POST / HTTP/1.1\\r\\nHost: x\\r\\nContent-Length: 67108864\\r\\n\\r\\n')\n"
                       "s.setblocking(False)\n"
                       "block, sent, end = b'u' * 65536, 0, time.time() + 1\n"
                       "while time.time() < end and sent < 67108864:\n"
                       "    try: sent += s.send(block)\n"
                       "    except BlockingIOError: time.sleep(0.01)\n"
                       "print(sent)\n";
  Shell r = sh("python3 " + py + " " + std::to_string(server.port()), 20);
  long sent = std::atol(r.out.c_str());
  EXPECT_GT(sent, long(limits::kHttpH1UnreadBodyBytes)) << r.out;
  EXPECT_LT(sent, 16L << 20) << r.out;
}

}  // namespace
}  // namespace valk::net::test
