// A connection on the io_uring engine: a multishot receive from the shared buffer ring,
// at most one SENDMSG in flight over the send queue (two in flight could reorder bytes),
// the connect's POLLOUT poll, and the cancels that end them. The Conn and its fd live
// until its last operation completed (Pollable::ops): user_data points at it.
// Host only (the io_uring engine): the Arduino IDE and PlatformIO compile every file under src/.
#if !defined(ESP_PLATFORM)

#include <errno.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <linux/net_tstamp.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>

#include "backends/posix/ack_tracker.h"
#include "backends/uring/engine.h"
#include "backends/uring/kernel_abi.h"
#include "backends/uring/ring_faults.h"

namespace asynctcp::backend::uring {

namespace {
constexpr int kMaxIov = 64;
// The SENDMSG's header, ack-notice cmsg and iovecs, in one block per Tx: room for a few
// iovecs at first (what a request-response connection needs; the Tx pool keeps only such
// small blocks), for kMaxIov once the queue grows.
constexpr size_t kControlSpace = CMSG_SPACE(sizeof(uint32_t));
constexpr size_t kControlOffset = (sizeof(msghdr) + 15) & ~size_t(15);
constexpr size_t kIovOffset = (kControlOffset + kControlSpace + 15) & ~size_t(15);
constexpr uint8_t kFewIov = 4;

msghdr *msgBlock(Tx *tx, size_t chunks) {
  if (chunks > tx->ringIovs) {
    const uint8_t want = chunks <= kFewIov ? kFewIov : uint8_t(kMaxIov);
    std::free(tx->ringMsg);
    tx->ringMsg = static_cast<msghdr *>(std::malloc(kIovOffset + want * sizeof(iovec)));
    if (!tx->ringMsg)
      std::abort();  // as operator new: a few hundred bytes
    tx->ringIovs = want;
  }
  return tx->ringMsg;
}

// A receive stops itself after a byte limit (kernel 6.17), or the completions one pass
// reaps could hand a connection every buffer the ring has past a full window, before the
// cancel that stops it lands (epoll reads one buffer past it at most). While the user holds
// nothing, the limit is wide, so a bulk reader gets several buffers per pass; once it holds
// bytes (ackLater()), the receive is re-armed to end at the window's edge.
constexpr uint32_t kWideRecvLimit = 128 * 1024;

void armRecv(Conn *c) {
  io_uring_sqe *sqe = getSqe();
  io_uring_prep_recv_multishot(sqe, c->fd, nullptr, 0, 0);
  sqe->flags |= IOSQE_BUFFER_SELECT;
  sqe->buf_group = kBufferGroup;
  if (U().recvLimit && c->owner) {  // a closing connection drops what it reads
    c->recvWide = c->unconsumed == 0;
    limitRecvMultishot(
        sqe, c->recvWide ? kWideRecvLimit : kRxWindow - std::min(c->unconsumed, kRxWindow - 1));
  }
  io_uring_sqe_set_data64(sqe, tag(c, OpRecv));
  c->ring |= kRecvArmed;
  ++c->ops;
}

// Connecting: POLLOUT says the connect ended. Connected: POLLERR says an ack notice
// (or an error) is on the socket's error queue.
void prepPoll(Conn *c, unsigned mask, Op op) {
  io_uring_sqe *sqe = getSqe();
  io_uring_prep_poll_add(sqe, c->fd, mask);
  io_uring_sqe_set_data64(sqe, tag(c, op));
  ++c->ops;
}

void armPoll(Conn *c, unsigned mask) {
  prepPoll(c, mask, OpPoll);
  c->ring |= kPollArmed;
}

// The queue's head, up to kMaxIov chunks, in one SENDMSG. Its header and iovecs live in
// the Tx until the completion (the kernel may read them when the send is retried).
void sendNext(Conn *c) {
  Tx *tx = c->tx;
  msghdr *m = msgBlock(tx, std::min(tx->queue.size() - tx->queueHead, size_t(kMaxIov)));
  auto *iov = reinterpret_cast<iovec *>(reinterpret_cast<char *>(m) + kIovOffset);
  bool more = false;
  const int n = gatherQueue(tx, iov, kMaxIov, &more);
  *m = msghdr{};
  m->msg_iov = iov;
  m->msg_iovlen = size_t(n);
  if (__builtin_expect(acks::noticeWanted(c), false)) {
    // As acks::sendNoticed() on epoll: the kernel reports the ACK of this write's last
    // byte on the error queue, which a POLLERR poll watches (connSync()).
    char *control = reinterpret_cast<char *>(m) + kControlOffset;
    std::memset(control, 0, kControlSpace);
    m->msg_control = control;
    m->msg_controllen = kControlSpace;
    cmsghdr *cm = CMSG_FIRSTHDR(m);
    cm->cmsg_level = SOL_SOCKET;
    cm->cmsg_type = SO_TIMESTAMPING;
    cm->cmsg_len = CMSG_LEN(sizeof(uint32_t));
    const uint32_t record = SOF_TIMESTAMPING_TX_ACK;
    std::memcpy(CMSG_DATA(cm), &record, sizeof record);
    c->ackMarked = true;
    c->wroteAfterMark = false;
  } else {
    c->wroteAfterMark = true;
  }
  c->ring |= kSendBusy;
  ++c->ops;
  if (faults::armed() && faults::sendReplaced(c, tag(c, OpSend), m))
    return;  // test builds: an injected error completes it instead
  io_uring_sqe *sqe = getSqe();
  // MSG_DONTWAIT: the send is tried once, when submitted, and a full socket buffer ends it
  // with EAGAIN (then a POLLOUT poll waits) instead of the ring keeping it to retry later:
  // so no send reads the caller's memory (add() without COPY) after the io_uring_enter()
  // that submitted it, and close() can take over what is still queued (ownQueuedBytes()).
  io_uring_prep_sendmsg(sqe, c->fd, m, MSG_NOSIGNAL | MSG_DONTWAIT | (more ? MSG_MORE : 0));
  io_uring_sqe_set_data64(sqe, tag(c, OpSend));
}

// The socket failed: reported if the core still owns the connection, else just ended.
void failed(Conn *c, int err) {
  if (c->owner)
    connFail(c, err);
  else
    connDestroy(c, true);
}

void received(Conn *c, const uint8_t *data, size_t n) {
  if (!c->owner)
    return;                   // closed by the core: what the peer still sends is dropped
  if (acks::onEvent(c, 0)) {  // acks often ride on the peer's data: a look if one is due
    if (c->dead || !c->owner || c->failErrno)
      return;
  }
  c->unconsumed += uint32_t(events::received(c->owner, data, n));
  if (c->dead || !c->owner || c->failErrno)
    return;  // closed in the callback, or a write in it failed (reported from the ready list)
  if (c->unconsumed >= kRxWindow) {
    c->reading = false;  // the window is full: consumed() resumes
    markDue(c);          // cancels the receive
  } else if (c->unconsumed && c->recvWide) {
    markDue(c);  // held bytes: the receive is re-armed to end at the window's edge
  }
}

void recvDone(Conn *c, int res, unsigned flags) {
  const bool more = flags & IORING_CQE_F_MORE;
  if (!more) {
    --c->ops;
    c->ring &= uint8_t(~(kRecvArmed | kRecvCancel));
  }
  if (flags & IORING_CQE_F_BUFFER) {
    const auto id = uint16_t(flags >> IORING_CQE_BUFFER_SHIFT);
    if (res > 0 && !c->dead && !c->failErrno)
      received(c, U().buffers.buffer(id), size_t(res));
    U().buffers.giveBack(id);  // the core copied what the user holds
  }
  if (c->dead) {
    if (c->ops == 0)
      markDue(c);  // its fd can close now
    return;
  }
  if (res == 0) {
    // A write inside a callback (sent at once, as epoll sends) that met the peer's reset
    // took the socket's error with it, so the receive ends as if at a FIN: the failure
    // waits in the ready list and is what gets reported.
    if (c->failErrno)
      return;
    if (!c->peerFin) {
      c->peerFin = true;
      if (c->owner)
        events::finReceived(c->owner);
      else
        markReady(c);  // a closing connection: both directions may be done
    }
    if (!c->dead)
      markDue(c);  // no receive now: the error watch reports a later reset
    return;
  }
  if (res == -ENOBUFS) {
    U().buffers.grow();  // the ring ran dry: more buffers in use from now on (up to all)
  } else if (res < 0 && res != -ECANCELED && res != -EINTR && res != -EAGAIN) {
    failed(c, -res);
    return;
  }
  if (!more)
    markDue(c);  // re-armed if it still reads (ENOBUFS: after the buffers are published)
}

// An operation of c completed: true when c is dead (its fd closes, and c is freed, once
// its last operation has).
bool endedOnDead(Conn *c) {
  --c->ops;
  if (!c->dead)
    return false;
  if (c->ops == 0)
    markDue(c);
  return true;
}

void sendDone(Conn *c, int res) {
  c->ring &= uint8_t(~kSendBusy);
  if (endedOnDead(c))
    return;
  if (res > 0) {
    txSent(c, size_t(res));
  } else if (res == -EAGAIN) {
    c->writable = false;  // connSync() arms the POLLOUT poll
  } else if (res == -EINVAL && c->tx->ringMsg->msg_controllen) {
    loop().ackSchedule.notices = false;  // a kernel that does not take the cmsg on TCP
    c->ackMarked = false;
  } else if (res < 0 && res != -EINTR && res != -ECANCELED) {
    failed(c, -res);
    return;
  }
  if (c->queued()) {
    markDue(c);  // the rest, after this iteration's other sends
    return;
  }
  txRelease(c);
  if (!c->owner)
    markReady(c);  // a closing connection flushed: the FIN is next
}

void pollDone(Conn *c, int res) {
  c->ring &= uint8_t(~kPollArmed);
  if (endedOnDead(c))
    return;
  if (res == -ECANCELED)
    return;
  if (!c->connecting) {  // the error-queue poll: an ack notice, or a socket error
    uint32_t ev = res > 0 ? acks::takeNotice(c, uint32_t(res)) : 0;
    if (c->owner && (ev & acks::kNoticed))
      acks::onEvent(c, ev);  // may run onAck
    if (c->dead)
      return;
    if (ev & (POLLERR | POLLHUP)) {
      // A reset the receive cannot report (stopped by flow control, or done after the
      // peer's FIN), as epoll's EPOLLERR with reading held back.
      int err = 0;
      socklen_t len = sizeof err;
      getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &len);
      if (err) {
        failed(c, err);
        return;
      }
      if (ev & POLLHUP)
        c->ring |= kWantOut;  // both ways shut: polling again would fire at once, forever
    }
    markDue(c);  // the next notice's poll, or the error watch
    return;
  }
  connFinishConnect(c);  // SO_ERROR says how it went
  if (!c->dead)
    markDue(c);  // start reading, send what was added meanwhile
}

void writableDone(Conn *c, int res) {
  c->outArmed = false;
  if (endedOnDead(c))
    return;
  if (res == -ECANCELED)
    return;
  c->writable = true;  // room again (or an error, which the next send reports)
  markDue(c);
}
}  // namespace

