// builtins.cpp: the Valk API of the HTTP engine: http/serve (handlers run in a fiber per request),
// http/stop, http/port, http/request, http/get, and the original's http2/ builtins and `aio`.
// It is compiled into valkcore, not valknet: it needs the VM, and the engine stays free of it.
#include <unistd.h>

#include <cctype>
#include <algorithm>
#include <charconv>
#include <cstdio>
#include <optional>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "aio/isolate.h"
#include "aio/loop.h"
#include "lib/builtin.h"
#include "lib/check.h"
#include "lib/marshal.h"
#include "net/client.h"
#include "net/h2_fields.h"
#include "net/serve_workers.h"
#include "net/server.h"
#include "value/dict.h"
#include "value/handle.h"
#include "value/make.h"
#include "value/print.h"
#include "vm/vm.h"

namespace valk {

namespace {

constexpr const char* kDefaultPage = "<h1>Valkyria, valhallas treasure</h1>";
constexpr const char* kInternalError = "internal server error\n";
constexpr int64_t kMaxPort = 65535;

// ---- per-VM state: the servers and clients of one loop ------------------------------------------

struct ServerBox {
  std::unique_ptr<net::Server> server;
  std::unique_ptr<net::WorkerGroup> workers;  // `workers N` above 1: the servers are in the isolates
  std::string host;
  uint32_t handler = UINT32_MAX;  // Loop::keep handle of the Valk handler; none: the default page
  bool stopping = false;
  bool streaming = false;  // "stream-body": requests carry an HttpStream (http/read, http/write)
  // Loop::keep handles of the handlers' futures not settled yet (UINT32_MAX: vacant). Those left
  // when the server has closed are cancelled: no one is left to answer.
  Slots<uint32_t> running;
  bool closed = false;  // the stop is over (cancel_running)
};

// A handler's future in its server's `running`, until it settles.
struct RunningHandler {
  std::weak_ptr<ServerBox> box;
  uint32_t slot = 0;
  uint32_t kept = 0;
  static RunningHandler track(VM& vm, const std::shared_ptr<ServerBox>& box, Value future) {
    uint32_t kept = vm.loop().keep(future);
    return RunningHandler{box, box->running.take(kept), kept};
  }
  // Returns false once the server has closed.
  bool settled(VM& vm) const {
    auto b = box.lock();
    if (!b) return false;
    if (b->running[slot] == kept) vm.loop().release(b->running.release(slot, UINT32_MAX));  // else the stop did
    return !b->closed;
  }
};

// The server has closed: its handlers still running are cancelled, and the futures they
// answered with, unless something else waits on them.
void cancel_running(VM& vm, ServerBox& box) {
  box.closed = true;
  for (uint32_t slot = 0; slot < box.running.all().size(); ++slot) {
    if (box.running[slot] == UINT32_MAX) continue;
    uint32_t kept = box.running.release(slot, UINT32_MAX);
    Value future = vm.loop().kept(kept);
    vm.loop().release(kept);
    vm.loop().cancel_unwaited(future);
  }
}

// A shape Dict (name k -> k) kept in the loop, and the name of each of its entries in
// dict_for_each's order: a Dict of those names is then a copy of it (dict_refill), no key hashed,
// compared as a key or made a String again.
template <uint32_t kMaxNames>
class KeptShape {
 protected:
  bool made() const { return handle_ != UINT32_MAX; }
  // Makes (or makes again) the shape of the n names name_of(0) ... name_of(n - 1).
  template <class NameOf>
  void reshape(VM& vm, uint32_t n, NameOf name_of) {
    Heap& h = vm.heap();
    if (made()) vm.loop().release(handle_);
    Value shape = dict_empty(h);
    for (uint32_t k = 0; k < n; ++k) shape = dict_assoc(h, shape, make_string(h, name_of(k)), Value::fixnum(k));
    uint32_t i = 0;
    dict_for_each(shape, [&](Value, Value k) { order_[i++] = uint32_t(k.fixnum_value()); });
    handle_ = vm.loop().keep(shape);
  }
  // The Dict name k -> value_of(k), for the n names of the shape.
  template <class ValueOf>
  Value refill(VM& vm, uint32_t n, ValueOf value_of) {
    Value values[kMaxNames];
    for (uint32_t i = 0; i < n; ++i) values[i] = value_of(order_[i]);
    return dict_refill(vm.heap(), vm.loop().kept(handle_), values);
  }

 private:
  uint32_t handle_ = UINT32_MAX;  // Loop::keep handle of the shape
  uint32_t order_[kMaxNames];     // the name index of the shape's i-th entry in dict_for_each's order
};

// A Dict whose keys are always the same Strings (a request, a response).
class DictShape : KeptShape<16> {
 public:
  // The Dict names[k] -> by_key[k] for every k < n (n at most 16, the same on every call).
  Value make(VM& vm, const char* const* names, uint32_t n, const Value* by_key) {
    if (!made()) reshape(vm, n, [&](uint32_t k) { return std::string_view(names[k]); });
    return refill(vm, n, [&](uint32_t k) { return by_key[k]; });
  }
};

// The header Dict of a message whose field names are the last message's, in the same order (a
// peer sends the same fields request after request); names that differ make a new shape. For
// distinct names only (headers_dict joins repeated ones).
constexpr uint32_t kMaxShapedFields = 32;  // a message with more takes headers_dict's general path
class HeaderShape : KeptShape<kMaxShapedFields> {
 public:
  // The Dict of fields, or undefined when there are more than kMaxShapedFields.
  Value make(VM& vm, const net::Headers& fields) {
    if (fields.size() > kMaxShapedFields) return Value::undefined();
    auto n = uint32_t(fields.size());
    if (!same_names(fields)) {
      reshape(vm, n, [&](uint32_t k) { return std::string_view(fields[k].first); });
      names_.clear();
      for (const auto& f : fields) names_.push_back(f.first);
    }
    return refill(vm, n, [&](uint32_t k) { return make_string(vm.heap(), fields[k].second); });
  }

 private:
  bool same_names(const net::Headers& fields) const {
    if (!made() || fields.size() != names_.size()) return false;
    for (size_t i = 0; i < fields.size(); ++i) {
      if (fields[i].first != names_[i]) return false;
    }
    return true;
  }

