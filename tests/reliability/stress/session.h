// AsyncClient sessions: one client, one stream to a StressServer, and a way to end it. A
// callback session drives itself from its callbacks; a remote session is driven by a thread
// of its own (remote.h). Either way every callback is checked: none after delete or after
// onDisconnect, and every echoed byte is the byte that was sent.
#pragma once

#include "stress/stats.h"
#include "stress/stream.h"
#include "test_support.h"

#include <atomic>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace stress {

enum class ClientEnd : uint8_t {
  CloseWhenDone,   // close() in onData once everything came back
  DeleteWhenDone,  // delete in onData once everything came back
  CloseEarly,      // close() in onData part-way
  AbortEarly,      // abort() in onData part-way
  DeleteEarly,     // delete in onData part-way
  ChaosTarget,     // like CloseWhenDone, but the chaos thread may close()/abort() it first
};

struct Session {
  Stats *stats = nullptr;
  StreamSpec spec;
  ClientEnd end = ClientEnd::CloseWhenDone;
  uint64_t clientThreshold = 0;  // echoed bytes before an early end
  uint8_t flags = ASYNC_WRITE_FLAG_COPY;
  bool useWrite = false;
  bool remote = false;
  bool connectOk = false;
  AsyncClient *client = nullptr;  // guarded by `life` once other threads may use it
  std::mutex life;                // held by a non-service thread while it calls the client

  std::atomic<uint64_t> accepted{0}, received{0};
  std::atomic<int> connects{0}, disconnects{0}, late{0};
  std::atomic<bool> finished{false};  // onDisconnect ran, or the client was deleted
  std::atomic<bool> deleted{false};
  std::atomic<bool> chaosTouched{false};
  std::atomic<bool> corrupt{false};
  std::mutex m;
  std::vector<int> errors;  // guarded by m

  // Nobody ends this session early: all its bytes must come back (or it was never served).
  bool cleanPlan() const;
  std::vector<int> errorList();
  std::string describe();
};

// A session with a random stream, server mode, ending, write flags and add()/write() choice.
std::shared_ptr<Session> randomSession(Stats &stats, bool remote);

// Sets every callback of `c` to drive and check the session.
void attachSession(const std::shared_ptr<Session> &sp, AsyncClient *c);

}  // namespace stress
