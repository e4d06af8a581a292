// Everything a benchmark server does besides networking, shared so that the only difference
// between two servers is the library under test: arguments, CPU pinning, the fd limit, the
// memory report, and a clean exit on SIGTERM.
#pragma once

#include <cstdint>

namespace bench {

// Every peer listens with AsyncTCP's own backlog, so a burst of connects meets the same queue.
constexpr int kListenBacklog = 1024;
// Every peer reads up to this much per read call (AsyncTCP's read buffer).
constexpr unsigned kReadSize = 64 * 1024;

struct ServerArgs {
  uint16_t port = 0;  // 0: an ephemeral port, announced on stdout
  int cpu = -1;       // pin the process to this CPU; -1: no pinning
  // The TLS rows (HTTP servers that speak TLS): --tls CERT KEY, PEM files.
  const char *tlsCert = nullptr;
  const char *tlsKey = nullptr;
  bool close = false;  // --close: each response says "Connection: close", then the server closes
};

// Parses --port N, --cpu N, --tls CERT KEY and --close; prints usage and exits on anything else.
ServerArgs parseServerArgs(int argc, char **argv);

// Call first in main(), before any other thread exists (threads inherit the signal mask and
// the affinity): pins to args.cpu, raises RLIMIT_NOFILE's soft limit to the hard one, ignores
// SIGPIPE, and starts a thread that owns SIGUSR1 (prints "mem rss_kb=N heap_bytes=N") and
// SIGTERM/SIGINT (exits 0). The event loop itself never sees a signal.
void startServerProcess(const ServerArgs &args);

// Tells the runner where to connect: prints "port N" and flushes.
void announcePort(uint16_t port);

// Blocks the calling thread forever (for servers whose loop runs on a thread of the library).
[[noreturn]] void waitForever();

}  // namespace bench
