// socket_write.h: a connection's output written to its TCP stream, for the server's Connection
// and the client's ClientConn alike. What the socket takes at once is written directly
// (uv_try_write: no request, no completion callback, and no change to the poll set, which libuv
// makes after every completed uv_write); the rest goes through uv_write.
#pragma once

#include <uv.h>

#include <string>
#include <sys/types.h>

namespace valk::net {

// A uv_write in flight and the bytes it writes; `done` (write_out's) deletes it.
struct WriteReq {
  uv_write_t req;
  std::string data;
};

// Writes `out` (not empty) to `stream` and leaves it empty (keeping its capacity when the socket
// took everything at once). Returns the bytes handed to uv_write, whose callback `done` gets the
// WriteReq with req.data = owner; 0 when the socket took everything at once; -1 when the
// connection failed.
ssize_t write_out(uv_stream_t* stream, std::string& out, void* owner, uv_write_cb done);

}  // namespace valk::net
