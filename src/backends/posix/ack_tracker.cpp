// The ack tracker (ack_tracker.h): learning what the peer acknowledged, for onAck and
// space(). Linux raises no readiness event when an ack arrives for a send queue that
// was not full. Two ways to learn it, bounding both the delay this adds to onAck and
// the CPU:
// - a notice (the bottom of this file): when the user waits on acks (its last
//   onAck wrote, or the connection is new: ESPAsyncWebServer closes from the
//   first), one write at a time asks the kernel to report the ACK of its last
//   byte, and onAck comes as that ACK arrives (microseconds on loopback where a
//   5 ms look made it ~5 ms; a burst of writes is covered by the notice for its
//   first and a few quick looks). One recvmsg per notice, no polling;
// - a look (SIOCOUTQ), on a schedule:
//   - under pressure (half the send budget or more in flight) the writer is
//     waiting on acks: look at the end of this pass, then every 25 us for 2 ms
//     (a loopback or LAN ack arrives within that), then backing off to 32 ms
//     while nothing moves;
//   - otherwise at most every 5 ms per connection: the fallback for a notice that
//     does not come (the kernel drops one that finds the receive buffer full), and
//     a stream of small messages costs one ioctl per 5 ms, not one per message
//     (measured: an ioctl per request was ~10% of an HTTP server's CPU);
//   - and every 50 ms, with no notice, when the user's last onAck wrote nothing (a
//     request/response server that writes from onData): there the ack is news,
//     not a go-ahead, and a notice (or a look at 5 ms) per request costs one
//     syscall in three (~15% of its CPU). A write from onAck brings notices back.
// Host only (the epoll backend): the Arduino IDE and PlatformIO compile every file under src/.
#if !defined(ESP_PLATFORM)

#include "backends/posix/ack_tracker.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/net_tstamp.h>
#include <linux/sockios.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <algorithm>
#include <climits>
#include <cstring>

#include "os/os.h"

