// The fault injector's seam on the ring: see ring_faults.h.
// Host only (the io_uring engine): the Arduino IDE and PlatformIO compile every file under src/.
#if !defined(ESP_PLATFORM) && defined(ASYNCTCP_FAULT_INJECTION)

#include "backends/uring/ring_faults.h"

#include <errno.h>
#include <sys/socket.h>

#include <algorithm>
#include <vector>

#include "backends/posix/syscalls.h"
#include "backends/uring/engine.h"

namespace asynctcp::backend::uring::faults {

namespace {
struct Made {
  uint64_t data;
  int res;
  unsigned flags;
};
// Service thread only, as the ring; built on first use (no dynamic initialiser).
std::vector<Made> &made() {
  static std::vector<Made> list;
  return list;
}

bool transient(int err) {
  return err == EAGAIN || err == EWOULDBLOCK || err == EINTR;
}
}  // namespace

bool sendReplaced(Conn *, uint64_t data, msghdr *m) {
  int err;
  if (fault::detail::take(fault::kSend, &err)) {
    made().push_back({data, -err, 0});
    return true;
  }
  if (m->msg_iovlen > 0) {
    const size_t cap = fault::detail::sendCap(SIZE_MAX);
    if (cap != SIZE_MAX) {  // a short write: the first cap bytes of the first buffer
      m->msg_iovlen = 1;
      m->msg_iov[0].iov_len = std::min(m->msg_iov[0].iov_len, cap);
    }
  }
  return false;
}

void filter(uint64_t *data, int *res, unsigned *flags, Dispatch dispatch) {
  const auto op = Op(*data & kOpMask);
  int err;
  if (op == OpRecv && *res > 0) {
    while (fault::detail::take(fault::kRecv, &err)) {
      if (transient(err)) {  // reported first; the receive goes on (F_MORE: still armed)
        dispatch(*data, -err, IORING_CQE_F_MORE);
        continue;
      }
      // The kernel would have failed the receive instead: its buffer goes back unread.
      if (*flags & IORING_CQE_F_BUFFER)
        U().buffers.giveBack(uint16_t(*flags >> IORING_CQE_BUFFER_SHIFT));
      *flags &= ~unsigned(IORING_CQE_F_BUFFER);
      *res = -err;
      return;
    }
  } else if (op == OpAccept && *res >= 0) {
    while (fault::detail::take(fault::kAccept, &err)) {
      if (err == EMFILE || err == ENFILE) {
        // The connection is the one the engine then refuses: it stays "in the queue"
        // for the spare-fd accept of listenerRefuse() (sys::acceptToRefuse).
        sys::parkAccepted(*res);
        *res = -err;
        return;
      }
      dispatch(*data, -err, IORING_CQE_F_MORE);  // ENOMEM, EINTR ...: the retry succeeded
    }
  }
}

bool queued() {
  return !made().empty();
}

void drain(Dispatch dispatch) {
  std::vector<Made> now;
  now.swap(made());  // a dispatch may make more: the next pass takes them
  for (const Made &m : now)
    dispatch(m.data, m.res, m.flags);
}

}  // namespace asynctcp::backend::uring::faults

#endif
