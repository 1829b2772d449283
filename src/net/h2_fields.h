// h2_fields.h (internal): header fields as nghttp2 takes them, for the server's and the client's
// HEADERS frames alike, and the check every field a Valk program sends goes through first.
#pragma once

#include <nghttp2/nghttp2.h>

#include <string>
#include <string_view>
#include <vector>

#include "net/http.h"

namespace valk::net {

// RFC 9113 6.5.2: a field counts its name, its value and 32 bytes more.
inline constexpr size_t kFieldOverheadBytes = 32;

// One field; the strings must live until nghttp2 has copied them (it does in the submit call).
inline void add_nv(std::vector<nghttp2_nv>& nva, const std::string& n, const std::string& v) {
  nva.push_back({(uint8_t*)n.data(), (uint8_t*)v.data(), n.size(), v.size(), NGHTTP2_NV_FLAG_NONE});
}

inline std::vector<nghttp2_nv> nv_list(const Headers& fields) {
  std::vector<nghttp2_nv> nva;
  nva.reserve(fields.size());
  for (const auto& [n, v] : fields) add_nv(nva, n, v);
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
