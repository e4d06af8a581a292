// The stress run: three StressServers and, for its duration, at once: callback sessions kept
// at a fixed number in flight (this thread), two threads driving remote sessions, three
// threads of raw peers, and a chaos thread that end()s and begin()s the servers and close()s
// or abort()s callback sessions from outside. run() returns once every session has ended.
#pragma once

#include "stress/server.h"
#include "stress/session.h"
#include "stress/stats.h"

#include <chrono>
#include <memory>
#include <mutex>
#include <vector>

namespace stress {

// ASYNCTCP_STRESS_SECONDS, or a few seconds.
std::chrono::milliseconds stressDuration();

class Stress {
public:
  explicit Stress(std::chrono::milliseconds duration) : _duration(duration) {}

  void run();
  Stats stats;
  std::vector<std::shared_ptr<Session>> sessions;  // every AsyncClient session (main thread)
  std::vector<std::unique_ptr<StressServer>> servers;

private:
  uint16_t anyPort();  // a running server's port, 0 if none was found running
  bool running() const { return tst::Clock::now() < _deadline; }
  void startCallbackSession();
  void reapFinished();
  void deleteRest();
  void remoteLoop();
  void rawLoop();
  void chaosLoop();

  std::chrono::milliseconds _duration;
  tst::Clock::time_point _deadline;
  std::mutex _m;                                // guards _live and _remote
  std::vector<std::shared_ptr<Session>> _live;  // callback sessions not yet deleted
  std::vector<std::shared_ptr<Session>> _remote;
};

}  // namespace stress