void connComplete(Conn *c, Op op, int res, unsigned flags) {
  switch (op) {
    case OpWritable:
      writableDone(c, res);
      break;
    case OpRecv:
      recvDone(c, res, flags);
      break;
    case OpSend:
      sendDone(c, res);
      break;
    case OpPoll:
      pollDone(c, res);
      break;
    case OpCancel:
      endedOnDead(c);
      break;
    default:
      break;
  }
}

void connSync(Conn *c) {
  if (c->dead) {
    if (c->fd >= 0) {  // destroyed on another thread (destroy())
      ::close(c->fd);
      c->fd = -1;
    }
    if (c->ops == 0)
      connFinalize(c);
    else if (!(c->ring & kCancelAll))
      cancelAll(c);
    return;
  }
  if (c->connecting) {
    if (!(c->ring & kPollArmed))
      armPoll(c, POLLOUT);
    return;
  }
  const bool wantRecv = (c->reading || !c->owner) && !c->peerFin;
  if (wantRecv && !(c->ring & kRecvArmed)) {
    armRecv(c);
  } else if ((!wantRecv || (c->recvWide && c->unconsumed)) &&
             (c->ring & (kRecvArmed | kRecvCancel)) == kRecvArmed) {
    cancelOp(c, OpRecv);
    c->ring |= kRecvCancel;
  }
  if (c->queued() && !(c->ring & kSendBusy) && !c->failErrno) {
    if (c->writable) {
      sendNext(c);
    } else if (!c->outArmed) {
      prepPoll(c, POLLOUT, OpWritable);  // room in the socket buffer, after an EAGAIN
      c->outArmed = true;
    }
  }
  // The error queue while a write waits for its ack notice, and errors while no receive
  // would report them (kWantOut on a Conn: hung up, nothing more to watch).
  if ((c->ackMarked || !(c->ring & kRecvArmed)) && !(c->ring & (kPollArmed | kWantOut)))
    armPoll(c, POLLERR);
}

}  // namespace asynctcp::backend::uring

#endif  // !defined(ESP_PLATFORM)
