// AsyncClients of the server's own process, driven from threads other than the service
// thread: write() from the thread; close(), abort() or delete from the thread part-way or
// after the echo; or close() or delete from their own callbacks. Each checks its echo byte by
// byte and how it ended: one onDisconnect unless deleted first, no callback after either.
#pragma once

#include <AsyncTCP.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <mutex>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "error_kinds.h"

namespace scale {

enum ProbeCounter : int {
  kProbeStarted,
  kProbeConnected,
  kProbeEchoed,
  kProbeBytesSent,
  kProbeBytesEchoed,
  kProbeCloseAfterEcho,
  kProbeDeleteAfterEcho,
  kProbeDeleteMidway,
  kProbeAbortMidway,
  kProbeCloseInCallback,
  kProbeDeleteInCallback,
  kProbeErrors,
  // Failures: each must stay 0.
  kProbeConnectFailed,
  kProbeLost,
  kProbeCorrupt,
  kProbeLate,
  kProbeDoubleEnd,
  kProbeNoEnd,
  kProbeCounterCount
};
constexpr ProbeCounter kFirstProbeFailure = kProbeConnectFailed;
const char *probeCounterName(ProbeCounter k);

struct ProbeCounts {
  uint64_t c[kProbeCounterCount] = {};
  uint64_t errors[kErrorKinds] = {};  // onError by kind (errorSlot)
  uint64_t operator[](ProbeCounter k) const { return c[k]; }
};

class CrossThreadClients {
public:
  // patience: how long a client waits for its connect, its echo or its end before that
  // counts as a failure.
  CrossThreadClients(const IPAddress &server, uint16_t port, int threads, uint32_t idBase,
                     std::chrono::seconds patience = std::chrono::seconds(30));
  ~CrossThreadClients() { stop(); }
  void stop();  // lets each thread finish its client, then joins
  ProbeCounts counts() const;
  std::vector<std::string> failureDetails();

  struct Probe;
  void bump(ProbeCounter k, uint64_t n = 1) { _c[k].fetch_add(n, std::memory_order_relaxed); }
  void noteError(int err) { _errors[errorSlot(err)].fetch_add(1, std::memory_order_relaxed); }
  void fail(const std::string &what);

private:
  void loop(int thread);
  void runOne(uint32_t id, std::mt19937_64 &rng);
  uint64_t writeFromThread(Probe &p, AsyncClient *c, uint64_t upTo, std::mt19937_64 &rng);

  IPAddress _ip;
  uint16_t _port;
  std::chrono::seconds _patience;
  std::atomic<bool> _stop{false};
  std::atomic<uint32_t> _nextId;
  std::vector<std::thread> _threads;
  std::atomic<uint64_t> _c[kProbeCounterCount] = {};
  std::atomic<uint64_t> _errors[kErrorKinds] = {};
  std::mutex _failM;
  std::vector<std::string> _failures;
};

}  // namespace scale
