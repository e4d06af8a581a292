// The ack tracker: what the peer acknowledged, for onAck, space() and the ack timeout.
// Linux raises no event for an ack, so the tracker learns acks itself (ack_tracker.cpp
// says how) from the Conn's ack bits and the Tx's schedule fields, which nothing else
// touches. conn.cpp and poll_loop.cpp use only what this header declares; what runs on
// every write and every event is inline.
#pragma once

#include <sys/epoll.h>
#include <sys/socket.h>

#include <cstddef>
#include <cstdint>

#include "backends/posix/internal.h"
#include "backends/posix/syscalls.h"

namespace asynctcp::backend::acks {

void init();  // once, at the loop's start: learns whether the kernel gives ack notices

// Before a write (added or queued): whether the user writes from this connection's
// onAck (it then waits on acks to send) or from another thread (its acks are not hurried).
inline void beforeWrite(Conn *c, uint8_t flags) {
  if (flags & kWriteFromOtherThread) {
    c->ackDriven = false;
    c->otherThreadWrite = true;
  } else if (c->inOnAck) {
    c->ackDriven = true;
  }
}

// The writes themselves: the one that asks the kernel for an ack notice goes through
// sendmsg (for its cmsg); the usual one stays a plain send.
inline bool noticeWanted(const Conn *c);
ssize_t sendNoticed(Conn *c, msghdr *m, int flags);
inline ssize_t send(Conn *c, const char *data, size_t n, int flags) {
  if (__builtin_expect(noticeWanted(c), false)) {
    iovec iov{const_cast<char *>(data), n};
    msghdr m{};
    m.msg_iov = &iov;
    m.msg_iovlen = 1;
    return sendNoticed(c, &m, flags);
  }
  c->wroteAfterMark = true;  // whether it succeeds or not: a notice then checks with SIOCOUTQ
  return sys::send(c, data, n, flags);
}
inline ssize_t sendmsg(Conn *c, msghdr *m, int flags) {
  if (noticeWanted(c))
    return sendNoticed(c, m, flags);
  c->wroteAfterMark = true;
  return sys::sendmsg(c, m, flags);
}

// After a write: n more bytes are the kernel's, and the tracker learns their acks.
inline void afterWrite(Conn *c, size_t n);

// On an epoll event. takeNotice() first, before the event's bits are read: an EPOLLERR
// that was an ack notice is taken off the socket's error queue and out of `ev`. Then,
// once the connection is known to be live and connected, onEvent() reports what the
// event taught (acks often ride on the peer's data): it may run onAck, and returns
// whether it looked (false: no callback ran).
inline uint32_t takeNotice(Conn *c, uint32_t ev);
inline bool onEvent(Conn *c, uint32_t ev);

// The send budget's free room, asking the kernel only when the known figure is short
// of `want` and nobody waits for acked() events (they keep the figure fresh).
inline size_t room(Conn *c, size_t want);

void runDue(uint64_t nowUs);            // the loop: the looks that are due
int64_t nextTimeoutUs(uint64_t nowUs);  // the loop's wait: -1 when nothing is watched
void forget(Conn *c);                   // the connection is going away

// ---- inline parts, and the out-of-line ones they call ----

// An event bit epoll never reports, standing for "an ack notice was taken".
constexpr uint32_t kNoticed = EPOLLMSG;

// Whether the next write should ask for a notice: the user waits on this
// connection's acks (it writes from onAck; a new connection is presumed to),
// none is pending (one at a time: each is then known to be the latest mark's),
// and reading goes on (the kernel drops notices that find the receive buffer full).
inline bool noticeWanted(const Conn *c) {
  return c->promptAcks && c->ackDriven && !c->ackMarked && c->reading && loop().ackSchedule.notices;
}

// Half the send budget or more in flight: the writer is waiting on acks.
inline bool underPressure(const Conn *c) {
  return c->pending() * 2 >= c->budget;
}

void schedule(Conn *c);  // puts c where its state says it waits
void hold(Conn *c);      // a write from another thread: its acks wait (ack_tracker.cpp)
inline void afterWrite(Conn *c, size_t n) {
  c->unacked += uint32_t(n);
  if (__builtin_expect(c->otherThreadWrite, false))
    hold(c);
  // A connection already waiting at its fixed cadence keeps its place.
  if (c->promptAcks && c->owner && (!c->inAckWatch || c->tx->nextProbeUs == 0 || underPressure(c)))
    schedule(c);
}

uint32_t takeNoticeFrom(Conn *c, uint32_t ev);
inline uint32_t takeNotice(Conn *c, uint32_t ev) {
  if (__builtin_expect(ev & EPOLLERR, 0))
    ev = takeNoticeFrom(c, ev);
  return ev;
}

void noticed(Conn *c);  // a notice was taken: report what it covers
void look(Conn *c);     // SIOCOUTQ now: report what moved
inline bool onEvent(Conn *c, uint32_t ev) {
  if (ev & kNoticed)
    noticed(c);
  else if (c->inAckWatch && (underPressure(c) || loop().nowUs >= c->tx->nextProbeUs))
    look(c);
  else
    return false;
  return true;
}

bool lookSilently(Conn *c);  // SIOCOUTQ without an event; true if the peer acked more
inline size_t room(Conn *c) {
  size_t used = c->pending();
  return used >= c->budget ? 0 : c->budget - used;
}
inline size_t room(Conn *c, size_t want) {
  size_t r = room(c);
  if (r < want && !c->promptAcks && c->unacked && lookSilently(c))
    r = room(c);
  return r;
}

}  // namespace asynctcp::backend::acks
