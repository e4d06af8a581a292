// The io_uring a raw benchmark server runs on, and the provided-buffer ring its multishot
// receives draw from. liburing 2.3 (Debian 12) lacks io_uring_setup_buf_ring (2.4), so the
// buffer ring is registered here against the kernel's ABI.
#pragma once

#include <liburing.h>

#include <cstdint>
#include <string>

#include "support/server_process.h"

namespace bench::uring {

// Each buffer is one read of kReadSize, like every peer's. The kernel takes them in ring order,
// so all of them circulate: fewer stay warmer in cache (echo_c64 measured 280 us/MB of server
// CPU with 256, 360 with 1,024), and 256 still covered pingpong_c1000's passes without ENOBUFS.
constexpr unsigned kBufCount = 256;  // a power of two, at most 32768
constexpr uint16_t kBufGroup = 0;

struct Ring {
  io_uring ring{};
  const char *flags = "";  // the setup flags the kernel accepted, for the probe's report
  unsigned sqEntries = 0, cqEntries = 0;
  io_uring_buf_ring *bufRing = nullptr;
  char *bufs = nullptr;  // kBufCount buffers of kReadSize, buffer id = index
};

// Sets up the ring (the fastest flags the kernel accepts) and the buffer ring with every
// buffer in it. Returns 0, or -errno with *why naming the step that failed.
int openRing(Ring *r, std::string *why);

inline char *bufferAt(const Ring &r, uint16_t bid) {
  return r.bufs + size_t(bid) * kReadSize;
}

}  // namespace bench::uring
