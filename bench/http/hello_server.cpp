// hello_server.cpp: the HTTP engine with a C++ hello handler, for `make bench-http`
// (bench/http/run.sh). Prints the port it listens on, then serves until SIGTERM or SIGINT.
//   valk_http_hello [PORT] [CERT KEY]
#include <uv.h>

#include <cstdio>
#include <cstdlib>
#include <string>

#include "net/server.h"

namespace {

uv_signal_t sigterm, sigint;
std::unique_ptr<valk::net::Server> server;

void on_signal(uv_signal_t*, int) {
  if (server) server->stop(1000);
  uv_close(reinterpret_cast<uv_handle_t*>(&sigterm), nullptr);
  uv_close(reinterpret_cast<uv_handle_t*>(&sigint), nullptr);
}

}  // namespace

int main(int argc, char** argv) {
  uv_loop_t* loop = uv_default_loop();
  valk::net::ServerOptions o;
  o.port = argc > 1 ? std::atoi(argv[1]) : 0;
  if (argc > 3) {
    o.tls.cert_file = argv[2];
    o.tls.key_file = argv[3];
  }
  std::string error;
  server = valk::net::Server::start(loop, o, [](valk::net::Request&&, valk::net::Responder r) {
    valk::net::Response resp;
    resp.headers.emplace_back("content-type", "text/plain");
    resp.body = "hello, world\n";
    r.respond(std::move(resp));
  }, error);
  if (!server) {
    std::fprintf(stderr, "%s\n", error.c_str());
    return 1;
  }
  std::printf("%d\n", server->port());
  std::fflush(stdout);
  uv_signal_init(loop, &sigterm);
  uv_signal_init(loop, &sigint);
  uv_signal_start(&sigterm, on_signal, SIGTERM);
  uv_signal_start(&sigint, on_signal, SIGINT);
  uv_run(loop, UV_RUN_DEFAULT);
  server.reset();
  uv_run(loop, UV_RUN_DEFAULT);
  return uv_loop_close(loop) == 0 ? 0 : 2;
}
