// Whether this kernel gives the io_uring backend what it needs, found by trying it: a
// ring is set up the way the backend sets one up, and every feature it relies on makes
// a round trip. Version numbers say little (distributions backport, and io_uring can be
// refused per process: kernel.io_uring_disabled, seccomp filters such as Docker's
// default profile, LSMs), so nothing here reads `uname`.
#pragma once

#include <liburing.h>

#include <cstdint>

namespace asynctcp::backend::uring {

struct RingSupport {
  bool usable = false;          // everything the backend needs works
  int err = 0;                  // why not: the errno of the step that failed (0 if usable)
  const char *why = "";         // that step, in words
  unsigned setupFlags = 0;      // the IORING_SETUP_* flags the kernel took
  bool socketCommands = false;  // SIOCOUTQ as a ring operation (6.7): else ioctl()
  bool recvLimit = false;       // a multishot receive ends at a byte limit (6.17): else cancel
};

// Kernel 6.1 is the floor: multishot accept and receive, provided-buffer rings,
// DEFER_TASKRUN. Runs once per process (a few system calls and two sockets).
RingSupport probeRing();

// io_uring_queue_init_params() as the backend wants it: one issuer, completions run
// when the loop asks (DEFER_TASKRUN), a completion queue `cqFactor` times the SQ. Flags
// a kernel refuses (-EINVAL) are dropped down to what 6.1 must have; a ring the
// memlock limit refuses (-ENOMEM) is halved down to 64 entries. Returns 0 or -errno.
// extraFlags: added to every choice (IORING_SETUP_R_DISABLED: a ring made on one thread
// whose issuer is the thread that enables it).
int setUpRing(io_uring *ring, unsigned entries, unsigned cqFactor, unsigned *flagsTaken,
              unsigned extraFlags = 0);

}  // namespace asynctcp::backend::uring
