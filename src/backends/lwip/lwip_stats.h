// Counters of the lwIP backend's overload paths, read by tests so that a test of
// a path can check the path was taken (Debian's lwIP is built with LWIP_STATS 0).
// Relaxed atomics, bumped only when the path is taken. Not part of the public API.
#pragma once

#include <cstdint>

namespace asynctcp::backend::stats {

uint64_t rxRefused();       // recv callbacks answered ERR_MEM: the queue was full
uint32_t rxQueuedPeak();    // most received pbufs ever waiting for the service thread
uint64_t rxRedelivered();   // refused data the service thread asked lwIP to hand over again
uint64_t acceptsRefused();  // new connections aborted: the accept queue was full

}  // namespace asynctcp::backend::stats
