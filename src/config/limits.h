// limits.h: every build-time limit and default setting of the runtime, in one place.
// Each is named, says why it has the value it has, and is covered by a test named after it
// (tests/unit/config/limits_test.cpp and the Valk suites). Runtime settings are in docs/SETTINGS.md.
#pragma once

#include <cstddef>
#include <cstdint>

namespace valk::limits {

// Nesting of brackets the reader accepts, and nesting of code the compiler compiles. Both walk
// the form with C recursion (compiler) or an explicit stack (reader); past this depth they stop
// with a clean error instead of exhausting the C stack. Real code nests a few dozen levels.
inline constexpr int kMaxNesting = 1000;

// Calls that may be active at once on one fiber (non-tail recursion depth). Frames live on the
// heap, so this bounds memory (~100 bytes a frame), not the C stack. A 100,000-deep recursion
// must work; runaway recursion ends with the error "stack overflow".
inline constexpr uint32_t kMaxCallDepth = 1'000'000;

// Lines of the call chain an error keeps: runs of the same frame (recursion) become one line
// with a count; past this many lines the middle of the chain is replaced by a count.
inline constexpr size_t kMaxTraceLines = 24;
// Longest cycle of lines (mutual recursion, recursion through the prelude) folded into one count.
inline constexpr size_t kMaxTraceCycle = 8;

// Nested entries of C++ into the VM (host code calling Valk that calls host code ...). Builtins
// never re-enter the VM (they return continuation requests instead), so only embedders count.
inline constexpr int kMaxVmReentry = 200;

// Most worker isolates (threads, each with its own VM) a pool may have: VALK_WORKERS above it is
// refused with an error (aio/isolate.cpp); by default a pool has one worker per core.
inline constexpr uint32_t kMaxWorkers = 256;

// Longest file `load` or `valk FILE` will read, and longest REPL entry.
inline constexpr size_t kMaxSourceBytes = size_t(1) << 30;

// Columns and lines beyond these are reported as the largest value (positions are packed in
// 64 bits: 16 bits of file id, 24 of line, 24 of column). A minified or generated one-line
// program easily passes 65,535 columns, so columns get as many bits as lines.
inline constexpr uint32_t kMaxSourceFiles = (1u << 16) - 1;
inline constexpr uint32_t kMaxLine = (1u << 24) - 1;
inline constexpr uint32_t kMaxColumn = (1u << 24) - 1;
inline constexpr int kColumnBits = 24;
inline constexpr int kLineBits = 24;

// Initial sizes of the VM stacks; both grow by doubling up to what kMaxCallDepth needs.
inline constexpr size_t kInitialStackSlots = 4096;
inline constexpr size_t kInitialFrames = 256;

// Slots kept free above what a frame's code needs (its max_stack): room for a native builtin's
// pushes and for a call's callee, so that the room check is made once per frame, at its push.
inline constexpr uint32_t kStackSlack = 8;

// Initial sizes of a fiber's stacks (aio/spawn): small, since 100,000 may be alive at once; they
// grow by doubling like the main fiber's.
inline constexpr size_t kFiberStackSlots = 32;
inline constexpr uint32_t kFiberFrames = 8;
// Stacks of ended fibers (still at those starting sizes) kept for the next spawns, so that a
// spawn + await of a short fiber, or a server's fiber per request, allocates no C++ memory in
// the steady state; the rest are freed. 1024 (about 1 MB of stacks at most): a server loaded by
// 100 connections with 10 streams each has 1000 handler fibers alive after one turn of reads.
inline constexpr size_t kSpareFibers = 1024;

// Collector defaults (overridable by --heap-limit / VALK_HEAP_LIMIT and --nursery /
// VALK_NURSERY, see docs/SETTINGS.md).
inline constexpr size_t kDefaultNurseryBytes = size_t(2) << 20;       // fits in L2 on most machines
inline constexpr size_t kMinNurseryBytes = size_t(64) << 10;
// A VM's nursery starts this small and doubles (up to --nursery) after each minor collection that
// promotes more than 1/kNurseryGrowthShare of it (HeapConfig::nursery_start): small programs and
// those whose objects die young stay in 256 KB (resident memory), the others reach the full size.
inline constexpr size_t kInitialNurseryBytes = size_t(256) << 10;
inline constexpr size_t kNurseryGrowthShare = 8;
inline constexpr size_t kDefaultHeapLimitBytes = size_t(0);           // 0: no limit but the machine
inline constexpr size_t kMinOldSpaceTrigger = size_t(8) << 20;        // first major collection
inline constexpr double kOldSpaceGrowthFactor = 2.0;                  // next major at live * this

// Under GC stress (collect at every safe point) a collection is a major one once this many bytes,
// or as many as were live after the last collection if more, were allocated since the last major
// one; the others are minor. (A major collection walks all live data and the whole stack: any
// fixed count would make stress runs of deep recursion quadratic.)
inline constexpr uint64_t kStressMajorBytes = uint64_t(256) << 10;

// Objects at least this large skip the slabs and are allocated on their own.
inline constexpr size_t kLargeObjectBytes = 2048;

// Size of one slab page of the old space.
inline constexpr size_t kSlabPageBytes = size_t(64) << 10;

// Watched symbols (builtins and prelude functions the compiler inlines or runs natively) fit in
// one 64-bit mask.
inline constexpr int kMaxWatchedSymbols = 64;

// Largest width or precision a str/format directive may ask for (`%99999999d` would otherwise
// ask for gigabytes from a typo or hostile format); far above any column layout.
inline constexpr uint32_t kMaxFormatWidth = 65536;

// Compiled regular expressions kept per thread (re/ builtins), least recently used dropped first.
// Programs use a handful of patterns; the bound keeps patterns built from data from growing the
// cache without end.
inline constexpr size_t kRegexCacheEntries = 256;

// Largest stack the PCRE2 JIT may grow to on one thread (its default is 32 KB, which a nested
// group over a few thousand characters exhausts). Backtracking itself is bounded by PCRE2's
// match limit (10 million steps).
inline constexpr size_t kRegexJitStackBytes = size_t(8) << 20;

// Nesting of arrays and objects json/decode accepts and json/encode writes. Both recurse in C++,
// so the bound keeps the C stack safe; simdjson's own default is the same, and real documents
// nest a few dozen levels.
inline constexpr uint32_t kJsonMaxDepth = 1024;

// Characters of a value an error message shows (value/print.h, readable_for_message): a longer
// value is cut there and followed by "…" and its printed size, so that a 100 KB key given to
// `get` makes a one-line message, not a 100 KB one. 60 shows any name, number or short list whole.
inline constexpr size_t kMessageValueChars = 60;
// The cells of a lambda's body that unmarshal compiles, counting shared parts once per use (as
// the compiler walks them): a few bytes of input can share a list into an exponential tree.
inline constexpr uint64_t kMaxUnmarshalCodeCells = uint64_t(1) << 22;

// Largest chunk fs/read-chunk reads at once: the buffer is allocated before the read, so a typo
// (or a hostile size) must not ask for gigabytes; whole files go through fs/read instead.
inline constexpr size_t kFsMaxChunkBytes = size_t(64) << 20;
// Longest line fs/read-line returns: a file without newlines (or /dev/zero) must end in an error,
// not in a buffer that grows until memory is gone.
inline constexpr size_t kFsMaxLineBytes = size_t(64) << 20;

// Width the test module pads test names to (the original's layout).
inline constexpr int kTestNameWidth = 97;

// HTTP engine (src/net, docs/HTTP.md): defaults of net::ServerOptions, each overridable per server.
// Streams one HTTP/2 connection may have open at once; advertised in SETTINGS, the peer's extra
// streams are refused (REFUSED_STREAM). nghttpd and h2o default to 100 as well.
inline constexpr uint32_t kHttpMaxConcurrentStreams = 100;
// Connections the kernel queues on a listening socket before the server accepts them (listen(2)'s
// backlog; the kernel caps it at net.core.somaxconn).
inline constexpr int kHttpListenBacklog = 511;
// http/serve's workers: how long the acceptor waits before accepting again when the process is
// out of file descriptors (a pending connection keeps the socket readable: no spinning).
inline constexpr int kAcceptRetryMs = 50;
// Bytes of one request's header list (names + values + 32 each, as RFC 9113 counts them);
// advertised in SETTINGS; past it HTTP/2 answers 431 and HTTP/1.1 answers 431 and closes.
inline constexpr uint32_t kHttpMaxHeaderListBytes = 64 << 10;
// Bytes of one header (or trailer) block a Valk program sends, answer or request, counted the
// same way. nghttp2 will not encode a block whose HPACK bound passes 64 KiB (its
// max_send_header_block_length) and leaves the stream hanging; this stays under it with room for
// the fields the engine adds (:status, content-length), so both protocols refuse the same answers.
inline constexpr size_t kHttpMaxSentHeaderBytes = 60 << 10;
// Bytes of one request body held for the handler; past it the answer is 413.
inline constexpr size_t kHttpMaxBodyBytes = size_t(16) << 20;
// A connection with no open stream and no traffic for this long is closed (GOAWAY first).
inline constexpr uint32_t kHttpIdleTimeoutMs = 60'000;
// A request whose headers are not complete this long after they began (or a connection that
// sent nothing this long after it opened) is closed: the slowloris defence.
inline constexpr uint32_t kHttpHeaderTimeoutMs = 10'000;
// Pending output that makes no progress for this long (a peer that stopped reading) closes.
inline constexpr uint32_t kHttpWriteTimeoutMs = 30'000;
// Graceful stop: in-flight streams get this long to finish after GOAWAY, then are cut.
inline constexpr uint32_t kHttpDrainTimeoutMs = 5'000;
// Above this many bytes of unsent output a connection stops reading from its peer (so a peer
// that floods without reading, PING floods included, cannot grow our memory without bound).
inline constexpr size_t kHttpWriteHighWaterBytes = size_t(256) << 10;
// Rounds of produce-and-write one flush makes while the socket takes each round's output at once
// (a large or streamed answer); then the rest waits for the loop's next turn, so that other
// connections get theirs.
inline constexpr uint32_t kHttpSyncWriteRounds = 4;
// Receive window of each HTTP/2 stream (SETTINGS_INITIAL_WINDOW_SIZE) and of the connection:
// large enough that an upload over loopback is not stalled by round trips.
inline constexpr int32_t kHttpStreamWindowBytes = 256 << 10;
inline constexpr int32_t kHttpConnectionWindowBytes = 1 << 20;
// Streamed bodies: one read gives at most this much of a request body; a streamed answer's
// write is taken (its future resolves) while less than the buffer waits for the peer's window.
inline constexpr size_t kHttpStreamChunkBytes = size_t(64) << 10;
inline constexpr size_t kHttpStreamBufferBytes = size_t(256) << 10;
// A connection the server is done with sends its FIN, then reads and drops what the peer still
// sends for at most this long before closing: closing with unread input makes the kernel send a
// reset, which can destroy the answer (a 413 to an upload still arriving) before the peer reads it.
inline constexpr uint32_t kHttpLingerMs = 2000;
// A streamed HTTP/1.1 upload has no window: the socket stops being read while more than this
// waits unread by the handler (plus at most one socket read, 64 KiB), and resumes as it reads.
inline constexpr size_t kHttpH1UnreadBodyBytes = size_t(256) << 10;
// Client (net::ClientOptions): a connection (TCP and TLS handshake) not up by then fails its
// requests; a request without its complete response by then fails (its stream is reset).
inline constexpr uint32_t kHttpConnectTimeoutMs = 10'000;
inline constexpr uint32_t kHttpRequestTimeoutMs = 30'000;
// A request refused by a GOAWAY (never processed by the peer) is sent again on a new connection
// at most this many times.
inline constexpr int kHttpClientRetries = 2;
// A request body given by a Function is kept while the peer may still refuse its stream
// unprocessed, so that it can go again; past this many bytes it is not kept (and such a request,
// if refused, fails instead).
inline constexpr size_t kHttpClientReplayBytes = size_t(1) << 20;

}  // namespace valk::limits
