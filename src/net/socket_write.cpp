// socket_write.cpp: see socket_write.h.
#include "net/socket_write.h"

namespace valk::net {

ssize_t write_out(uv_stream_t* stream, std::string& out, void* owner, uv_write_cb done) {
  uv_buf_t b = uv_buf_init(out.data(), unsigned(out.size()));
  int n = uv_try_write(stream, &b, 1);  // UV_EAGAIN while an earlier uv_write still waits
  if (n < 0 && n != UV_EAGAIN) return -1;
  size_t taken = n > 0 ? size_t(n) : 0;
  if (taken == out.size()) {
    out.clear();
    return 0;
  }
  auto* w = new WriteReq;
  if (taken == 0) {
    w->data.swap(out);
  } else {
    w->data.assign(out, taken);
    out.clear();
  }
  w->req.data = owner;
  ssize_t queued = ssize_t(w->data.size());
  uv_buf_t rest = uv_buf_init(w->data.data(), unsigned(w->data.size()));
  if (uv_write(&w->req, stream, &rest, 1, done) != 0) {
    delete w;
    return -1;
  }
  return queued;
}

}  // namespace valk::net
