// The stress run's tallies, shared by every thread, and the first few failures in detail
// (a failure is recorded where it is seen, on any thread, and reported by the test).
#pragma once

#include <atomic>
#include <cstdint>
#include <mutex>
#include <string>
#include <vector>

namespace stress {

struct Stats {
  std::atomic<uint64_t> callbackSessions{0}, remoteSessions{0}, rawSessions{0};
  std::atomic<uint64_t> established{0}, refusedOrUnserved{0};
  std::atomic<uint64_t> bytesAccepted{0}, bytesEchoed{0}, serverBytesIn{0};
  std::atomic<uint64_t> cleanSessions{0}, cleanCompleted{0};
  std::atomic<uint64_t> serverAccepted{0}, serverRestarts{0}, chaosCalls{0};
  std::atomic<uint64_t> clientErrors{0}, serverErrors{0};
  std::mutex m;
  std::vector<std::string> failures;  // the first few, with detail
  std::atomic<int> failureCount{0};

  void fail(const std::string &what) {
    failureCount++;
    std::lock_guard<std::mutex> lock(m);
    if (failures.size() < 20)
      failures.push_back(what);
  }
};

}  // namespace stress
