// h2_fields.h (internal): header fields as nghttp2 takes them, for the server's and the client's
// HEADERS frames alike, the check every field a Valk program sends goes through first, and the
// connection-specific fields no answer or request of either protocol carries.
#pragma once

#include <nghttp2/nghttp2.h>
#include <strings.h>

#include <ctime>
#include <string>
#include <string_view>
#include <vector>

#include "net/http.h"

namespace valk::net {

// RFC 9113 6.5.2: a field counts its name, its value and 32 bytes more.
inline constexpr size_t kFieldOverheadBytes = 32;

// Whether a field describes one hop's connection (RFC 9110 7.6.1, RFC 9113 8.2.2): the engine
// owns the connection (HTTP/1.1 writes its own connection and transfer-encoding; HTTP/2 has
// neither), and an HTTP/2 peer takes a message with one as malformed (PROTOCOL_ERROR). So they
// are dropped, whoever gave them, from every header and trailer block either protocol sends.
// te is allowed as "trailers" alone (compared as nghttp2 does, ignoring case).
inline bool connection_specific(std::string_view name, std::string_view value) {
  static constexpr std::string_view kNames[] = {"connection", "keep-alive", "proxy-connection",
                                                "transfer-encoding", "upgrade"};
  for (std::string_view n : kNames) {
    if (name == n) return true;
  }
  return name == "te" && !(value.size() == 8 && strncasecmp(value.data(), "trailers", 8) == 0);
}

// The date field's value for an answer sent now, "Sun, 06 Nov 1994 08:49:37 GMT" (RFC 9110
// 5.6.7): every answer of a server with a clock carries one (RFC 9110 6.6.1), made once a second
// per thread (workers answer on their own).
inline const std::string& http_date() {
  thread_local std::string text;
  thread_local time_t made = -1;
  time_t now = time(nullptr);
  if (now != made) {
    struct tm t;
    gmtime_r(&now, &t);
    char buf[40];
    size_t n = strftime(buf, sizeof buf, "%a, %d %b %Y %H:%M:%S GMT", &t);
    text.assign(buf, n);
    made = now;
  }
  return text;
}

// One field; the strings must live until nghttp2 has copied them (it does in the submit call).
inline void add_nv(std::vector<nghttp2_nv>& nva, const std::string& n, const std::string& v) {
  nva.push_back({(uint8_t*)n.data(), (uint8_t*)v.data(), n.size(), v.size(), NGHTTP2_NV_FLAG_NONE});
}

// The fields that may go, as given: connection-specific ones are left out.
inline void add_fields(std::vector<nghttp2_nv>& nva, const Headers& fields) {
  for (const auto& [n, v] : fields) {
    if (!connection_specific(n, v)) add_nv(nva, n, v);
  }
}

inline std::vector<nghttp2_nv> nv_list(const Headers& fields) {
  std::vector<nghttp2_nv> nva;
  nva.reserve(fields.size());
  add_fields(nva, fields);
  return nva;
}

// Why a field cannot be sent, "" when it can; nghttp2's own checks, for HTTP/1.1 as for HTTP/2.
// HTTP/1.1 writes fields as they are, so a CR LF in a name or value would start a header (or a
// body) of the sender's choosing; HTTP/2 peers reset the stream. A name is lower-case token
// characters (RFC 9110 5.1, RFC 9113 8.2.1), never a pseudo-header (the engine writes those);
// a value has no CR, LF or NUL and no whitespace at either end (RFC 9110 5.5, RFC 9113 8.2.1).
inline std::string_view field_problem(std::string_view name, std::string_view value) {
  auto bytes = [](std::string_view s) { return reinterpret_cast<const uint8_t*>(s.data()); };
  if (name.empty() || name[0] == ':' || !nghttp2_check_header_name(bytes(name), name.size())) {
    return "is not a valid field name (lower-case letters, digits and !#$%&'*+-.^_`|~)";
  }
  if (!nghttp2_check_header_value_rfc9113(bytes(value), value.size())) {
    return "has a value with CR, LF or NUL, or whitespace at an end";
  }
  return "";
}

}  // namespace valk::net
