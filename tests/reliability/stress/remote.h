// A session driven from a thread other than the service thread: write() from there, then
// close(), abort() or delete, as ESP32 code does from its own tasks.
#pragma once

#include "stress/session.h"

#include <cstdint>
#include <memory>

namespace stress {

// Connects to `port`, writes the stream from the calling thread (all of it, or stops part-way),
// ends the client and deletes it; returns once it is deleted.
void driveRemoteSession(Stats &stats, const std::shared_ptr<Session> &s, uint16_t port);

}  // namespace stress
