// Waiting for the library's service thread to catch up, without sleeping. The backend's
// loop lets the core lock go before it waits for events (asynctcp::events::releaseForWait)
// and takes it back after (acquireAfterWait); the fuzzers wrap both at link time
// (-Wl,--wrap) to see where the loop is. A barrier wakes the loop and returns once a
// whole pass that began after the barrier was called has ended, callbacks included.
//
// The loop's blocking call is wrapped too (epoll_pwait2/epoll_wait on posix, the
// notifier's pthread_cond_(timed)wait on lwIP), so that the fuzzer can tell when a pass
// would find nothing to do: the loop asleep in its wait, nothing ready for it (no epoll
// event; no notify since it began waiting), its timeout not up, the clocks not moved
// since. Settling then needs no hand-off to the service thread at all.
#pragma once

#include <cstdint>

namespace fuzz {

void serviceBarrier();  // not from the service thread
// True when a pass of the loop begun now would find nothing to handle (see above).
bool serviceIdle();
// serviceBarrier(), but nothing when serviceIdle(): the same guarantee, that whatever was
// ready for the loop when it was called has been handled.
void serviceBarrierUnlessIdle();

}  // namespace fuzz
