// c-ares's sockets on the io_uring engine: a one-shot poll for what c-ares wants, re-armed
// after each completion; a change of what it wants cancels the poll in flight. A socket
// c-ares let go of is freed once its poll completed (user_data points at it).
// Host only (the io_uring engine): the Arduino IDE and PlatformIO compile every file under src/.
#if !defined(ESP_PLATFORM)

#include <errno.h>
#include <poll.h>

#include "backends/uring/engine.h"

namespace asynctcp::backend::uring {

namespace {
uint8_t armedAs(uint8_t want) {
  return ((want & kWantIn) ? kRecvArmed : 0) | ((want & kWantOut) ? kSendBusy : 0);
}
}  // namespace

void dnsComplete(Pollable *p, Op op, int res) {
  --p->ops;
  if (op == OpPoll) {
    p->ring &= uint8_t(~(kPollArmed | kRecvArmed | kSendBusy | kRecvCancel));
    if (res > 0 && (p->ring & (kWantIn | kWantOut)))
      dnsHandleEvents(p, uint32_t(res));  // POLL* bits are EPOLL* bits
  }
  markDue(p);
}

void dnsSync(Pollable *p) {
  const uint8_t want = p->ring & (kWantIn | kWantOut);
  if (!want) {  // c-ares let go of it
    if (p->ops == 0)
      delete p;
    else if (!(p->ring & kRecvCancel)) {
      cancelOp(p, OpPoll);
      p->ring |= kRecvCancel;
    }
    return;
  }
  if (p->ring & kPollArmed) {
    if ((p->ring & (kRecvArmed | kSendBusy)) != armedAs(want) && !(p->ring & kRecvCancel)) {
      cancelOp(p, OpPoll);  // re-armed with the new mask on its completion
      p->ring |= kRecvCancel;
    }
    return;
  }
  io_uring_sqe *sqe = getSqe();
  io_uring_prep_poll_add(sqe, p->fd,
                         ((want & kWantIn) ? POLLIN : 0) | ((want & kWantOut) ? POLLOUT : 0));
  io_uring_sqe_set_data64(sqe, tag(p, OpPoll));
  p->ring |= kPollArmed | armedAs(want);
  ++p->ops;
}

}  // namespace asynctcp::backend::uring

#endif  // !defined(ESP_PLATFORM)
