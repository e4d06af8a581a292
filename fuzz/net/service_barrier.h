// Waiting for the library's service thread to catch up, without sleeping. The backend's
// loop lets the core lock go before it waits for events (asynctcp::events::releaseForWait)
// and takes it back after (acquireAfterWait); the fuzzers wrap both at link time
// (-Wl,--wrap) to see where the loop is. A barrier wakes the loop and returns once a
// whole pass that began after the barrier was called has ended, callbacks included.
#pragma once

#include <cstdint>

namespace fuzz {

void serviceBarrier();  // not from the service thread

}  // namespace fuzz
