// The fault injector's seam on the ring (test builds: ASYNCTCP_FAULT_INJECTION). The
// engine's sockets bypass the syscall seam (posix/syscalls.h), so the injector's accept,
// receive and send faults are made here, where the kernel would make them: a send fault
// takes the place of the SENDMSG before it is submitted; a receive or accept fault
// rewrites the completion that brought the data or the connection (fatal faults), or is
// reported just before it (EAGAIN, EINTR, ENOMEM on accept: the kernel's retry then
// succeeds). A release build compiles all of it away.
#pragma once

#include <liburing.h>

#include <cstdint>

#include "backends/posix/fault_injection.h"
#include "backends/posix/internal.h"

namespace asynctcp::backend::uring::faults {

using Dispatch = void (*)(uint64_t data, int res, unsigned flags);

#if defined(ASYNCTCP_FAULT_INJECTION)

inline bool armed() {
  return fault::detail::armed.load(std::memory_order_relaxed);
}
// Prep time: true if an injected error replaces this SENDMSG (its completion is queued
// here); otherwise a short-send rule may cut *m down to its first bytes.
bool sendReplaced(Conn *c, uint64_t data, msghdr *m);
// Completion time: receive and accept faults. Dispatches what it made up before the real
// completion, and may rewrite the real one.
void filter(uint64_t *data, int *res, unsigned *flags, Dispatch dispatch);
bool queued();                  // made-up completions wait: the loop must not block
void drain(Dispatch dispatch);  // dispatches them

#else

inline bool armed() {
  return false;
}
inline bool sendReplaced(Conn *, uint64_t, msghdr *) {
  return false;
}
inline void filter(uint64_t *, int *, unsigned *, Dispatch) {}
inline bool queued() {
  return false;
}
inline void drain(Dispatch) {}

#endif

}  // namespace asynctcp::backend::uring::faults
