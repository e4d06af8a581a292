// Helpers of the reliability suite: process resource probes (fds, RSS, heap, CPU time),
// sanitizer-aware scaling, the fault injector's reset guard, and a ping-pong prober that
// measures how quickly the service thread answers while hostile peers run.
#pragma once

#include "test_support.h"

#include "backends/posix/fault_injection.h"

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define ASYNCTCP_REL_SANITIZED 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
#define ASYNCTCP_REL_SANITIZED 1
#endif
#endif
#ifndef ASYNCTCP_REL_SANITIZED
#define ASYNCTCP_REL_SANITIZED 0
#endif

#if defined(__SANITIZE_ADDRESS__)
#define ASYNCTCP_REL_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define ASYNCTCP_REL_ASAN 1
#endif
#endif
#ifndef ASYNCTCP_REL_ASAN
#define ASYNCTCP_REL_ASAN 0
#endif

namespace rel {

using namespace std::chrono_literals;
using tst::Clock;
using tst::milliseconds;

constexpr bool kSanitized = ASYNCTCP_REL_SANITIZED != 0;
constexpr bool kAsan = ASYNCTCP_REL_ASAN != 0;

// Loop counts: sanitizers run code 3-15x slower, so the same test does less work there.
inline int scaled(int plain, int sanitized) {
  return kSanitized ? sanitized : plain;
}

// Round-trip bound for a ping-pong client while hostile peers run.
inline milliseconds latencyBound() {
  return kSanitized ? 600ms : 200ms;
}

// Attaches log to c, every delivery held with ackLater(): a client whose reading stops at the
// receive window.
void attachHolding(AsyncClient &c, tst::ClientLog &log);

size_t openFdCount();  // entries of /proc/self/fd (not counting the one used to list it)
size_t rssKiB();       // VmRSS of /proc/self/status
// Raises RLIMIT_NOFILE to at least `want` (the hard limit too, which root may);
// returns the soft limit in force afterwards.
size_t raiseFdLimitTo(size_t want);
size_t heapInUse();   // mallinfo2().uordblks: bytes malloc'd and not freed (0 under sanitizers)
double cpuSeconds();  // CPU time of the whole process (every thread)

// Runs one connection through the library so that its fixed descriptors (epoll, eventfd,
// spare fd) and buffers exist before a test takes its baseline.
void warmUp();

// One line per open TCP socket of this process: ports and kernel state (for failure messages).
std::string describeOpenSockets();

// Waits (bounded) until the process has no more descriptors open than `baseline`.
bool waitFdsAtMost(size_t baseline, milliseconds timeout = 5000ms);

// Resets the fault injector when a test ends, however it ends, and counts the faults
// injected since it was made (the injector's own counters never go back to zero).
class FaultGuard {
public:
  FaultGuard() {
    asynctcp::fault::reset();
    for (int c = 0; c < asynctcp::fault::kCallCount; ++c)
      _base[c] = asynctcp::fault::injected(asynctcp::fault::Call(c));
  }
  ~FaultGuard() { asynctcp::fault::reset(); }
  uint64_t injected(asynctcp::fault::Call call) const {
    return asynctcp::fault::injected(call) - _base[call];
  }
  std::string summary() const;  // "accept=N recv=N send=N connect=N socket=N"

private:
  uint64_t _base[asynctcp::fault::kCallCount] = {};
};

// A blocking raw client that sends a small message to an echo server and times the echo,
// over and over on its own thread, until stop().
class Pinger {
public:
  explicit Pinger(uint16_t echoPort, milliseconds pause = 5ms);
  ~Pinger();
  void stop();
  bool connected() const { return _connected.load(); }
  size_t rounds() const;
  int failures() const { return _failures.load(); }
  milliseconds maxRtt() const;
  milliseconds percentileRtt(double p) const;
  std::string describe() const;

private:
  void run(uint16_t port, milliseconds pause);
  std::atomic<bool> _stop{false};
  std::atomic<bool> _connected{false};
  std::atomic<int> _failures{0};
  mutable std::mutex _m;
  std::vector<double> _rttMs;
  std::thread _thread;
};

}  // namespace rel
