// Learning what the peer acknowledged, for onAck and space(). Linux raises no
// event when an ack arrives for a send queue that was not full, so we ask
// (SIOCOUTQ) and must bound both the delay this adds to onAck and the CPU:
// - under pressure (half the send budget or more in flight) the writer is
//   waiting on acks: look at the end of this pass, then every 25 us for 2 ms
//   (a loopback or LAN ack arrives within that), then backing off to 32 ms
//   while nothing moves;
// - otherwise acks only feed onAck: look at most every 5 ms per connection, so
//   a stream of small messages costs one ioctl and one onAck per 5 ms, not one
//   per message (measured: an ioctl per request was ~10% of an HTTP server's CPU);
// - and every 50 ms when the user's last onAck wrote nothing (a request/response
//   server that writes from onData): there the ack is news, not a go-ahead, and
//   at 5 ms a server with a request per connection every few ms still paid an
//   ioctl per request (one syscall in three, ~15% of its CPU). A write from
//   onAck brings the 5 ms cadence back at once.
#include <algorithm>

#include "backends/posix/poll_loop.h"
#include "os/os.h"

namespace asynctcp::backend {

namespace {
constexpr uint32_t kFastMinUs = 25;
constexpr uint32_t kFastSteadyUs = 2000;  // probe at kFastMinUs this long before backing off
constexpr uint32_t kFastMaxUs = 32000;
constexpr uint32_t kRelaxedUs = 5000;
constexpr uint32_t kInformationalUs = 50000;

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
  std::vector<Conn *> &heap = loop().ackHeap;
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
  std::vector<Conn *> &heap = loop().ackHeap;
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
  Loop &L = loop();
  WatchQueue &q = c->ackDriven ? L.ackRelaxed : L.ackInformational;
  Tx *tx = c->tx;
  // Never before the tail: the queue stays in deadline order even when the time a
  // caller passes lags the pass's own by a few microseconds.
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
}  // namespace

void scheduleAckProbe(Conn *c) {
  Tx &tx = txOf(c);  // the probe's schedule lives there
  if (underPressure(c)) {
    tx.probeDelayUs = kFastMinUs;
    tx.waitingSinceUs = loop().nowUs;
    scheduleAt(c, 0);  // at the end of this pass: on loopback the ack is often there already
  } else if (!c->inAckWatch || tx.nextProbeUs == 0) {
    scheduleFixed(c, loop().nowUs);
  }
}

void unwatchAcks(Conn *c) {
  if (c->inAckWatch)
    removeFromWatch(c);
}

void probeAcks(uint64_t nowUs) {
  Loop &L = loop();
  std::vector<Conn *> &heap = L.ackHeap;
  // Take every due connection out first: onAck may write, and so watch again.
  std::vector<Conn *> &list = L.ackPass;
  while (!heap.empty() && dueAt(heap.front()) <= nowUs) {
    Conn *c = heap.front();
    removeFromWatch(c);
    list.push_back(c);
  }
  takeDue(L.ackRelaxed, nowUs, list);
  takeDue(L.ackInformational, nowUs, list);
  for (Conn *c : list) {
    if (c->dead || !c->owner || !c->tx || c->inAckWatch)
      continue;  // gone, released by a flush in an earlier onAck, or watched again by one
    bool pressure = underPressure(c);
    uint32_t before = c->unacked;
    connProbeAcks(c);  // may run onAck, which may write (and so re-watch) or close
    if (c->dead || !c->owner || c->inAckWatch)
      continue;  // gone, or already rescheduled by a write in onAck
    if (c->unacked == 0) {
      txRelease(c);  // all acknowledged: nothing to watch
      continue;
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
    } else {
      scheduleFixed(c, nowUs);
    }
  }
  list.clear();
}

int64_t ackProbeTimeoutUs(uint64_t nowUs) {
  const Loop &L = loop();
  int64_t t = -1;
  if (!L.ackHeap.empty())
    lower(t, dueAt(L.ackHeap.front()), nowUs);
  if (L.ackRelaxed.head)
    lower(t, dueAt(L.ackRelaxed.head), nowUs);
  if (L.ackInformational.head)
    lower(t, dueAt(L.ackInformational.head), nowUs);
  return t;
}

}  // namespace asynctcp::backend