  std::vector<std::string> names_;  // the shape's field names, in the message's order
};

enum RequestKey : uint32_t {
  kMethod, kPath, kQuery, kBody, kRemote, kAuthority, kScheme, kProtocol, kHeaders, kTrailers, kRequestKeys
};
constexpr const char* kRequestKeyNames[kRequestKeys] = {"method", "path",   "query",    "body",    "remote",
                                                        "authority", "scheme", "protocol", "headers", "trailers"};
enum ResponseKey : uint32_t { kStatus, kResponseHeaders, kResponseBody, kResponseTrailers, kResponseKeys };
constexpr const char* kResponseKeyNames[kResponseKeys] = {"status", "headers", "body", "trailers"};

struct NetState : LoopState {
  std::vector<std::shared_ptr<ServerBox>> servers;
  // by their options: a program uses a few sets of options, and comparing them allocates nothing
  std::vector<std::pair<net::ClientOptions, std::shared_ptr<net::Client>>> clients;
  uint32_t worker = 0;  // in a worker isolate of `workers N`: its number, 1 to N (http/worker)
  std::weak_ptr<ServerBox> fed;  // in a worker isolate: the server its group hands connections to
  DictShape request_shape, response_shape;
  HeaderShape request_headers, response_headers;  // the last request's (server), response's (client)
  ~NetState() override {
    for (auto& s : servers) {
      s->server.reset();   // stop(0): handles close in the loop's close()
      s->workers.reset();  // stop(0) in each isolate, joined
    }
    clients.clear();
  }
};

// The servers and clients of this VM's loop, owned by the Loop (made on first use, dropped by
// Loop::close before its last callbacks run).
NetState& net_state(VM& vm) {
  Loop& loop = vm.loop();
  if (!loop.http_state()) loop.set_http_state(std::make_unique<NetState>());
  return static_cast<NetState&>(*loop.http_state());
}

// After http/stop's server has closed. The loop's state may be gone already (the loop closed
// while the server drained): then there is nothing to forget, and none must be made anew.
void forget_server(VM& vm, ServerBox* box) {
  auto* st = static_cast<NetState*>(vm.loop().http_state());
  if (!st) return;
  for (size_t i = 0; i < st->servers.size(); ++i) {
    if (st->servers[i].get() != box) continue;
    if (box->handler != UINT32_MAX) vm.loop().release(box->handler);
    st->servers.erase(st->servers.begin() + long(i));
    return;
  }
}

// ---- host objects -----------------------------------------------------------------------------

struct ServerRef : HostRef {
  std::weak_ptr<ServerBox> box;
  int port = 0;
  std::string host;
  const char* kind() const override { return "HttpServer"; }
  std::string describe() const override {
    auto b = box.lock();
    return net::host_port(host, port) + (b && !b->stopping ? "" : " stopped");
  }
};

// A streamed body's trailers, known once a read has given its end ("").
struct BodyEnd {
  bool reached = false;
  net::Headers trailers;
  void reach(net::Headers&& t) {
    if (reached) return;
    reached = true;
    trailers = std::move(t);
  }
};

// A streamed request and answer ("stream-body" 1, HTTP/2 and HTTP/1.1 alike): the engine's
// Responder and the binding's state of the calls on it.
struct StreamState {
  net::Responder responder;
  std::weak_ptr<ServerBox> box;  // expired: the server is gone, a late engine callback does nothing
  bool reading = false;          // a read waits
  bool writing = false;          // a write waits for the peer's window
  bool begun = false;            // http/respond was called
  bool ended = false;
  BodyEnd request_end;           // the request body's end and trailers
  // The answer's content-length, when http/respond gave one to a body that is sent (not HEAD,
  // 204 or 304): what http/write may not pass and http/end must have reached, or the peer would
  // read the next answer's bytes as this one's (HTTP/1.1) or wait for bytes that never come.
  std::optional<uint64_t> length;
  uint64_t written = 0;
  bool head = false;  // the request is HEAD: its answer's body is dropped
};

struct StreamRef : HostRef {
  std::shared_ptr<StreamState> st;
  std::string what;  // "POST /upload"
  const char* kind() const override { return "HttpStream"; }
  std::string describe() const override { return what; }
};

// A response body read by chunks (http/request with "stream-body" 1): the response's "stream".
struct ClientStreamRef : HostRef {
  std::shared_ptr<net::ClientBody> body;
  std::string what;  // "GET http://127.0.0.1:8080/big"
  bool reading = false;
  BodyEnd end;
  const char* kind() const override { return "HttpStream"; }
  std::string describe() const override { return what; }
};

// A connection of http2/connect: the client it belongs to and where it connects.
struct ConnRef : HostRef {
  std::weak_ptr<net::Client> client;
  std::string host, sni;
  int port = 0;
  const char* kind() const override { return "Http2Client"; }
  std::string describe() const override { return net::host_port(host, port); }
};

// The original's mutable request (http2/request, http2/request-add-header).
struct RequestRef : HostRef {
  std::string method, scheme, authority, path;
  net::Headers headers;
  const char* kind() const override { return "Http2Request"; }
  std::string describe() const override { return method + " " + scheme + "://" + authority + path; }
};

// ---- values <-> C++ -----------------------------------------------------------------------------

std::string_view sv(Value v) { return v.as<String>()->view(); }
Value str(VM& vm, std::string_view s) { return make_string(vm.heap(), s); }

// True when no name comes twice (checked pairwise: requests have few fields, and a map would cost
// allocations on every request).
bool distinct_names(const net::Headers& headers) {
  constexpr size_t kPairwiseUpTo = 32;
  if (headers.size() > kPairwiseUpTo) return false;  // the general path checks
  for (size_t i = 0; i < headers.size(); ++i) {
    for (size_t j = i + 1; j < headers.size(); ++j) {
      if (headers[i].first == headers[j].first) return false;
    }
  }
  return true;
}

// Header fields as a Dict name -> value; a repeated name gets its values joined as RFC 9110 says
// (", ", or "; " for cookie), except set-cookie, which must never be joined (RFC 9110 5.3: a
// cookie's value may hold ", "): repeated, it is a Q-expression of its values, as sent.
// With a shape, a message with the last one's names is made from it.
Value headers_dict(VM& vm, const net::Headers& headers, HeaderShape* shape = nullptr) {
  if (distinct_names(headers)) {
    if (shape) {
      if (Value d = shape->make(vm, headers); !d.is_undefined()) return d;
    }
    Value d = dict_empty(vm.heap());
    for (const auto& [n, v] : headers) d = dict_assoc(vm.heap(), d, str(vm, n), str(vm, v));
    return d;
  }
  std::unordered_map<std::string, std::vector<std::string>> merged;
  std::vector<const std::string*> order;
  for (const auto& [n, v] : headers) {
    auto [it, fresh] = merged.try_emplace(n);
    if (fresh) order.push_back(&it->first);
    it->second.push_back(v);
  }
  Heap& heap = vm.heap();
  Value d = dict_empty(heap);
  for (const std::string* n : order) {
    const std::vector<std::string>& values = merged[*n];
    Value value;
    if (values.size() > 1 && *n == "set-cookie") {
      value = Value::nil();
      for (size_t i = values.size(); i-- > 0;) value = make_cons(heap, str(vm, values[i]), value, true);
    } else {
      std::string joined = values[0];
      for (size_t i = 1; i < values.size(); ++i) joined += (*n == "cookie" ? "; " : ", ") + values[i];
      value = str(vm, joined);
    }
    d = dict_assoc(heap, d, str(vm, *n), value);
  }
  return d;
}

Value request_value(VM& vm, const net::Request& r) {
  const std::string* fields[] = {&r.method, &r.path,      &r.query,  &r.body,
                                 &r.remote, &r.authority, &r.scheme, &r.protocol};
  Value by_key[kRequestKeys];
  for (uint32_t k = 0; k < kHeaders; ++k) by_key[k] = str(vm, *fields[k]);
  by_key[kHeaders] = headers_dict(vm, r.headers, &net_state(vm).request_headers);
  by_key[kTrailers] = headers_dict(vm, r.trailers);
  return net_state(vm).request_shape.make(vm, kRequestKeyNames, kRequestKeys, by_key);
}

Value response_value(VM& vm, const net::ClientResponse& r, const std::string& what) {
  Value by_key[kResponseKeys];
  by_key[kStatus] = Value::fixnum(r.status);
  by_key[kResponseHeaders] = headers_dict(vm, r.headers, &net_state(vm).response_headers);
  by_key[kResponseBody] = str(vm, r.body);
  by_key[kResponseTrailers] = headers_dict(vm, r.trailers);
  Value d = net_state(vm).response_shape.make(vm, kResponseKeyNames, kResponseKeys, by_key);
  if (r.stream) {
    auto* ref = new ClientStreamRef;
    ref->body = r.stream;
    ref->what = what;
    d = dict_assoc(vm.heap(), d, str(vm, "stream"), make_handle(vm.heap(), ref));
  }
  return d;
}

// Reads a Dict of String -> String into header (or trailer: `kind`) fields, names lower-cased as
// HTTP/2 requires. A Q-expression of Strings is one field per String: set-cookie must be sent so,
// never combined into one (RFC 9110 5.3). Every field a Valk program sends (an answer's headers
// and trailers, whole or streamed, a request's) comes through here, so this is where a field that cannot be sent is
// refused (net::field_problem), and a block over kHttpMaxSentHeaderBytes, before either protocol
// writes it.
bool read_headers(Value d, net::Headers& out, std::string& problem, std::string_view kind = "header") {
  if (!is_dict(d)) {
    problem = std::string(kind) + "s must be a Dict, got " + type_name(d);
    return false;
  }
  bool ok = true;
  size_t bytes = 0;
  dict_for_each(d, [&](Value k, Value v) {
    if (!ok) return;
    if (!is_string(k)) {
      problem = std::string(kind) + " names must be Strings, got " + type_name(k);
      ok = false;
      return;
    }
    bool strings = is_string(v) || is_list(v);
    for (Value x = v; strings && is_cons(x); x = cdr(x)) strings = is_string(car(x));
    if (!strings) {
      problem = std::string(kind) + " " + readable_for_message(k) + " must be a String or a Q-expression of Strings, got " +
                type_name(v);
      ok = false;
      return;
    }
    std::string name(sv(k));
    for (char& c : name) c = char(std::tolower(static_cast<unsigned char>(c)));
    auto field = [&](Value value) {
      if (std::string_view why = net::field_problem(name, sv(value)); !why.empty()) {
        problem = std::string(kind) + " " + readable_for_message(k) + " " + std::string(why);
        ok = false;
        return;
      }
      bytes += name.size() + sv(value).size() + net::kFieldOverheadBytes;
      out.emplace_back(name, std::string(sv(value)));
    };
    if (is_string(v)) field(v);
    for (Value x = v; ok && is_cons(x); x = cdr(x)) field(car(x));
  });
  if (ok && bytes > limits::kHttpMaxSentHeaderBytes) {
    problem = std::string(kind) + "s are over " + std::to_string(limits::kHttpMaxSentHeaderBytes) +
              " bytes (" + std::to_string(bytes) + ", names and values and 32 a field)";
    ok = false;
  }
  return ok;
}

// A status a handler may answer with. 1xx are interim (RFC 9110 15.2): sent as the answer, an
// HTTP/1.1 client waits for the final one forever and an HTTP/2 peer resets the stream.
bool final_status(Value x) { return is_int(x) && int_value(x) >= 200 && int_value(x) <= 599; }

// What a handler returned, as a response: a String (200, text/plain) or a Dict with "status",
// "headers", "body" and "trailers", each optional.
bool to_response(Value v, net::Response& out, std::string& problem) {
  if (is_string(v)) {
    out.headers.emplace_back("content-type", "text/plain; charset=utf-8");
    out.body = std::string(sv(v));
    return true;
  }
  if (!is_dict(v)) {
    problem = std::string("the handler must return a String, a Dict or a Future of one, got ") + type_name(v);
    return false;
  }
  bool ok = true;
  dict_for_each(v, [&](Value k, Value x) {
    if (!ok) return;
    std::string_view key = is_string(k) ? sv(k) : std::string_view();
    if (key == "status") {
      if (!final_status(x)) {
        problem = "the response's status must be an Integer from 200 to 599, got " + readable_for_message(x);
        ok = false;
      } else {
        out.status = int(int_value(x));
      }
    } else if (key == "headers" || key == "trailers") {
      bool headers = key == "headers";
      ok = read_headers(x, headers ? out.headers : out.trailers, problem, headers ? "header" : "trailer");
      if (!ok) problem = "the response's " + problem;
    } else if (key == "body") {
      if (!is_string(x)) {
        problem = std::string("the response's body must be a String, got ") + type_name(x);
        ok = false;
      } else {
        out.body = std::string(sv(x));
      }
    } else {
      problem = "the response has an unknown key " + readable_for_message(k) +
                " (expected \"status\", \"headers\", \"body\", \"trailers\")";
      ok = false;
    }
  });
  return ok;
}

void answer_500(net::Responder& r) {
  net::Response resp;
  resp.status = 500;
  resp.headers.emplace_back("content-type", "text/plain; charset=utf-8");
  resp.body = kInternalError;
  r.respond(std::move(resp));
}

void log_handler_error(VM& vm, const std::string& what, const std::string& detail) {
  std::fflush(vm.out());
  std::fprintf(vm.err(), "http: handler failed for %s: %s\n", what.c_str(), detail.c_str());
  std::fflush(vm.err());
}

// Answers the request once `future` (the handler's fiber, or a future it returned) settles.
void answer_when_settled(VM& vm, const std::shared_ptr<ServerBox>& box, Value future, net::Responder r,
                         std::string what, std::shared_ptr<StreamState> stream) {
  RunningHandler running = RunningHandler::track(vm, box, future);
  // The answer handles the future's failure (it is logged), but is not someone waiting on it: a
  // future the handler answered with is cancelled by the stop only when no one else awaits it.
  vm.loop().on_settle(future, [&vm, r, what = std::move(what), stream, running](bool resolved, Value v) mutable {
    if (!running.settled(vm) && !resolved && (v.obj()->flags & errflag::kCancelled)) {
      log_handler_error(vm, what, "cancelled: the server stopped before it answered");
      return;
    }
    if (stream && stream->begun) {
      // A streamed answer has its headers out: an error can only cut the stream; a success ends
      // the body if the handler did not.
      if (!resolved) {
        log_handler_error(vm, what, vm.describe_error(v));
        stream->responder.reset();
      } else if (!stream->ended) {
        stream->ended = true;
        stream->responder.end();
      }
      return;
    }
    if (!resolved) {
      log_handler_error(vm, what, vm.describe_error(v));
      answer_500(r);
      return;
    }
    if (is_future(v)) {
      if (auto b = running.box.lock()) answer_when_settled(vm, b, v, std::move(r), std::move(what), std::move(stream));
      return;
    }
    net::Response resp;
    std::string problem;
    if (!to_response(v, resp, problem)) {
      log_handler_error(vm, what, problem);
      answer_500(r);
      return;
    }
    r.respond(std::move(resp));
  }, Loop::SettleRole::kHandlesFailure);
}

net::Handler valk_handler(VM& vm, std::weak_ptr<ServerBox> weak) {
  return [&vm, weak](net::Request&& req, net::Responder r) {
    auto box = weak.lock();
    if (!box) return;
    std::string what = req.method + " " + req.path;
    std::shared_ptr<StreamState> stream;
    Value args[] = {request_value(vm, req)};
    if (box->streaming) {
      stream = std::make_shared<StreamState>();
      stream->responder = r;
      stream->box = box;
      stream->head = req.method == "HEAD";
      auto* ref = new StreamRef;
      ref->st = stream;
      ref->what = what;
      Value handle = make_handle(vm.heap(), ref);
      args[0] = dict_assoc(vm.heap(), args[0], str(vm, "stream"), handle);
    }
    Value future = vm.loop().spawn(vm.loop().kept(box->handler), Args{args, 1});
    if (is_error(future)) {
      log_handler_error(vm, what, vm.describe_error(future));
      answer_500(r);
      return;
    }
    answer_when_settled(vm, box, future, std::move(r), std::move(what), std::move(stream));
  };
}

void default_page(net::Request&&, net::Responder r) {
  net::Response resp;
  resp.headers.emplace_back("content-type", "text/html");
  resp.body = kDefaultPage;
  r.respond(std::move(resp));
}

// ---- options ----------------------------------------------------------------------------------

// Calls f(key, value) for each entry of the options Dict; f returns an error message or "".
// Keys must be Strings. Returns undefined, or the Error to raise.
template <class F>
Value each_option(VM& vm, const char* fn, Value opts, F&& f) {
  std::string problem;
  dict_for_each(opts, [&](Value k, Value v) {
    if (!problem.empty()) return;
    if (!is_string(k)) {
      problem = std::string("option names must be Strings, got ") + type_name(k);
      return;
    }
    problem = f(sv(k), v);
  });
  if (problem.empty()) return Value::undefined();
  return vm.error(std::string(fn) + ": " + problem);
}

std::string want_string(std::string_view key, Value v, std::string& out) {
  if (!is_string(v)) return "option \"" + std::string(key) + "\" must be a String, got " + type_name(v);
  out = std::string(sv(v));
  return "";
}

// An Integer from min to max into out, or why not, showing the value (what is wrong with an
// Integer is its size, which its type name would not tell): "WHAT must be an Integer from ...".
template <class T>
std::string want_int(const std::string& what, Value v, int64_t min, int64_t max, T& out) {
  if (!is_int(v) || int_value(v) < min || int_value(v) > max) {
    return what + " must be an Integer from " + std::to_string(min) + " to " + std::to_string(max) + ", got " +
           readable_for_message(v);
  }
  out = T(int_value(v));
  return "";
}

template <class T>
std::string want_count(std::string_view key, Value v, int64_t min, int64_t max, T& out) {
  return want_int("option \"" + std::string(key) + "\"", v, min, max, out);
}

// Argument i (from 0), called `name`, as an Integer from min to max into out; else the error
// "FN: argument I (NAME) must be an Integer from MIN to MAX, got VALUE".
template <class T>
Value int_arg(VM& vm, const char* fn, Args a, uint32_t i, const char* name, int64_t min, int64_t max,
              T& out) {
  std::string why = want_int("argument " + std::to_string(i + 1) + " (" + name + ")", a[i], min, max, out);
  return why.empty() ? Value::undefined() : vm.error(std::string(fn) + ": " + why);
}

std::string unknown_option(std::string_view key) { return "unknown option \"" + std::string(key) + "\""; }

Value server_options(VM& vm, Value opts, net::ServerOptions& o, uint32_t& workers) {
  constexpr int64_t kMaxU32 = UINT32_MAX;
  return each_option(vm, "http/serve", opts, [&](std::string_view k, Value v) -> std::string {
    if (k == "host") return want_string(k, v, o.host);
    if (k == "port") return want_count(k, v, 0, kMaxPort, o.port);
    if (k == "cert") return want_string(k, v, o.tls.cert_file);
    if (k == "key") return want_string(k, v, o.tls.key_file);
    if (k == "client-ca") return want_string(k, v, o.tls.client_ca_file);
    if (k == "max-concurrent-streams") return want_count(k, v, 1, kMaxU32, o.max_concurrent_streams);
    if (k == "max-header-list-bytes") return want_count(k, v, 1, kMaxU32, o.max_header_list_bytes);
    if (k == "max-body-bytes") return want_count(k, v, 0, INT64_MAX, o.max_body_bytes);
    if (k == "idle-timeout-ms") return want_count(k, v, 1, kMaxU32, o.idle_timeout_ms);
    if (k == "header-timeout-ms") return want_count(k, v, 1, kMaxU32, o.header_timeout_ms);
    if (k == "write-timeout-ms") return want_count(k, v, 1, kMaxU32, o.write_timeout_ms);
    if (k == "workers") return want_count(k, v, 1, limits::kMaxWorkers, workers);
    if (k == "stream-body") return want_count(k, v, 0, 1, o.stream_bodies);
    return unknown_option(k);
  });
}

// ---- the server builtins ------------------------------------------------------------------------

Value server_handle(VM& vm, const std::shared_ptr<ServerBox>& box, int port) {
  auto* ref = new ServerRef;
  ref->box = box;
  ref->port = port;
  ref->host = box->host;
  return make_handle(vm.heap(), ref);
}

Value start_server(VM& vm, const char* fn, net::ServerOptions o, Value handler, std::string& error) {
  NetState& st = net_state(vm);
  auto box = std::make_shared<ServerBox>();
  box->host = o.host;
  box->streaming = o.stream_bodies;
  net::Handler h = default_page;
  if (!handler.is_undefined()) {
    box->handler = vm.loop().keep(handler);
    h = valk_handler(vm, box);
  }
  box->server = net::Server::start(vm.loop().uv(), o, std::move(h), error);
  if (!box->server) {
    if (box->handler != UINT32_MAX) vm.loop().release(box->handler);
    return Value::undefined();
  }
  box->server->after_input([&vm] { vm.loop().run_ready(); });
  st.servers.push_back(box);
  return server_handle(vm, box, box->server->port());
}

// In a worker isolate, when its group stops: a graceful stop of its servers (one, http/serve's).
void stop_worker_servers(VM& vm, uint32_t drain_ms, std::function<void()> stopped) {
  NetState& st = net_state(vm);
  auto left = std::make_shared<size_t>(st.servers.size());
  if (*left == 0) return stopped();
  for (auto& box : st.servers) {
    box->stopping = true;
    box->server->stop(drain_ms, [left, stopped] {
      if (--*left == 0) stopped();
    });
  }
}

// `workers N`: the handler and the globals it reaches cross to N isolates by marshal; each runs
// a server fed the connections of the group's one listening socket (o.host, o.port; 0: a free
// one). Returns the server Handle, or undefined with `error`.
Value start_workers(VM& vm, net::ServerOptions o, uint32_t n, Value handler, std::string& error) {
  std::string bundle, why;
  if (!marshal_value(vm, isolate_bundle(vm, handler), &bundle, &why)) {
    error = "the handler cannot cross to a worker isolate: " + why;
    return Value::undefined();
  }
  net::WorkerHooks hooks;
  hooks.start = [bundle = std::move(bundle), o](VM& w, uint32_t index, std::string& err) {
    Value fn = load_isolate_bundle(w, bundle);
    if (is_error(fn)) {
      err = "a worker isolate cannot load the handler: " + w.describe_error(fn);
      return false;
    }
    net::ServerOptions fed = o;
    fed.fed = true;
    NetState& st = net_state(w);
    st.worker = index + 1;
    if (start_server(w, "http/serve", fed, fn, err).is_undefined()) return false;
    st.fed = st.servers.back();
    return true;
  };
  hooks.adopt = [](VM& w, int fd) {
    std::shared_ptr<ServerBox> box = net_state(w).fed.lock();
    if (box && box->server) {
      box->server->adopt(fd);
    } else {
      ::close(fd);
    }
  };
  hooks.stop = stop_worker_servers;
  auto box = std::make_shared<ServerBox>();
  box->host = o.host;
  box->workers = net::WorkerGroup::start(vm, n, o.host, o.port, std::move(hooks), error);
  if (!box->workers) return Value::undefined();
  net_state(vm).servers.push_back(box);
  return server_handle(vm, box, box->workers->port());
}

// A lambda handler that cannot be called with the request alone: with more parameters every
// request would get a partial application back (a 500 naming a Function), with none an error.
Value handler_arity_error(VM& vm, Value handler) {
  if (!is_closure(handler)) return Value::undefined();
  const Proto* p = handler.as<Closure>()->proto.as<Proto>();
  bool variadic = p->pflags & protoflag::kVariadic;
  if (p->nrequired == 1 || (variadic && p->nrequired == 0)) return Value::undefined();
  return vm.error("http/serve: the handler must take one argument, the request; it takes " +
                  std::to_string(p->nrequired));
}

Value builtin_serve(VM& vm, Args a) {
  if (!is_dict(a[0])) return arg_error(vm, "http/serve", 0, "a Dict", a[0]);
  if (!is_function(a[1])) return arg_error(vm, "http/serve", 1, "a Function", a[1]);
  if (Value e = handler_arity_error(vm, a[1]); !e.is_undefined()) return e;
  net::ServerOptions o;
  uint32_t workers = 1;
  if (Value e = server_options(vm, a[0], o, workers); !e.is_undefined()) return e;
  if (o.tls.cert_file.empty() != o.tls.key_file.empty()) {
    return vm.error("http/serve: options \"cert\" and \"key\" go together");
  }
  // Without them the server would answer in cleartext, asking no one for a certificate.
  if (!o.tls.client_ca_file.empty() && o.tls.cert_file.empty()) {
    return vm.error("http/serve: option \"client-ca\" (mutual TLS) needs \"cert\" and \"key\"");
  }
  if (workers > 1 && vm.is_worker()) return vm.error("http/serve: workers above 1 inside a worker isolate");
  std::string error;
  Value server = workers > 1 ? start_workers(vm, o, workers, a[1], error)
                             : start_server(vm, "http/serve", o, a[1], error);
  if (server.is_undefined()) return vm.error("http/serve: " + error);
  return server;
}

ServerRef* server_arg(VM& vm, const char* fn, Args a, Value* error) {
  auto* ref = handle_ref<ServerRef>(a[0]);
  if (!ref) *error = arg_error(vm, fn, 0, "an HttpServer", a[0]);
  return ref;
}

Value builtin_port(VM& vm, Args a) {
  Value e;
  ServerRef* ref = server_arg(vm, "http/port", a, &e);
  return ref ? Value::fixnum(ref->port) : e;
}

Value builtin_stop(VM& vm, Args a) {
  Value e;
  ServerRef* ref = server_arg(vm, "http/stop", a, &e);
  if (!ref) return e;
  uint32_t drain = limits::kHttpDrainTimeoutMs;
  if (a.n == 2) {
    e = int_arg(vm, "http/stop", a, 1, "drain-ms", 0, UINT32_MAX, drain);
    if (!e.is_undefined()) return e;
  }
  Value future = vm.loop().make_future(false);
  auto box = ref->box.lock();
  if (!box || box->stopping) {  // stopped already: nothing to wait for
    vm.loop().settle(future, true, Value::empty_sexpr());
    return future;
  }
  box->stopping = true;
  uint32_t kept = vm.loop().keep(future);
  ServerBox* raw = box.get();
  auto done = [&vm, kept, raw] {
    Loop& loop = vm.loop();
    cancel_running(vm, *raw);
    loop.settle(loop.kept(kept), true, Value::empty_sexpr());
    loop.release(kept);
    forget_server(vm, raw);
  };
  if (box->workers) {
    box->workers->stop(drain, std::move(done));
  } else {
    box->server->stop(drain, std::move(done));
  }
  return future;
}

// ---- the client builtins ------------------------------------------------------------------------

// The client of this VM for these options (made once, its connections reused); null with error
// set when it cannot be made. The reference holds until the next client is made.
const std::shared_ptr<net::Client>& client_for(VM& vm, const net::ClientOptions& o, std::string& error) {
  static const std::shared_ptr<net::Client> none;
  NetState& st = net_state(vm);
  for (const auto& [options, client] : st.clients) {
    if (options == o) return client;
  }
  std::shared_ptr<net::Client> c = net::Client::make(vm.loop().uv(), o, error);
  if (!c) return none;
  return st.clients.emplace_back(o, std::move(c)).second;
}

// Sends r on client; returns the future of its response Dict, rejected with "FN: URL: error"
// ("FN: error" without a URL). The message is made only on an error.
// aio/cancel (or aio/timeout's time) resets it.
Value send_request(VM& vm, const std::shared_ptr<net::Client>& client, net::ClientRequest&& r, const char* fn,
                   std::string url) {
  Value future = vm.loop().make_future(false);
  uint32_t kept = vm.loop().keep(future);
  // What a streamed body's handle prints as; only a streamed response has one.
  std::string what = r.stream_body ? r.method + " " + r.scheme + "://" + r.host + ":" + std::to_string(r.port) + r.path : "";
  uint64_t id = client->request(std::move(r), [&vm, kept, fn, url = std::move(url), what](const std::string& error, net::ClientResponse&& resp) {
    Loop& loop = vm.loop();
    if (error.empty()) {
      loop.settle(loop.kept(kept), true, response_value(vm, resp, what));
    } else {
      loop.settle(loop.kept(kept), false, vm.error(std::string(fn) + ": " + (url.empty() ? "" : url + ": ") + error));
    }
    loop.release(kept);
  });
  // A client closed meanwhile has failed the request already.
  vm.loop().on_cancel(future, [weak = std::weak_ptr<net::Client>(client), id] {
    if (auto c = weak.lock()) c->cancel(id);
  });
  return future;
}

// A request body given by a Function ("body" (\ {} {...})): each call, in its own fiber, gives
// the next chunk (a String, or a Future of one), "" at the end. The Function is kept while the
// request may still ask for a chunk.
struct KeptBodyFn {
  VM* vm = nullptr;
  uint32_t slot = 0;
  KeptBodyFn() = default;
  KeptBodyFn(const KeptBodyFn&) = delete;
  KeptBodyFn& operator=(const KeptBodyFn&) = delete;
  ~KeptBodyFn() {
    if (vm) vm->loop().release(slot);
  }
};

std::string error_text(Value v) {
  if (is_error(v) && is_string(v.as<ErrorObj>()->message)) return std::string(sv(v.as<ErrorObj>()->message));
  return readable_for_message(v);
}

void give_when_settled(VM& vm, Value future, net::ClientRequest::ChunkGiver give) {
  vm.loop().on_settle(future, [&vm, give](bool resolved, Value v) {
    if (!resolved) return give(error_text(v), "");
    if (is_future(v)) return give_when_settled(vm, v, give);
    if (!is_string(v)) return give(std::string("the body function must return a String, got ") + type_name(v), "");
    give("", std::string(sv(v)));
  });
}

std::function<void(net::ClientRequest::ChunkGiver)> body_source(VM& vm, Value fn) {
  auto kept = std::make_shared<KeptBodyFn>();
  kept->vm = &vm;
  kept->slot = vm.loop().keep(fn);
  return [kept](net::ClientRequest::ChunkGiver give) {
    VM& vm = *kept->vm;
    Value future = vm.loop().spawn(vm.loop().kept(kept->slot), Args{nullptr, 0});
    if (is_error(future)) return give(error_text(future), "");
    give_when_settled(vm, future, std::move(give));
  };
}

// "http://host:port/path?q#f" -> scheme, host, port, path; else what is wrong with it. The
// scheme is matched in any case and the fragment is dropped: it is the client's alone, never
// sent (RFC 3986 3.1, 3.5).
std::string parse_url(std::string_view url, net::ClientRequest& r) {
  url = url.substr(0, url.find('#'));
  size_t colon = url.find("://");
  if (colon == std::string_view::npos) return "not an http:// or https:// URL";
  r.scheme = std::string(url.substr(0, colon));
  for (char& c : r.scheme) c = char(std::tolower(static_cast<unsigned char>(c)));
  if (r.scheme != "http" && r.scheme != "https") return "not an http:// or https:// URL";
  // Spaces and control bytes would end the request line (HTTP/1.1) or be reset by the peer
  // (HTTP/2): a URL has them percent-encoded.
  for (size_t i = 0; i < url.size(); ++i) {
    unsigned char c = static_cast<unsigned char>(url[i]);
    if (c <= ' ' || c == 0x7f) return "byte " + std::to_string(i) + " is a space or a control byte (percent-encode it: %20 for a space)";
  }
  std::string_view rest = url.substr(colon + 3);
  size_t slash = rest.find_first_of("/?");
  std::string_view authority = rest.substr(0, slash);
  std::string path = slash == std::string_view::npos ? "/" : std::string(rest.substr(slash));
  if (path[0] == '?') path = "/" + path;
  r.path = path;
  r.port = r.scheme == "https" ? 443 : 80;
  if (authority.find('@') != std::string_view::npos) return "a user name or password (user@host) is not supported";
  std::string_view host = authority;
  size_t port_at = std::string_view::npos;
  if (!authority.empty() && authority[0] == '[') {  // [::1]:8443
    size_t close = authority.find(']');
    if (close == std::string_view::npos) return "the host's [ is not closed";
    host = authority.substr(1, close - 1);
    if (close + 1 < authority.size()) {
      if (authority[close + 1] != ':') return "the host's ] is followed by neither : nor /";
      port_at = close + 2;
    }
  } else if (size_t c = authority.rfind(':'); c != std::string_view::npos) {
    host = authority.substr(0, c);
    port_at = c + 1;
  }
  if (port_at != std::string_view::npos) {
    std::string_view digits = authority.substr(port_at);
    int port = 0;
    bool number = !digits.empty() && digits.size() <= 5;
    for (char ch : digits) {
      number = number && ch >= '0' && ch <= '9';
      if (number) port = port * 10 + (ch - '0');
    }
    if (!number || port < 1 || port > kMaxPort) return "the port must be a number from 1 to " + std::to_string(kMaxPort);
    r.port = port;
  }
  if (host.empty()) return "it names no host";
  r.host = std::string(host);
  return "";
}

// What the peer would reset the stream for, found at the call instead (nghttp2's checks): a
// method that is no token, a content-length that is not the String body's.
std::string request_problem(VM& vm, const net::ClientRequest& r) {
  if (r.method.empty() || !nghttp2_check_method(reinterpret_cast<const uint8_t*>(r.method.data()), r.method.size())) {
    return "option \"method\" must be a method name (letters, digits and !#$%&'*+-.^_`|~), got " +
           readable_for_message(str(vm, r.method));
  }
  if (r.body_source) return "";
  for (const auto& [name, value] : r.headers) {
    if (name == "content-length" && value != std::to_string(r.body.size())) {
      return "header content-length is " + value + " but the body has " + std::to_string(r.body.size()) + " bytes";
    }
  }
  return "";
}

Value bad_url(VM& vm, const char* fn, Value url, const std::string& problem) {
  return vm.error(std::string(fn) + ": " + readable_for_message(url) + ": " + problem);
}

Value builtin_request(VM& vm, Args a) {
  const char* fn = "http/request";
  if (!is_dict(a[0])) return arg_error(vm, fn, 0, "a Dict", a[0]);
  net::ClientOptions o;
  net::ClientRequest r;
  Value url = Value::undefined();
  Value e = each_option(vm, fn, a[0], [&](std::string_view k, Value v) -> std::string {
    if (k == "url") {
      if (!is_string(v)) return "option \"url\" must be a String, got " + std::string(type_name(v));
      url = v;
      return "";
    }
    if (k == "method") return want_string(k, v, r.method);
    if (k == "body" && is_function(v)) {
      r.body_source = body_source(vm, v);
      return "";
    }
    if (k == "body" && !is_string(v)) return "option \"body\" must be a String or a Function, got " + std::string(type_name(v));
    if (k == "body") return want_string(k, v, r.body);
    if (k == "stream-body") return want_count(k, v, 0, 1, r.stream_body);
    if (k == "sni") return want_string(k, v, r.sni);
    if (k == "headers" || k == "trailers") {
      std::string problem;
      bool headers = k == "headers";
      return read_headers(v, headers ? r.headers : r.trailers, problem, headers ? "header" : "trailer")
                 ? ""
                 : "option \"" + std::string(k) + "\": " + problem;
    }
    if (k == "ca-file") return want_string(k, v, o.ca_file);
    if (k == "cert") return want_string(k, v, o.cert_file);
    if (k == "key") return want_string(k, v, o.key_file);
    if (k == "insecure") return want_count(k, v, 0, 1, o.insecure);
    if (k == "timeout-ms") return want_count(k, v, 1, int64_t(UINT32_MAX), o.request_timeout_ms);
    if (k == "connect-timeout-ms") return want_count(k, v, 1, int64_t(UINT32_MAX), o.connect_timeout_ms);
    return unknown_option(k);
  });
  if (!e.is_undefined()) return e;
  if (url.is_undefined()) return vm.error("http/request: option \"url\" is required");
  if (std::string problem = parse_url(sv(url), r); !problem.empty()) return bad_url(vm, fn, url, problem);
  if (o.cert_file.empty() != o.key_file.empty()) {
    return vm.error("http/request: options \"cert\" and \"key\" go together");
  }
  std::string problem = request_problem(vm, r);
  if (!problem.empty()) return vm.error("http/request: " + problem);
  std::string error;
  const auto& client = client_for(vm, o, error);
  if (!client) return vm.error("http/request: " + error);
  return send_request(vm, client, std::move(r), fn, std::string(sv(url)));
}

Value builtin_get(VM& vm, Args a) {
  if (!is_string(a[0])) return arg_error(vm, "http/get", 0, "a String", a[0]);
  net::ClientRequest r;
  if (std::string problem = parse_url(sv(a[0]), r); !problem.empty()) return bad_url(vm, "http/get", a[0], problem);
  std::string error;
  static const net::ClientOptions kDefaults;
  const auto& client = client_for(vm, kDefaults, error);
  if (!client) return vm.error("http/get: " + error);
  return send_request(vm, client, std::move(r), "http/get", std::string(sv(a[0])));
}

// ---- the original's http2/ builtins ---------------------------------------------------------------

Value check_aio(VM& vm, const char* fn, Value v) {
  return handle_ref<AioRef>(v) ? Value::undefined() : arg_error(vm, fn, 0, "the Aio system (aio)", v);
}

Value builtin_listen(VM& vm, Args a) {
  const char* fn = "http2/listen";
  if (Value e = check_aio(vm, fn, a[0]); !e.is_undefined()) return e;
  if (!is_string(a[1])) return arg_error(vm, fn, 1, "a String", a[1]);
  net::ServerOptions o;
  if (Value e = int_arg(vm, fn, a, 2, "port", 0, kMaxPort, o.port); !e.is_undefined()) return e;
  if (!is_string(a[3])) return arg_error(vm, fn, 3, "a String", a[3]);
  if (!is_string(a[4])) return arg_error(vm, fn, 4, "a String", a[4]);
  o.host = std::string(sv(a[1]));
  o.tls.key_file = std::string(sv(a[3]));
  o.tls.cert_file = std::string(sv(a[4]));
  std::string error;
  Value server = start_server(vm, fn, o, Value::undefined(), error);
  Value future = vm.loop().make_future(false);
  if (server.is_undefined()) {
    vm.loop().settle(future, false, vm.error("ERR: " + error));
  } else {
    vm.loop().settle(future, true, server);
  }
  return future;
}

Value builtin_connect(VM& vm, Args a) {
  const char* fn = "http2/connect";
  if (Value e = check_aio(vm, fn, a[0]); !e.is_undefined()) return e;
  if (!is_string(a[1])) return arg_error(vm, fn, 1, "a String", a[1]);
  int port = 0;
  if (Value e = int_arg(vm, fn, a, 2, "port", 1, kMaxPort, port); !e.is_undefined()) return e;
  if (a.n == 4 && !is_string(a[3])) return arg_error(vm, fn, 3, "a String", a[3]);
  net::ClientOptions o;
  o.insecure = true;  // as the original: no certificate check (docs/HTTP.md says so)
  std::string error;
  auto client = client_for(vm, o, error);
  if (!client) return vm.error(std::string(fn) + ": " + error);
  auto* ref = new ConnRef;
  ref->client = client;
  ref->host = std::string(sv(a[1]));
  ref->port = port;
  ref->sni = a.n == 4 ? std::string(sv(a[3])) : std::string();
  Value conn = make_handle(vm.heap(), ref);
  Value future = vm.loop().make_future(false);
  uint32_t kept_future = vm.loop().keep(future);
  uint32_t kept_conn = vm.loop().keep(conn);
  net::ClientRequest r;
  r.scheme = "https";
  r.host = ref->host;
  r.port = ref->port;
  r.sni = ref->sni;
  client->connect(std::move(r), [&vm, kept_future, kept_conn](const std::string& error) {
    Loop& loop = vm.loop();
    if (error.empty()) {
      loop.settle(loop.kept(kept_future), true, loop.kept(kept_conn));
    } else {
      loop.settle(loop.kept(kept_future), false, vm.error("ERR: " + error));
    }
    loop.release(kept_future);
    loop.release(kept_conn);
  });
  return future;
}

Value builtin_h2_request(VM& vm, Args a) {
  for (uint32_t i = 0; i < 4; ++i) {
    if (!is_string(a[i])) return arg_error(vm, "http2/request", i, "a String", a[i]);
  }
  auto* r = new RequestRef;
  r->method = std::string(sv(a[0]));
  r->scheme = std::string(sv(a[1]));
  r->authority = std::string(sv(a[2]));
  r->path = std::string(sv(a[3]));
  return make_handle(vm.heap(), r);
}

Value builtin_add_header(VM& vm, Args a) {
  const char* fn = "http2/request-add-header";
  auto* r = handle_ref<RequestRef>(a[0]);
  if (!r) return arg_error(vm, fn, 0, "an Http2Request", a[0]);
  if (!is_string(a[1])) return arg_error(vm, fn, 1, "a String", a[1]);
  if (!is_string(a[2])) return arg_error(vm, fn, 2, "a String", a[2]);
  std::string name(sv(a[1]));
  for (char& c : name) c = char(std::tolower(static_cast<unsigned char>(c)));
  if (std::string_view why = net::field_problem(name, sv(a[2])); !why.empty()) {
    return vm.error(std::string(fn) + ": header " + readable_for_message(a[1]) + " " + std::string(why));
  }
  r->headers.emplace_back(std::move(name), std::string(sv(a[2])));
  return Value::empty_sexpr();
}

Value builtin_send(VM& vm, Args a) {
  const char* fn = "http2/send";
  auto* r = handle_ref<RequestRef>(a[0]);
  if (!r) return arg_error(vm, fn, 0, "an Http2Request", a[0]);
  auto* c = handle_ref<ConnRef>(a[1]);
  if (!c) return arg_error(vm, fn, 1, "an Http2Client", a[1]);
  auto client = c->client.lock();
  if (!client) return vm.error("http2/send: the client is closed");
  net::ClientRequest req;
  req.method = r->method;
  req.scheme = "https";  // http2/connect's connection is TLS
  req.host = c->host;
  req.port = c->port;
  req.sni = c->sni;
  req.path = r->path;
  req.headers = r->headers;
  return send_request(vm, client, std::move(req), "ERR", "");
}

// The response Dict of http2/send or http/request.
Value response_arg(VM& vm, const char* fn, Value v, const char* field, Value* out) {
  Value got = is_dict(v) ? dict_get(v, make_string(vm.heap(), field)) : Value::undefined();
  if (got.is_undefined()) return arg_error(vm, fn, 0, "a response (the Dict of http2/send)", v);
  *out = got;
  return Value::undefined();
}

Value builtin_status(VM& vm, Args a) {
  Value s;
  if (Value e = response_arg(vm, "http2/response-status", a[0], "status", &s); !e.is_undefined()) return e;
  return make_string(vm.heap(), is_int(s) ? std::to_string(int_value(s)) : display(s));
}

Value builtin_body(VM& vm, Args a) {
  Value b;
  if (Value e = response_arg(vm, "http2/response-body", a[0], "body", &b); !e.is_undefined()) return e;
  return b;
}

// The original's form: a Q-expression of {name value} pairs.
Value builtin_headers(VM& vm, Args a) {
  Value h;
  if (Value e = response_arg(vm, "http2/response-headers", a[0], "headers", &h); !e.is_undefined()) return e;
  ListBuilder list(vm.heap(), true);
  if (is_dict(h)) {
    dict_for_each(h, [&](Value k, Value v) {
      Value pair[] = {k, v};
      list.push(make_list(vm.heap(), pair, true));
    });
  }
  return list.finish();
}

// ---- streamed bodies: http/read, http/respond, http/write, http/end ------------------------------

constexpr const char* kReadWaiting = "http/read: a read of this stream is already waiting";

// The HttpStream argument, or null with *err set.
StreamState* stream_arg(VM& vm, const char* fn, Value v, Value* err) {
  auto* ref = handle_ref<StreamRef>(v);
  if (!ref && handle_ref<ClientStreamRef>(v)) {
    *err = vm.error(std::string(fn) + ": a response's stream is only read (http/read)");
    return nullptr;
  }
  if (!ref) {
    *err = arg_error(vm, fn, 0, "an HttpStream (a request's \"stream\" with \"stream-body\" 1)", v);
    return nullptr;
  }
  return ref->st.get();
}

// The stream has gone (reset by the peer, connection closed, server stopped): every later call
// fails at once with "<fn>: stream reset" rather than waiting on a stream that will never move.
bool stream_gone(const StreamState& st) { return !st.responder.alive(); }

Value gone_error(VM& vm, const char* fn) { return vm.error(std::string(fn) + ": stream reset"); }

// A future settled later by an engine callback, through its kept slot: the settle does nothing
// once the server is gone.
struct LateFuture {
  VM* vm;
  uint32_t slot;
  std::weak_ptr<ServerBox> box;
  void settle(bool ok, Value v) const {
    if (box.expired()) return;
    Loop& loop = vm->loop();
    loop.settle(loop.kept(slot), ok, v);
    loop.release(slot);
  }
};

LateFuture late_future(VM& vm, StreamState& st, Value* future) {
  *future = vm.loop().make_future(false);
  return LateFuture{&vm, vm.loop().keep(*future), st.box};
}

// http/read of a response's "stream" (http/request with "stream-body" 1). The client outlives
// the read (NetState owns it; closing it fails the read with "client closed").
Value read_response(VM& vm, ClientStreamRef& ref) {
  if (ref.reading) return vm.error(kReadWaiting);
  Value future = vm.loop().make_future(false);
  uint32_t kept = vm.loop().keep(future);
  ref.reading = true;
  std::weak_ptr<net::ClientBody> weak = ref.body;
  ClientStreamRef* raw = &ref;
  ref.body->read([&vm, kept, weak, raw](const std::string& error, std::string chunk, net::Headers trailers) {
    if (weak.lock()) {  // the ref owns body: alive body, alive ref
      raw->reading = false;
      if (error.empty() && chunk.empty()) raw->end.reach(std::move(trailers));
    }
    Loop& loop = vm.loop();
    if (error.empty()) {
      loop.settle(loop.kept(kept), true, str(vm, chunk));
    } else {
      loop.settle(loop.kept(kept), false, vm.error("http/read: " + error));
    }
    loop.release(kept);
  });
  // Cancelled (or timed out): nothing is lost, the next read gets what arrives.
  vm.loop().on_cancel(future, [&vm, kept, weak, raw] {
    if (auto body = weak.lock()) {
      raw->reading = false;
      body->unread();
    }
    vm.loop().release(kept);
  });
  return future;
}

Value builtin_read(VM& vm, Args a) {
  const char* fn = "http/read";
  if (auto* ref = handle_ref<ClientStreamRef>(a[0])) return read_response(vm, *ref);
  Value err;
  StreamState* st = stream_arg(vm, fn, a[0], &err);
  if (!st) return err;
  if (st->reading) return vm.error(kReadWaiting);
  if (stream_gone(*st)) return gone_error(vm, fn);
  Value future;
  LateFuture late = late_future(vm, *st, &future);
  st->reading = true;
  std::weak_ptr<StreamState> weak = handle_ref<StreamRef>(a[0])->st;
  bool ok = st->responder.read([late, weak](const std::string& error, std::string chunk, net::Headers trailers) {
    if (auto s = weak.lock()) {
      s->reading = false;
      if (error.empty() && chunk.empty()) s->request_end.reach(std::move(trailers));
    }
    if (late.box.expired()) return;
    VM& vm = *late.vm;
    if (error.empty()) late.settle(true, str(vm, chunk));
    else late.settle(false, vm.error("http/read: " + error));
  });
  if (!ok) {
    st->reading = false;
    late.settle(false, gone_error(vm, fn));
    return future;
  }
  // Cancelled (or timed out): nothing is lost, the next read gets what arrives. The read's fn,
  // dropped, will never release the future's slot: this does (unless the stream went, whose
  // end ran the fn already).
  vm.loop().on_cancel(future, [late, weak, r = st->responder]() mutable {
    if (auto s = weak.lock()) s->reading = false;
    if (r.unread() && !late.box.expired()) late.vm->loop().release(late.slot);
  });
  return future;
}

// The content-length of a streamed answer with a body, checked: digits only, as RFC 9110 8.6 has it.
Value declared_length(VM& vm, StreamState& st, const net::Response& head) {
  if (st.head || !net::status_has_body(head.status)) return Value::undefined();
  for (const auto& [name, value] : head.headers) {
    if (name != "content-length") continue;
    uint64_t n = 0;
    auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), n);
    if (value.empty() || ec != std::errc() || end != value.data() + value.size()) {
      return vm.error("http/respond: content-length must be a number of bytes, got " +
                      readable_for_message(str(vm, value)));
    }
    st.length = n;
  }
  return Value::undefined();
}

