// sigpipe.h: the one place valk turns SIGPIPE off, shared by the network (net/) and the programs it
// feeds (aio/proc.cpp). Header-only so that the network core needs nothing else from aio.
#pragma once

#include <csignal>

namespace valk {

// A peer that goes away while we write (a client, a server, a program reading our stdin) makes the
// write fail with EPIPE and raise SIGPIPE, whose default action ends the process. Ignored process-
// wide, as Python and node do, from the first connection or stdin-fed program on: until then
// `valk x.valk | head` still ends quietly. The programs valk starts get every signal back at its
// default (aio/proc.cpp).
inline void ignore_sigpipe() { std::signal(SIGPIPE, SIG_IGN); }

}  // namespace valk
