// The load generator: one thread, one epoll set, none of the peers' code. Every connection
// first proves itself with one 64-byte echo (so each server has accepted and served it), then
// the workload runs. Every echoed byte is compared with what was sent.
//
// Exit codes: 0 done; 1 bad arguments; 2 connections could not be set up; 3 the server lost,
// corrupted or stalled data, or closed a connection; 4 the run produced no result.
#pragma once

#include <sys/types.h>
#include <cstddef>

#include <cstdint>
#include <string>
#include <vector>

namespace loadgen {

enum Exit { kOk = 0, kUsage = 1, kSetupFailed = 2, kBadEcho = 3, kNoResult = 4 };

struct Options {
  std::string mode;       // echo | churn | idle
  uint16_t port = 0;      // on 127.0.0.1
  int conns = 1;          // echo, idle: connections; churn: connections in flight at once
  size_t size = 64;       // echo: message size
  int window = 1;         // echo: messages in flight per connection
  double warmup = 0.5;    // seconds run before measuring
  double duration = 2.0;  // seconds measured
  double hold = 120;      // idle: longest wait for SIGTERM once ready
  int cpu = -1;           // pin to this CPU
  int serverPid = 0;      // when set, the server's CPU time over the measured window is reported
  bool tls = false;       // echo, idle: every connection speaks TLS (tls_io.cpp)
};

constexpr size_t kHelloSize = 64;

// Time on the monotonic clock.
uint64_t nowNs();

// CPU time (user + system, seconds) the process has used so far; -1 if unknown.
double processCpuSeconds(int pid);

// A non-blocking TCP socket with TCP_NODELAY, its connect to 127.0.0.1:port started.
// Returns -1 (errno set) when even that failed.
int startConnect(uint16_t port);

// The 64-byte greeting of connection `id`; the echo must equal it.
void helloFor(uint64_t id, char out[kHelloSize]);

// Opens n connections, at most `parallel` in setup at once, each proven with one echo of its
// greeting. On failure returns false with a reason and closes what it opened.
bool connectAll(const Options &o, int n, int parallel, std::vector<int> &fds, std::string &error);

// Connection I/O, TLS or not (tls_io.cpp): send/recv semantics (-1 with EAGAIN to wait, 0 at
// the peer's end). tlsHandshake(): 1 done (or no TLS), 0 to wait for the socket, -1 failed.
bool enableTls();
bool tlsEnabled();
int tlsHandshake(int fd);
ssize_t ioSend(int fd, const void *data, size_t len);
ssize_t ioRecv(int fd, void *buf, size_t len);
void ioClose(int fd);

int runEcho(const Options &o);
int runChurn(const Options &o);
int runIdle(const Options &o);

}  // namespace loadgen