Value builtin_respond(VM& vm, Args a) {
  const char* fn = "http/respond";
  Value err;
  StreamState* st = stream_arg(vm, fn, a[0], &err);
  if (!st) return err;
  net::Response head;
  if (Value e = int_arg(vm, fn, a, 1, "status", 200, 599, head.status); !e.is_undefined()) return e;
  std::string problem;
  if (a.n == 3 && !read_headers(a[2], head.headers, problem)) return vm.error("http/respond: " + problem);
  if (stream_gone(*st)) return gone_error(vm, fn);
  if (st->begun) return vm.error("http/respond: the answer has begun already");
  if (Value e = declared_length(vm, *st, head); !e.is_undefined()) return e;
  st->begun = true;
  if (!st->responder.begin(std::move(head))) return gone_error(vm, fn);
  return Value::nil();
}

Value builtin_write(VM& vm, Args a) {
  const char* fn = "http/write";
  Value err;
  StreamState* st = stream_arg(vm, fn, a[0], &err);
  if (!st) return err;
  if (!is_string(a[1])) return arg_error(vm, fn, 1, "a String", a[1]);
  if (st->ended) return vm.error("http/write: the body has ended (http/end)");
  if (stream_gone(*st)) return gone_error(vm, fn);
  if (!st->begun) return vm.error("http/write: call http/respond first");
  if (st->writing) return vm.error("http/write: a write of this stream is already waiting");
  uint64_t size = sv(a[1]).size();
  if (st->length && st->written + size > *st->length) {
    return vm.error("http/write: the body would pass its content-length (" + std::to_string(*st->length) +
                    " bytes) with " + std::to_string(st->written + size));
  }
  st->written += size;
  Value future;
  LateFuture late = late_future(vm, *st, &future);
  st->writing = true;
  std::weak_ptr<StreamState> weak = handle_ref<StreamRef>(a[0])->st;
  bool ok = st->responder.write(std::string(sv(a[1])), [late, weak](bool taken) {
    if (auto s = weak.lock()) s->writing = false;
    if (late.box.expired()) return;
    if (taken) late.settle(true, Value::nil());
    else late.settle(false, gone_error(*late.vm, "http/write"));
  });
  if (!ok) {
    st->writing = false;
    late.settle(false, gone_error(vm, fn));
  }
  return future;
}

