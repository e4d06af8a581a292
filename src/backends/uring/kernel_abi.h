// What the io_uring backend needs from the kernel's interface and Debian 12's liburing
// (2.3) does not name yet. Each value is the kernel's ABI (include/uapi/linux/io_uring.h),
// defined only where liburing's header lacks it: <linux/io_uring.h> cannot be included
// beside <liburing.h> to pick them up (one include guard for two versions of the file).
#pragma once

#include <liburing.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>

// Socket commands through IORING_OP_URING_CMD (kernel 6.7): the ioctls as ring operations.
#ifndef SOCKET_URING_OP_SIOCINQ
#define SOCKET_URING_OP_SIOCINQ 0
#define SOCKET_URING_OP_SIOCOUTQ 1
#endif

namespace asynctcp::backend::uring {

// A multishot receive that ends (a completion without IORING_CQE_F_MORE) once it has
// received `bytes` in all (kernel 6.17): the kernel reads `optlen`, which later releases'
// sqe puts where 2.3's has `file_index`. Older kernels refuse it with -EINVAL.
inline void limitRecvMultishot(io_uring_sqe *sqe, uint32_t bytes) {
  sqe->file_index = bytes;
}

// liburing 2.5's io_uring_prep_cmd_sock(), for the commands without arguments: the
// command goes where 2.3's sqe has `cmd_op` (the same bytes as later releases' field).
inline void prepSocketCmd(io_uring_sqe *sqe, int fd, uint32_t cmd) {
  io_uring_prep_rw(IORING_OP_URING_CMD, sqe, fd, nullptr, 0, 0);
  sqe->cmd_op = cmd;
}

// io_uring_enable_rings(), which 2.3's header declares and its library does not export:
// a ring set up with IORING_SETUP_R_DISABLED starts; with SINGLE_ISSUER, the calling thread
// becomes its one issuer. Returns 0 or -errno.
inline int enableRings(io_uring *ring) {
  long r = syscall(__NR_io_uring_register, ring->ring_fd, IORING_REGISTER_ENABLE_RINGS, nullptr, 0);
  return r < 0 ? -errno : 0;
}

}  // namespace asynctcp::backend::uring
