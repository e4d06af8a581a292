// Host only (the io_uring backend): the Arduino IDE and PlatformIO compile every file under src/.
#if !defined(ESP_PLATFORM)

#include "backends/uring/ring_support.h"

#include <errno.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstring>

#include "backends/uring/buffer_ring.h"
#include "backends/uring/kernel_abi.h"

namespace asynctcp::backend::uring {

namespace {
constexpr unsigned kMinEntries = 64;
constexpr uint16_t kProbeGroup = 0;

// The flags the backend sets up its ring with, best first; the last is the 6.1 floor.
constexpr unsigned kFlagChoices[] = {
    IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN | IORING_SETUP_SUBMIT_ALL |
        IORING_SETUP_CQSIZE,
    IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN | IORING_SETUP_CQSIZE,
};

RingSupport refused(int err, const char *why) {
  RingSupport s;
  s.err = err < 0 ? -err : err;
  s.why = why;
  return s;
}

// Submits what is queued and waits for one completion; its result, or -errno.
int roundTrip(io_uring *ring, uint64_t tag, int *result, unsigned *flags) {
  if (int r = io_uring_submit_and_wait(ring, 1); r < 0)
    return r;
  io_uring_cqe *cqe;
  for (;;) {
    if (int r = io_uring_wait_cqe(ring, &cqe); r < 0)
      return r;
    const bool mine = cqe->user_data == tag;
    *result = cqe->res;
    *flags = cqe->flags;
    io_uring_cqe_seen(ring, cqe);
    if (mine)
      return 0;
  }
}

// A multishot receive from a provided buffer, the way the backend reads, of one byte;
// limited to 1 byte in all (limit 1), it must end with that byte. Returns the byte's
// completion flags, or -errno.
int tryMultishotRecv(io_uring *ring, uint32_t limit) {
  BufferRing buffers;
  if (int r = buffers.setUp(ring, kProbeGroup, 2, 64); r < 0)
    return r;
  int sv[2];
  if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0)
    return -errno;
  int ret = 0;
  const char byte = 'x';
  if (::send(sv[1], &byte, 1, MSG_NOSIGNAL) != 1) {
    ret = -errno;
  } else {
    io_uring_sqe *sqe = io_uring_get_sqe(ring);
    io_uring_prep_recv_multishot(sqe, sv[0], nullptr, 0, 0);
    sqe->flags |= IOSQE_BUFFER_SELECT;
    sqe->buf_group = kProbeGroup;
    if (limit)
      limitRecvMultishot(sqe, limit);
    sqe->user_data = 1;
    int res = 0;
    unsigned flags = 0;
    ret = roundTrip(ring, 1, &res, &flags);
    if (ret == 0 && res < 0)
      ret = res;
    else if (ret == 0 && (res != 1 || !(flags & IORING_CQE_F_BUFFER)))
      ret = -EOPNOTSUPP;
    else if (ret == 0)
      ret = int(flags & IORING_CQE_F_MORE);
    // The request ends once the socket does: shutdown makes it post res 0 without F_MORE.
    ::shutdown(sv[0], SHUT_RDWR);
    while ((flags & IORING_CQE_F_MORE) && roundTrip(ring, 1, &res, &flags) == 0) {
    }
  }
  ::close(sv[0]);
  ::close(sv[1]);
  return ret;
}

// SIOCOUTQ through the ring: 0 on a socket that has sent nothing.
bool trySocketCommand(io_uring *ring) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0)
    return false;
  io_uring_sqe *sqe = io_uring_get_sqe(ring);
  prepSocketCmd(sqe, fd, SOCKET_URING_OP_SIOCOUTQ);
  sqe->user_data = 2;
  int res = -1;
  unsigned flags = 0;
  const bool ok = roundTrip(ring, 2, &res, &flags) == 0 && res == 0;
  ::close(fd);
  return ok;
}
}  // namespace

int setUpRing(io_uring *ring, unsigned entries, unsigned cqFactor, unsigned *flagsTaken,
              unsigned extraFlags) {
  int r = -EINVAL;
  for (unsigned n = entries; n >= kMinEntries; n /= 2) {
    for (unsigned flags : kFlagChoices) {
      io_uring_params p;
      std::memset(&p, 0, sizeof p);
      p.flags = flags | extraFlags;
      p.cq_entries = n * cqFactor;
      r = io_uring_queue_init_params(n, ring, &p);
      if (r == 0) {
        if (flagsTaken)
          *flagsTaken = flags;
        return 0;
      }
      if (r != -EINVAL)
        break;  // not a flag the kernel lacks: the next choice would fail alike
    }
    if (r != -ENOMEM)
      return r;
  }
  return r;
}

RingSupport probeRing() {
  io_uring ring;
  unsigned flags = 0;
  if (int r = setUpRing(&ring, kMinEntries, 2, &flags); r < 0) {
    if (r == -EPERM || r == -EACCES)
      return refused(
          r, "io_uring refused to this process (kernel.io_uring_disabled, seccomp or an LSM)");
    if (r == -ENOSYS)
      return refused(r, "no io_uring in this kernel (or a seccomp filter hides it)");
    if (r == -EINVAL)
      return refused(r, "io_uring older than kernel 6.1 (no SINGLE_ISSUER/DEFER_TASKRUN)");
    return refused(r, "io_uring setup failed");
  }
  RingSupport s;
  io_uring_probe *ops = io_uring_get_probe_ring(&ring);
  const bool opsOk = ops && io_uring_opcode_supported(ops, IORING_OP_ACCEPT) &&
                     io_uring_opcode_supported(ops, IORING_OP_CONNECT) &&
                     io_uring_opcode_supported(ops, IORING_OP_RECV) &&
                     io_uring_opcode_supported(ops, IORING_OP_SEND) &&
                     io_uring_opcode_supported(ops, IORING_OP_SENDMSG) &&
                     io_uring_opcode_supported(ops, IORING_OP_POLL_ADD) &&
                     io_uring_opcode_supported(ops, IORING_OP_ASYNC_CANCEL);
  const bool haveCmd = ops && io_uring_opcode_supported(ops, IORING_OP_URING_CMD);
  if (ops)
    io_uring_free_probe(ops);
  if (!opsOk) {
    s = refused(EOPNOTSUPP, "io_uring lacks an operation the backend uses");
  } else if (int r = tryMultishotRecv(&ring, 0); r <= 0) {
    // Without F_MORE: not multishot (an old kernel reads once and ends).
    s = refused(r < 0 ? r : EOPNOTSUPP, "no multishot receive from provided buffers (kernel 6.0+)");
  } else {
    s.usable = true;
    s.setupFlags = flags;
    s.socketCommands = haveCmd && trySocketCommand(&ring);
    s.recvLimit = tryMultishotRecv(&ring, 1) == 0;  // ended by its limit (6.17; else -EINVAL)
  }
  io_uring_queue_exit(&ring);
  return s;
}

}  // namespace asynctcp::backend::uring

#endif  // !defined(ESP_PLATFORM)
