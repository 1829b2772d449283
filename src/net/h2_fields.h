// h2_fields.h (internal): header fields as nghttp2 takes them, for the server's and the client's
// HEADERS frames alike.
#pragma once

#include <nghttp2/nghttp2.h>

#include <string>
#include <vector>

#include "net/http.h"

namespace valk::net {

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

}  // namespace valk::net