Value builtin_end(VM& vm, Args a) {
  const char* fn = "http/end";
  Value err;
  StreamState* st = stream_arg(vm, fn, a[0], &err);
  if (!st) return err;
  if (st->ended) return Value::nil();
  if (stream_gone(*st)) return gone_error(vm, fn);
  if (!st->begun) return vm.error("http/end: call http/respond first");
  net::Headers trailers;
  std::string problem;
  if (a.n == 2 && !read_headers(a[1], trailers, problem, "trailer")) return vm.error("http/end: " + problem);
  st->ended = true;
  if (st->length && st->written < *st->length) {
    st->responder.reset();  // the peer learns the answer is cut short (HTTP/1.1: the connection closes)
    return vm.error("http/end: the body has " + std::to_string(st->written) + " of the " +
                    std::to_string(*st->length) + " bytes of its content-length");
  }
  if (!st->responder.end(std::move(trailers))) return gone_error(vm, fn);
  return Value::nil();
}

// http/trailers: a streamed body's trailer fields, once http/read has given its end.
Value builtin_trailers(VM& vm, Args a) {
  const char* fn = "http/trailers";
  const BodyEnd* end = nullptr;
  if (auto* ref = handle_ref<ClientStreamRef>(a[0])) end = &ref->end;
  if (auto* ref = handle_ref<StreamRef>(a[0])) end = &ref->st->request_end;
  if (!end) return arg_error(vm, fn, 0, "an HttpStream", a[0]);
  if (!end->reached) return vm.error("http/trailers: the body has not ended yet (read it until http/read gives \"\")");
  return headers_dict(vm, end->trailers);
}

