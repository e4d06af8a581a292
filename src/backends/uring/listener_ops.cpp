// A listener on the io_uring engine: one multishot accept, re-armed when it ends (the fd
// limit ends it: then the listener refuses one connection or pauses, as on epoll). A
// closed listener stops listening at once (shutdown) and is freed once its accept ended.
// Host only (the io_uring engine): the Arduino IDE and PlatformIO compile every file under src/.
#if !defined(ESP_PLATFORM)

#include <errno.h>
#include <sys/socket.h>
#include <unistd.h>

#include "backends/uring/engine.h"

namespace asynctcp::backend::uring {

void listenerComplete(Listener *l, Op op, int res, unsigned flags) {
  if (op == OpCancel) {
    --l->ops;
  } else if (op == OpAccept) {
    const bool more = flags & IORING_CQE_F_MORE;
    if (!more) {
      --l->ops;
      l->ring &= uint8_t(~kRecvArmed);
    }
    if (res >= 0) {
      if (l->owner)
        listenerAccepted(l, res, nullptr);  // may close the listener
      else
        ::close(res);
    } else if ((res == -EMFILE || res == -ENFILE) && l->owner) {
      listenerRefuse(l);  // refuses one with the spare fd, or pauses (unwatch)
    }
    if (more)
      return;
  }
  markDue(l);  // re-arm, or free once nothing is in flight
}

void listenerSync(Listener *l) {
  if (!l->owner) {
    if (l->ops == 0) {
      ::close(l->fd);
      loop().closedListeners.push_back(l);
    } else if (!(l->ring & kCancelAll)) {
      cancelAll(l);
    }
    return;
  }
  if ((l->ring & kWantIn) && !(l->ring & kRecvArmed)) {
    io_uring_sqe *sqe = getSqe();
    io_uring_prep_multishot_accept(sqe, l->fd, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
    io_uring_sqe_set_data64(sqe, tag(l, OpAccept));
    l->ring |= kRecvArmed;
    ++l->ops;
  }
}

void closeListener(Listener *l) {
  // The port is free from here on (a new listener may bind it at once); the accept in
  // flight ends with an error, and listenerSync() closes the fd once it has.
  ::shutdown(l->fd, SHUT_RDWR);
  l->ring &= uint8_t(~kWantIn);
  markDue(l);
}

}  // namespace asynctcp::backend::uring

#endif  // !defined(ESP_PLATFORM)
