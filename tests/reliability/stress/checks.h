// What the stress test checks once the run is over, as gtest failures: every AsyncClient
// session and every server connection on its own, then the run as a whole.
#pragma once

#include "stress/server.h"
#include "stress/session.h"
#include "stress/stats.h"

#include <chrono>
#include <cstdint>
#include <memory>
#include <vector>

namespace stress {

// AsyncClient sessions that nobody ended early, and how they went.
struct CleanTally {
  uint64_t sessions = 0, completed = 0, unserved = 0;
};

// Each session: no late callback, no corrupt byte, onDisconnect exactly once unless it was
// deleted first; a clean session that was served got every byte back without an error.
CleanTally checkSessions(const std::vector<std::shared_ptr<Session>> &sessions);

// Ends the servers, waits for every connection they accepted to end and checks each: one
// onDisconnect (none if the server deleted it), no late callback, no corrupt byte.
void checkServerConnections(const std::vector<std::unique_ptr<StressServer>> &servers);

// Prints the run's numbers, reports the failures recorded while it ran, and checks the
// volume: a library that refuses or breaks most connections must not pass for "no data lost".
void checkRun(Stats &stats, const CleanTally &clean, std::chrono::milliseconds planned,
              double seconds);

}  // namespace stress