Value builtin_worker(VM& vm, Args) {
  auto* st = static_cast<NetState*>(vm.loop().http_state());
  return Value::fixnum(st ? st->worker : 0);
}

const BuiltinInfo kNet[] = {
    {"http/serve", "opts handler",
     "Starts an HTTP server (HTTP/2 over TLS or h2c, and HTTP/1.1, on one port) and returns it. opts is a Dict: "
     "\"host\" (\"127.0.0.1\"), \"port\" (0: a free one, see http/port), \"cert\" and \"key\" (PEM files: TLS), "
     "\"client-ca\" (mutual TLS), and the limits of docs/HTTP.md. (handler request) runs in its own fiber per "
     "request; request is a Dict (\"method\" \"path\" \"query\" \"headers\" \"body\" \"trailers\" \"remote\" ...); it "
     "returns a String (200), a Dict (\"status\" \"headers\" \"body\" \"trailers\") or a Future of one. An error answers 500 and is logged. "
     "\"workers\" N (1) serves from N worker isolates on the one port; the handler and its globals cross by marshal.",
     2, 2, 0, 0, builtin_serve, nullptr},
    {"http/worker", "",
     "In a handler of a server with \"workers\" N: the number of the worker isolate running it, 1 to N; else 0.", 0,
     0, builtinflag::kCallBare, 0, builtin_worker, nullptr},
    {"http/read", "stream",
     "With \"stream-body\" 1: a Future of the next part of the request body (a String, \"\" at its end), or of "
     "the response body for a stream of http/request. The peer sends more only as the program reads. Once the stream is gone (reset, connection closed) it fails "
     "with \"http/read: stream reset\", as do http/respond, http/write and http/end.",
     1, 1, 0, 0, builtin_read, nullptr},
    {"http/respond", "stream status [headers]",
     "With \"stream-body\" 1: sends the answer's status and headers (a Dict) now; the body follows by http/write "
     "and http/end. Returns ().",
     2, 3, 0, 0, builtin_respond, nullptr},
    {"http/write", "stream chunk",
     "Adds a String to a streamed answer: a Future of () once the peer's window has room for more.", 2, 2, 0, 0,
     builtin_write, nullptr},
    {"http/end", "stream [trailers]",
     "Ends a streamed answer's body (also done when the handler returns), then sends trailers (a Dict) if given "
     "(HTTP/2; HTTP/1.1 when chunked). Returns ().",
     1, 2, 0, 0, builtin_end, nullptr},
    {"http/trailers", "stream",
     "The trailer fields (a Dict) of a streamed body, a request's or a response's, once http/read has given its "
     "end (\"\").",
     1, 1, 0, 0, builtin_trailers, nullptr},
    {"http/port", "server", "The port a server listens on (the one the system chose for port 0).", 1, 1, 0, 0,
     builtin_port, nullptr},
    {"http/stop", "server [drain-ms]",
     "Stops a server gracefully: no new connections, GOAWAY, in-flight requests get drain-ms (5000) to finish. "
     "Returns a Future resolved with () once every connection is closed.",
     1, 2, 0, 0, builtin_stop, nullptr},
    {"http/request", "opts",
     "Sends an HTTP/2 request; returns a Future of the response Dict (\"status\" \"headers\" \"body\" "
     "\"trailers\"). opts: \"url\" (required), \"method\", \"headers\" and \"trailers\" (Dicts), \"body\" (a String, or a Function "
     "of no arguments giving the next chunk, a String or a Future of one, \"\" at the end), \"sni\", \"ca-file\", "
     "\"cert\", \"key\", \"insecure\", \"timeout-ms\", \"connect-timeout-ms\", \"stream-body\" (1: the Future "
     "resolves when the headers arrive, and the body is read by chunks with http/read on the response's "
     "\"stream\"). TLS is verified by default.",
     1, 1, 0, 0, builtin_request, nullptr},
    {"http/get", "url", "(http/request [\"url\" url]): a Future of the response Dict.", 1, 1, 0, 0, builtin_get,
     nullptr},
    {"http2/listen", "aio host port key-file cert-file",
     "The original's server: a Future of a TLS server (ALPN h2) answering every request with a small HTML page.",
     5, 5, 0, 0, builtin_listen, nullptr},
    {"http2/connect", "aio host port [sni]",
     "The original's client: a Future of a connection to an HTTP/2 server over TLS. It does NOT verify the "
     "server's certificate (as the original); use http/request for a verified one.",
     3, 4, 0, 0, builtin_connect, nullptr},
    {"http2/request", "method scheme authority path", "A request for http2/send; add headers with "
     "http2/request-add-header.", 4, 4, 0, 0, builtin_h2_request, nullptr},
    {"http2/request-add-header", "req name value", "Adds a header to a request of http2/request. Returns ().", 3,
     3, 0, 0, builtin_add_header, nullptr},
    {"http2/send", "req client", "Sends a request on a connection of http2/connect: a Future of the response.", 2,
     2, 0, 0, builtin_send, nullptr},
    {"http2/response-status", "res", "The status of a response, as a String (\"200\").", 1, 1, 0, 0,
     builtin_status, nullptr},
    {"http2/response-body", "res", "The body of a response (a String).", 1, 1, 0, 0, builtin_body, nullptr},
    {"http2/response-headers", "res", "The headers of a response: a Q-expression of {name value} pairs.", 1, 1, 0,
     0, builtin_headers, nullptr},
};

}  // namespace

constinit const std::span<const BuiltinInfo> net_builtins{kNet};

}  // namespace valk