namespace asynctcp::backend {
namespace acks {

namespace {
constexpr uint32_t kFastMinUs = 25;
constexpr uint32_t kFastSteadyUs = 2000;  // probe at kFastMinUs this long before backing off
constexpr uint32_t kFastMaxUs = 32000;
constexpr uint32_t kRelaxedUs = 5000;
constexpr uint32_t kInformationalUs = 50000;
// Looks at the rest of a burst after the notice for its first write: six, 25 us apart
// and doubling, 1.6 ms in all (the peer acks the rest about one wake-up later), then
// the cadence.
constexpr uint8_t kTailLooks = 6;
// Acks of a write from another thread are not reported sooner than this after it. On ESP32
// they come a network round trip after write() returned, and code there counts its bytes in
// flight after write() returns, on its own thread (ESP32Async's AsyncSend example asserts
// that onAck never reports more than it counted): on loopback the ack is back in
// microseconds, before a preempted thread gets to its next line.
constexpr uint32_t kOtherThreadHoldUs = 5000;

// Where a watched connection waits. The two fixed cadences are FIFO queues: every
// entry is due a constant delay after it joined, so the queue is in deadline order
// and each operation is O(1). Only the variable delays of the pressure back-off need
// a binary min-heap (few connections are under pressure at once). One heap for all
// cost ~200 instructions per request at 1,000 connections; a linear list before it
// cost a look at every watched connection per pass.
uint64_t dueAt(const Conn *c) {
  return c->tx->nextProbeUs;
}

void place(std::vector<Conn *> &heap, size_t i, Conn *c) {
  heap[i] = c;
  c->tx->watchIndex = uint32_t(i);
}

void siftUp(std::vector<Conn *> &heap, size_t i) {
  Conn *c = heap[i];
  while (i > 0) {
    size_t parent = (i - 1) / 2;
    if (dueAt(heap[parent]) <= dueAt(c))
      break;
    place(heap, i, heap[parent]);
    i = parent;
  }
  place(heap, i, c);
}

void siftDown(std::vector<Conn *> &heap, size_t i) {
  Conn *c = heap[i];
  const size_t n = heap.size();
  for (;;) {
    size_t child = 2 * i + 1;
    if (child >= n)
      break;
    if (child + 1 < n && dueAt(heap[child + 1]) < dueAt(heap[child]))
      ++child;
    if (dueAt(heap[child]) >= dueAt(c))
      break;
    place(heap, i, heap[child]);
    i = child;
  }
  place(heap, i, c);
}

void removeFromWatch(Conn *c) {
  Tx *tx = c->tx;
  c->inAckWatch = false;
  if (WatchQueue *q = tx->watchQueue) {
    (tx->watchPrev ? tx->watchPrev->tx->watchNext : q->head) = tx->watchNext;
    (tx->watchNext ? tx->watchNext->tx->watchPrev : q->tail) = tx->watchPrev;
    tx->watchPrev = tx->watchNext = nullptr;
    tx->watchQueue = nullptr;
    return;
  }
  std::vector<Conn *> &heap = loop().ackSchedule.heap;
  size_t i = tx->watchIndex;
  Conn *last = heap.back();
  heap.pop_back();
  if (i < heap.size()) {
    place(heap, i, last);
    siftUp(heap, i);
    siftDown(heap, last->tx->watchIndex);
  }
}

// Watches c (its send state exists) on the pressure heap, due at atUs.
void scheduleAt(Conn *c, uint64_t atUs) {
  std::vector<Conn *> &heap = loop().ackSchedule.heap;
  Tx *tx = c->tx;
  if (c->inAckWatch && tx->watchQueue)
    removeFromWatch(c);
  uint64_t was = tx->nextProbeUs;
  tx->nextProbeUs = atUs;
  if (!c->inAckWatch) {
    c->inAckWatch = true;
    heap.push_back(c);
    siftUp(heap, heap.size() - 1);
  } else if (atUs < was) {
    siftUp(heap, tx->watchIndex);
  } else if (atUs > was) {
    siftDown(heap, tx->watchIndex);
  }
}

// Watches c at its fixed cadence: due a constant delay from now, at the queue's tail.
void scheduleFixed(Conn *c, uint64_t nowUs) {
  if (c->inAckWatch)
    removeFromWatch(c);
  AckSchedule &S = loop().ackSchedule;
  WatchQueue &q = c->ackDriven ? S.relaxed : S.informational;
  Tx *tx = c->tx;
  // Never before the tail: the queue stays in deadline order even when the time a
  // caller passes lags the pass's own by a few microseconds.
  tx->tailLooks = 0;
  uint64_t at = nowUs + (c->ackDriven ? kRelaxedUs : kInformationalUs);
  tx->nextProbeUs = q.tail ? std::max(at, dueAt(q.tail)) : at;
  tx->watchQueue = &q;
  tx->watchPrev = q.tail;
  tx->watchNext = nullptr;
  (q.tail ? q.tail->tx->watchNext : q.head) = c;
  q.tail = c;
  c->inAckWatch = true;
}

void takeDue(WatchQueue &q, uint64_t nowUs, std::vector<Conn *> &into) {
  while (q.head && dueAt(q.head) <= nowUs) {
    Conn *c = q.head;
    removeFromWatch(c);
    into.push_back(c);
  }
}

void lower(int64_t &t, uint64_t at, uint64_t nowUs) {
  int64_t v = at <= nowUs ? 0 : int64_t(at - nowUs);
  if (t < 0 || v < t)
    t = v;
}

// A notice reports the ack of one marked write per burst (one pending at a time), the
// first: the writes after it were acked in the same ACK or are about to be.
void watchBurstTail(Conn *c) {
  Tx *tx = c->tx;
  if (underPressure(c) || (c->inAckWatch && !tx->watchQueue))
    return;  // on the fast schedule already
  tx->tailLooks = kTailLooks;
  tx->probeDelayUs = kFastMinUs;
  scheduleAt(c, loop().nowUs + kFastMinUs);
}

// Bytes the peer acknowledged since the last look (SIOCOUTQ counts what the
// kernel still holds: unsent or unacknowledged). Updates c->unacked.
size_t learn(Conn *c) {
  int outq = 0;
  if (c->dead || ioctl(c->fd, SIOCOUTQ, &outq) != 0 || uint32_t(outq) >= c->unacked)
    return 0;
  size_t delta = c->unacked - uint32_t(outq);
  c->unacked = uint32_t(outq);
  return delta;
}

void report(Conn *c, size_t delta) {
  // Whether onAck writes tells the schedule how much its delay costs (see the top).
  c->ackDriven = false;
  c->inOnAck = true;
  events::acked(c->owner, delta);
  c->inOnAck = false;  // the Conn outlives the batch, even if onAck closed it
}

// The look found everything acked and no notice came for the marked write, which
// the kernel drops when the receive buffer is full. A connection kept waiting for it
// would never ask for another; one that stops waiting may still get it late, and
// then cannot tell it from a newer write's: from now on each notice is checked.
void giveUpNotice(Conn *c) {
  if (!c->ackMarked)
    return;
  c->ackMarked = false;
  c->noticeUnsure = true;
}

// After a look at c, taken off the schedule because it was due: where it waits next.
void reschedule(Conn *c, bool pressure, uint32_t before, uint64_t nowUs) {
  if (c->unacked == 0) {
    if (!pressure)
      giveUpNotice(c);  // a look at the cadence: the notice is overdue
    txRelease(c);       // all acknowledged: nothing to watch
    return;
  }
  Tx *tx = c->tx;
  // Pressure is judged again on the fresh count: a bulk sender's in-flight figure
  // goes stale between looks, and a look that finds it was acked long ago ends the
  // back-off (else the loop woke every 25 us for the rest of the transfer).
  if (pressure && underPressure(c)) {
    if (c->unacked != before)
      tx->waitingSinceUs = nowUs;
    uint32_t delay = nowUs - tx->waitingSinceUs < kFastSteadyUs
                         ? kFastMinUs
                         : std::min(std::max(tx->probeDelayUs * 2, kFastMinUs), kFastMaxUs);
    tx->probeDelayUs = delay;
    scheduleAt(c, nowUs + delay);
  } else if (tx->tailLooks > 1) {
    --tx->tailLooks;
    tx->probeDelayUs *= 2;
    scheduleAt(c, nowUs + tx->probeDelayUs);
  } else {
    scheduleFixed(c, nowUs);
  }
}
}  // namespace

void hold(Conn *c) {
  c->otherThreadWrite = false;
  if (c->promptAcks && c->owner)  // nobody is told of acks otherwise: nothing to hold
    txOf(c).holdUntilUs = os::nowUs() + kOtherThreadHoldUs;
}

void schedule(Conn *c) {
  Tx &tx = txOf(c);  // the schedule lives there
  if (underPressure(c)) {
    tx.probeDelayUs = kFastMinUs;
    tx.waitingSinceUs = loop().nowUs;
    scheduleAt(c, 0);  // at the end of this pass: on loopback the ack is often there already
  } else if (!c->inAckWatch || tx.nextProbeUs == 0) {
    scheduleFixed(c, loop().nowUs);
  }
}

void forget(Conn *c) {
  if (c->inAckWatch)
    removeFromWatch(c);
}

namespace {
// True (and c watched again for then) while the acks of a write from another thread wait.
bool held(Conn *c) {
  Tx *tx = c->tx;
  if (!tx || !tx->holdUntilUs)
    return false;
  if (os::nowUs() >= tx->holdUntilUs) {
    tx->holdUntilUs = 0;
    return false;
  }
  scheduleAt(c, tx->holdUntilUs);
  return true;
}
}  // namespace

void look(Conn *c) {
  if (held(c))
    return;
  if (size_t delta = learn(c))
    report(c, delta);
}

bool lookSilently(Conn *c) {
  if (learn(c) == 0)
    return false;
  c->ackedSilently = true;  // refreshAcks() reports it, whoever asked the kernel
  return true;
}

void runDue(uint64_t nowUs) {
  AckSchedule &S = loop().ackSchedule;
  // Take every due connection out first: onAck may write, and so watch again.
  std::vector<Conn *> &list = S.pass;
  while (!S.heap.empty() && dueAt(S.heap.front()) <= nowUs) {
    Conn *c = S.heap.front();
    removeFromWatch(c);
    list.push_back(c);
  }
  takeDue(S.relaxed, nowUs, list);
  takeDue(S.informational, nowUs, list);
  for (Conn *c : list) {
    if (c->dead || !c->owner || !c->tx || c->inAckWatch)
      continue;  // gone, released by a flush in an earlier onAck, or watched again by one
    bool pressure = underPressure(c);
    uint32_t before = c->unacked;
    look(c);  // may run onAck, which may write (and so re-watch) or close
    if (c->dead || !c->owner || c->inAckWatch)
      continue;  // gone, or already rescheduled by a write in onAck
    reschedule(c, pressure, before, nowUs);
  }
  list.clear();
}

int64_t nextTimeoutUs(uint64_t nowUs) {
  const AckSchedule &S = loop().ackSchedule;
  int64_t t = -1;
  if (!S.heap.empty())
    lower(t, dueAt(S.heap.front()), nowUs);
  if (S.relaxed.head)
    lower(t, dueAt(S.relaxed.head), nowUs);
  if (S.informational.head)
    lower(t, dueAt(S.informational.head), nowUs);
  return t;
}

// ---- the kernel's ack notices ----
// SOF_TIMESTAMPING_TX_ACK, asked for by one sendmsg (a cmsg, kernel >= 4.13), makes
// the kernel queue a notice on the socket's error queue when the peer's ACK covers
// the last byte of that write; epoll reports it as EPOLLERR. No socket option is set
// (no syscall per connection): without SOF_TIMESTAMPING_OPT_TSONLY the notice
// carries a clone of the acked segment, which net.core.tstamp_allow_data=0 forbids
// to unprivileged sockets, so then the schedule's looks are all there is.

void init() {
  char v = '1';
  int fd = ::open("/proc/sys/net/core/tstamp_allow_data", O_RDONLY | O_CLOEXEC);
  if (fd >= 0) {
    if (::read(fd, &v, 1) != 1)
      v = '1';
    ::close(fd);
  }
  loop().ackSchedule.notices = v != '0';
}

ssize_t sendNoticed(Conn *c, msghdr *m, int flags) {
  alignas(cmsghdr) char control[CMSG_SPACE(sizeof(uint32_t))] = {};
  m->msg_control = control;
  m->msg_controllen = sizeof(control);
  cmsghdr *cm = CMSG_FIRSTHDR(m);
  cm->cmsg_level = SOL_SOCKET;
  cm->cmsg_type = SO_TIMESTAMPING;
  cm->cmsg_len = CMSG_LEN(sizeof(uint32_t));
  uint32_t record = SOF_TIMESTAMPING_TX_ACK;
  std::memcpy(CMSG_DATA(cm), &record, sizeof(record));
  ssize_t w = sys::sendmsg(c, m, flags);
  bool asked = true;
  if (w < 0 && errno == EINVAL) {  // a kernel that does not take the cmsg on TCP
    loop().ackSchedule.notices = false;
    asked = false;
    m->msg_control = nullptr;
    m->msg_controllen = 0;
    w = sys::sendmsg(c, m, flags);
  }
  m->msg_control = nullptr;
  m->msg_controllen = 0;
  if (w > 0 && asked) {
    c->ackMarked = true;
    c->wroteAfterMark = false;
  }
  return w;
}

// EPOLLERR also means "the error queue is not empty": a pending ack notice. A socket
// error on an established TCP connection comes with EPOLLHUP (the kernel ends the
// connection as it sets one), so an EPOLLERR without it, on a connection that asked
// for a notice, whose error queue held one, was that notice.
[[gnu::noinline]] uint32_t takeNoticeFrom(Conn *c, uint32_t ev) {
  if (!(c->ackMarked || c->noticeUnsure) || (ev & EPOLLHUP))
    return ev;
  // Nothing but these notices reaches a TCP socket's error queue unless asked for
  // (IP_RECVERR, MSG_ZEROCOPY), so what is there is one: its contents (the timestamp,
  // the clone's bytes) are not needed. One is taken per EPOLLERR; the kernel raises
  // another while more are queued.
  msghdr m{};
  if (direct::recvmsg(c->fd, &m, MSG_ERRQUEUE | MSG_DONTWAIT) < 0)
    return ev;
  c->ackMarked = false;
  return (ev & ~uint32_t(EPOLLERR)) | kNoticed;
}

void noticed(Conn *c) {
  if (!c->promptAcks)
    return;  // onAck was removed since the mark: acks are learned when asked for
  // The marked write's last byte is acknowledged (cumulatively, so is all before
  // it): if it was the latest write, everything the kernel was given is.
  size_t delta = c->unacked;
  if (c->wroteAfterMark || c->noticeUnsure)
    delta = learn(c);
  else
    c->unacked = 0;
  if (delta)
    report(c, delta);
  if (c->dead || !c->owner)
    return;
  if (c->unacked && c->tx && !c->ackMarked)
    watchBurstTail(c);  // no newer mark covers what is still in flight
  if (c->unacked || c->queued())
    return;   // more to learn: the schedule holds it
  forget(c);  // nothing left in flight: the fallback look is not needed
  txRelease(c);
}

}  // namespace acks

// ---- the backend interface: the send budget and acks ----

size_t inFlight(Conn *c) {
  return c->pending();
}

size_t space(Conn *c) {
  ASYNCTCP_ASSERT_CORE_LOCKED();
  // Acks learned without an event: for connections nobody asked onAck of, this
  // saves a SIOCOUTQ per write; space() and the ack timeout ask when they need it.
  if (!c->promptAcks && c->unacked)
    acks::lookSilently(c);
  return acks::room(c);
}

// In-flight bytes are counted in 32 bits: a budget past 2 GiB buys nothing.
void setSendBudget(Conn *c, size_t bytes) {
  c->budget = uint32_t(std::min<size_t>(bytes, INT32_MAX));
}

void setAckEvents(Conn *c, bool on) {
  if (on && !c->promptAcks && c->unacked && c->owner) {
    c->promptAcks = true;
    acks::afterWrite(c, 0);  // what is in flight is watched from now on
  }
  c->promptAcks = on;
}

bool refreshAcks(Conn *c) {
  if (!c->promptAcks)
    acks::lookSilently(c);
  bool moved = c->ackedSilently;
  c->ackedSilently = false;
  return moved;
}

}  // namespace asynctcp::backend

#endif  // !defined(ESP_PLATFORM)
