// A listener on the io_uring engine: one multishot accept, re-armed when it ends (the fd
// limit ends it: then the listener refuses one connection or pauses, as on epoll). A
// closed listener stops listening at once (shutdown) and is freed once its accept ended.
// Host only (the io_uring engine): the Arduino IDE and PlatformIO compile every file under src/.
#if !defined(ESP_PLATFORM)

#include <errno.h>
#include <poll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include "backends/uring/engine.h"
#include "os/os.h"

namespace asynctcp::backend::uring {

namespace {
// io_uring's accept takes RLIMIT_NOFILE when it is submitted (io_accept_prep), so a
// multishot accept armed before the program lowered its limit would go on accepting past
// it. An fd at or above the soft limit as it is now is one accept4() would have refused:
// the lowest free fd is always the one given.
bool pastFdLimit(int fd) {
  rlimit lim{};
  return getrlimit(RLIMIT_NOFILE, &lim) == 0 && lim.rlim_cur != RLIM_INFINITY &&
         rlim_t(fd) >= lim.rlim_cur;
}
// The listener closed after the ring had accepted this connection: reset, as the kernel
// resets what waits in a closed listener's queue (epoll never accepts it at all). A
// plain close() would send a FIN, and the peer would take it for a served connection.
void resetAccepted(int fd) {
  linger lg{1, 0};
  setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
  ::close(fd);
}
}  // namespace

void listenerComplete(Listener *l, Op op, int res, unsigned flags) {
  if (op == OpCancel) {
    --l->ops;
  } else if (op == OpAccept) {
    const bool more = flags & IORING_CQE_F_MORE;
    if (!more) {
      --l->ops;
      l->ring &= uint8_t(~(kRecvArmed | kRecvCancel));
    }
    if (res >= 0 && pastFdLimit(res)) {
      ::close(res);  // refused, as accept4() would have refused it (EMFILE)
      if (more && !(l->ring & kRecvCancel)) {
        cancelOp(l, OpAccept);  // re-armed on its end: a new accept takes the new limit
        l->ring |= kRecvCancel;
      }
    } else if (res >= 0) {
      if (l->owner)
        listenerAccepted(l, res, nullptr);  // may close the listener
      else
        resetAccepted(res);
    } else if ((res == -EMFILE || res == -ENFILE) && l->owner) {
      // The ring's accept takes its fd before it looks for a connection: re-armed at the
      // limit it would fail at once, forever. So a poll waits for the next connection.
      listenerRefuse(l);  // refuses one with the spare fd, or pauses (unwatch)
      l->ring |= kWantOut;
    }
    if (more)
      return;
  } else if (op == OpPoll) {
    --l->ops;
    l->ring &= uint8_t(~(kPollArmed | kWantOut));  // a connection waits: try accepting
  }
  markDue(l);  // re-arm, or free once nothing is in flight
}

void listenerSync(Listener *l) {
  if (!l->owner) {
    if (l->fd >= 0) {
      ::close(l->fd);
      l->fd = -1;
    }
    if (l->ops == 0) {
      loop().closedListeners.push_back(l);
    } else if (!(l->ring & kCancelAll)) {
      cancelAll(l);
    }
    return;
  }
  if (!(l->ring & kWantIn) || (l->ring & (kRecvArmed | kPollArmed)))
    return;
  if (l->ring & kWantOut) {  // at the fd limit: wait for a connection first
    io_uring_sqe *sqe = getSqe();
    io_uring_prep_poll_add(sqe, l->fd, POLLIN);
    io_uring_sqe_set_data64(sqe, tag(l, OpPoll));
    l->ring |= kPollArmed;
    ++l->ops;
    return;
  }
  {
    io_uring_sqe *sqe = getSqe();
    io_uring_prep_multishot_accept(sqe, l->fd, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
    io_uring_sqe_set_data64(sqe, tag(l, OpAccept));
    l->ring |= kRecvArmed;
    ++l->ops;
  }
}

void closeListener(Listener *l) {
  // The port is free from here on (a new listener may bind it at once), and the accept in
  // flight, which holds the socket past close(), ends with an error; listenerSync() frees
  // the Listener once it has.
  ::shutdown(l->fd, SHUT_RDWR);
  if (os::onServiceThread()) {  // else listenerSync() closes it (see connection's destroy())
    ::close(l->fd);
    l->fd = -1;
  }
  l->ring &= uint8_t(~kWantIn);
  markDue(l);
}

}  // namespace asynctcp::backend::uring

#endif  // !defined(ESP_PLATFORM)
