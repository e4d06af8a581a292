// One TCP connection's bytes in and out and its close: non-blocking reads and writes
// on an edge-triggered fd, and the flush before the FIN. What the kernel does not take
// waits in the send queue (send_queue.cpp); what the peer acknowledged is the ack
// tracker's (ack_tracker.h); socket options and addresses are socket_options.cpp's.
// Host only (the epoll backend): the Arduino IDE and PlatformIO compile every file under src/.
#if !defined(ESP_PLATFORM)

#include <errno.h>
#include <linux/sockios.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>

#include "backends/posix/ack_tracker.h"
#include "backends/posix/internal.h"
#include "backends/posix/sockaddr.h"
#include "backends/posix/syscalls.h"
#include "os/os.h"
#if defined(ASYNCTCP_URING)
#include "backends/uring/engine.h"
#endif

namespace asynctcp::backend {

namespace {
constexpr int kReadsPerEvent = 16;     // 1 MiB, then yield to other connections (libuv: 32)
constexpr uint64_t kLingerMs = 10000;  // a closed connection's time to flush

// One 48-byte malloc chunk on 64-bit glibc: a server holds one per connection.
static_assert(sizeof(void *) != 8 || sizeof(Conn) <= 40, "Conn outgrew its chunk");

// Ends the socket itself. The Conn stays allocated until the batch is over.
void destroy(Conn *c, bool reset) {
  if (c->dead)
    return;
  if (reset) {
    linger lg{1, 0};
    setsockopt(c->fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
  }
#if defined(ASYNCTCP_URING)
  if (onUring()) {
    // Its operations in flight still hold the socket and point at the Conn: they are
    // cancelled, and connFinalize() frees it once the last one has completed. The fd is
    // closed on the service thread only (here, or by connSync()): between preparing an
    // operation and submitting it, the loop lets the core lock go, and a number closed
    // by another thread then could be a new socket's when the operation reaches it.
    if (os::onServiceThread()) {
      ::close(c->fd);
      c->fd = -1;
    }
    c->dead = true;
    acks::forget(c);
    uring::markDue(c);
    return;
  }
#endif
  ::close(c->fd);
  c->dead = true;
  acks::forget(c);
  txDrop(c);
  loop().graveyard.push_back(c);
}

// Only ever called from the loop, never inside a public method. Cold and out of line:
// inlined, it cost connHandleEvents() a register on every event.
[[gnu::cold, gnu::noinline]] void fail(Conn *c, int err) {
  // The first error seen (inside a write, say) is the one to report: a later
  // call on the same socket only sees EPIPE.
  if (c->failErrno)
    err = c->failErrno;
  c->failErrno = 0;
  ClientImpl *owner = c->owner;
  c->owner = nullptr;
  destroy(c, err != ECONNRESET && err != EPIPE);
  if (owner)
    events::failed(owner, errnoToErr(err), err);
}

// Reads and drops what the peer sends. Returns false once the socket is done
// (EOF seen, or an error); while flushing, the peer may be blocked writing until
// we read, so this runs before every flush, as lwIP's tcp_recv_null does.
bool discardInput(Conn *c) {
  while (c->readable && !c->peerFin) {
    ssize_t n = sys::recv(c, loop().readBuf, kReadBufSize, 0);
    if (n > 0)
      continue;
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      c->readable = false;
      return true;
    }
    if (n < 0)
      return false;  // reset: nothing more can be delivered
    c->peerFin = true;
  }
  return true;
}

// The core let go: flush what was accepted, then FIN; meanwhile read out what
// the peer still sends, because close() with unread data would send a RST.
void progressClose(Conn *c) {
  if (c->dead)
    return;
#if defined(ASYNCTCP_URING)
  if (onUring()) {
    // The multishot receive (re-armed if flow control had stopped it) drops what the
    // peer still sends and sees its FIN; the ring's sends flush the queue.
    uring::markDue(c);
    if (c->queued() || (c->ring & uring::kSendBusy))
      return;
  } else
#endif
      if (!discardInput(c)) {
    destroy(c, true);
    return;
  }
  if (c->queued()) {
    if (flushQueue(c) != 0) {
      destroy(c, true);
      return;
    }
    if (c->queued())
      return;  // wait for EPOLLOUT
  }
  if (!c->finSent) {
    // close() is safe only when nothing can turn it into a RST that drops our
    // last bytes: nothing unread, and nothing unacknowledged (data the peer sends
    // later to a closed socket is answered with a RST, which discards unsent data).
    // Bytes already known to be acknowledged (an onAck that closes) need no second look.
    int unread = 0, outq = 0;
    if (c->peerFin || (ioctl(c->fd, FIONREAD, &unread) == 0 && unread == 0 &&
                       (c->unacked == 0 || (ioctl(c->fd, SIOCOUTQ, &outq) == 0 && outq == 0)))) {
      destroy(c, false);
      return;
    }
    ::shutdown(c->fd, SHUT_WR);
    c->finSent = true;
  }
  if (c->peerFin)
    destroy(c, false);  // both directions done
}

void readSome(Conn *c) {
  for (int i = 0; i < kReadsPerEvent; ++i) {
    ssize_t n = sys::recv(c, loop().readBuf, kReadBufSize, 0);
    if (n > 0) {
      c->unconsumed += uint32_t(events::received(c->owner, loop().readBuf, size_t(n)));
      // A write in the callback that failed (a reset) consumed the socket's error, so the
      // next recv() would return 0 and pass the reset off as a FIN: report it from the loop.
      if (c->dead || !c->owner || c->failErrno)
        return;  // closed or deleted in the callback, or a write in it failed
      if (c->unconsumed >= kRxWindow)
        c->reading = false;  // the window is full: consumed() resumes
      if (size_t(n) < kReadBufSize && !c->rdhup) {
        // The kernel gave all it had: a new edge comes with the next data. Not so
        // for a FIN already queued behind it: that edge has been consumed.
        c->readable = false;
        return;
      }
      if (!c->reading)
        return;  // held back; still readable
      continue;
    }
    if (n == 0) {
      c->readable = false;
      if (!c->peerFin) {  // later reads keep returning 0: one FIN is one event
        c->peerFin = true;
        events::finReceived(c->owner);
      }
      return;
    }
    if (errno == EINTR)
      continue;
    if (errno == EAGAIN || errno == EWOULDBLOCK) {
      c->readable = false;
      return;
    }
    fail(c, errno);
    return;
  }
  markReady(c);  // more to read: after the other connections had their turn
}

void finishConnect(Conn *c) {
  int err = 0;
  socklen_t len = sizeof(err);
  if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0)
    err = errno;
  if (err) {
    fail(c, err);
    return;
  }
  c->connecting = false;
  events::connected(c->owner, endpointsOf(c->fd));
}

// A reset must not wait for ack() while reading is held back. Returns true if
// the socket had an error (and the connection has failed).
bool reportError(Conn *c) {
  int err = 0;
  socklen_t len = sizeof(err);
  getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &len);
  if (!err)
    return false;
  fail(c, err);
  return true;
}

// Work on a live, owned connection. Inline in both callers: it runs for every event.
[[gnu::always_inline]] inline void service(Conn *c) {
  if (c->queued() && c->writable) {
    int err = flushQueue(c);
    if (err) {
      fail(c, err);
      return;
    }
  }
  if (c->readable && c->reading)
    readSome(c);
}
}  // namespace

void connHandleEvents(Conn *c, uint32_t ev) {
  ASYNCTCP_ASSERT_CORE_LOCKED();
  ev = acks::takeNotice(c, ev);
  if (ev & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR))
    c->readable = true;
  if (ev & (EPOLLRDHUP | EPOLLHUP | EPOLLERR))
    c->rdhup = true;
  if (ev & (EPOLLOUT | EPOLLERR | EPOLLHUP))
    c->writable = true;
  if (!c->owner) {
    progressClose(c);
    return;
  }
  if (c->failErrno) {  // a failure met inside a write, not reported yet
    fail(c, c->failErrno);
    return;
  }
  if (c->connecting) {
    if (!(ev & (EPOLLOUT | EPOLLERR | EPOLLHUP)))
      return;
    finishConnect(c);
    if (c->dead || !c->owner)
      return;
  } else if ((ev & EPOLLERR) && !c->reading && reportError(c)) {
    return;
  }
  if (acks::onEvent(c, ev)) {  // onAck may have run, and closed or written
    if (c->dead || !c->owner)
      return;
    // A write in onAck that met a reset consumed the socket's error: the recv() below
    // would return 0 and pass the reset off as a FIN.
    if (c->failErrno) {
      fail(c, c->failErrno);
      return;
    }
  }
  service(c);
  // The edge is spent: a reset queued behind data that ackLater() now holds, or
  // one after the peer's FIN (recv() then only ever returns 0), is reported here.
  if ((ev & EPOLLERR) && !c->dead && c->owner)
    reportError(c);
}

void connProcessReady(Conn *c) {
  if (c->failErrno) {
    fail(c, c->failErrno);
  } else if (!c->owner) {
    progressClose(c);
  } else if (!c->connecting) {
#if defined(ASYNCTCP_URING)
    if (onUring())
      return uring::markDue(c);  // the ring reads and writes
#endif
    service(c);
  }
}

void connFail(Conn *c, int err) {
  fail(c, err);
}

void connDestroy(Conn *c, bool reset) {
  destroy(c, reset);
}

void connFinishConnect(Conn *c) {
  finishConnect(c);
}

void connFinalize(Conn *c) {
  txDrop(c);
  loop().graveyard.push_back(c);
}

void connDeferFailure(Conn *c, int err) {
  c->failErrno = uint8_t(err);
  markReady(c);
}

void connLingerExpired(Conn *c, uint64_t) {
  destroy(c, true);
}

// ---- the backend interface ----

ConnectResult connect(const IPAddress &ip, uint16_t port, ClientImpl *owner,
                      const ConnOptions &options) {
  ASYNCTCP_ASSERT_CORE_LOCKED();
  SockAddr sa = toSockAddr(ip, port);
  int fd = sys::socket(sa.family(), SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC);
  if (fd < 0)
    return {nullptr, errnoToErr(errno), errno};
  auto *c = new Conn(fd);
  adopt(c, owner, options);  // TCP_NODELAY before the SYN: it holds from the first segment
  c->connecting = true;
  if (sys::connect(fd, sa.ptr(), sa.len) != 0 && errno != EINPROGRESS) {
    int e = errno;
    if (e == ECONNREFUSED || e == ETIMEDOUT || e == ENETUNREACH || e == EHOSTUNREACH ||
        e == ECONNRESET) {
      // The peer's answer, not a bad call: reported through onError like an async refusal.
      connDeferFailure(c, e);
      return {c, ERR_OK, 0};
    }
    ::close(fd);
    delete c;
    return {nullptr, errnoToErr(e), e};
  }
  if (!pollAdd(c, kConnEvents)) {  // io_uring: a poll for POLLOUT, from the loop
    int e = errno;
    ::close(fd);
    delete c;
    return {nullptr, errnoToErr(e), e};
  }
  return {c, ERR_OK, 0};
}

namespace {
// What the kernel did not take, or add() without send(): kept out of line, so the
// usual write (all of it sent at once) pays for no more than it uses.
[[gnu::noinline]] void addQueued(Conn *c, const char *data, size_t n, uint8_t flags, bool pushNow) {
  enqueue(c, data, n, flags & ASYNC_WRITE_FLAG_COPY, flags & ASYNC_WRITE_FLAG_MORE);
  if (pushNow && c->writable)
    send(c);  // a failure is reported from the loop
}
}  // namespace

namespace {
// What a write may take now, on either engine: nothing while connecting or failed, else
// what the ack tracker's budget leaves room for.
[[gnu::always_inline]] inline size_t admit(Conn *c, size_t size, uint8_t flags) {
  if (c->connecting || c->failErrno)
    return 0;
  acks::beforeWrite(c, flags);
  return std::min(size, acks::room(c, size));
}

// Sends straight from the caller's memory (nothing queued before it): what the kernel
// took, or SIZE_MAX once a failure was deferred to the loop's report.
[[gnu::always_inline]] inline size_t sendNow(Conn *c, const char *data, size_t n, bool more) {
  ssize_t w = acks::send(c, data, n, MSG_NOSIGNAL | MSG_DONTWAIT | (more ? MSG_MORE : 0));
  if (w > 0) {
    acks::afterWrite(c, size_t(w));
    if (size_t(w) < n)
      c->writable = false;  // the kernel took what it had room for
    return size_t(w);
  }
  if (w < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
    connDeferFailure(c, errno);  // reported from the loop, not inside write()
    return SIZE_MAX;
  }
  if (w < 0 && errno != EINTR)
    c->writable = false;
  return 0;
}

// From this size on, io_uring sends a write at once, as epoll does, instead of copying it
// for the loop's batch: a syscall costs less than copying 16 KiB (and the copies' memory
// churn), and a bulk writer's syscalls are few anyway (bench echo_c64).
constexpr size_t kRingSendNowMin = 16 * 1024;

// io_uring queues small writes: the loop sends every connection's writes in one submit.
[[gnu::noinline]] size_t addViaRing(Conn *c, const char *data, size_t size, uint8_t flags,
                                    bool pushNow) {
  size_t n = c->dead ? 0 : admit(c, size, flags);
  if (!n)
    return 0;
  size_t sent = 0;
#if defined(ASYNCTCP_URING)
  if (n >= kRingSendNowMin && pushNow && c->queued() == 0 && c->writable) {
    // An empty queue: no SENDMSG in flight either (its bytes leave the queue when it ends).
    sent = sendNow(c, data, n, flags & ASYNC_WRITE_FLAG_MORE);
    if (sent == SIZE_MAX)
      return 0;
    uring::markDue(c);  // the POLLOUT poll for the rest, the ack notice's POLLERR poll
  }
#endif
  if (sent < n)
    addQueued(c, data + sent, n - sent, flags, pushNow);
  return n;
}
}  // namespace

size_t add(Conn *c, const char *data, size_t size, uint8_t flags, bool pushNow) {
  ASYNCTCP_ASSERT_CORE_LOCKED();
  if (__builtin_expect(c->dead | c->viaRing, 0))  // adjacent bits: one test
    return addViaRing(c, data, size, flags, pushNow);
  size_t n = admit(c, size, flags);
  if (!n)
    return 0;
  size_t sent = 0;
  if (pushNow && c->queued() == 0) {
    // Straight from the caller's memory: only what the kernel refuses is queued.
    sent = sendNow(c, data, n, flags & ASYNC_WRITE_FLAG_MORE);
    if (sent == SIZE_MAX)
      return 0;
  }
  if (sent < n)
    addQueued(c, data + sent, n - sent, flags, pushNow);
  return n;
}

err_t send(Conn *c) {
  ASYNCTCP_ASSERT_CORE_LOCKED();
  if (c->dead || c->connecting)
    return ERR_CONN;
  acks::beforeWrite(c, 0);
  if (c->failErrno)
    return errnoToErr(c->failErrno);
  if (!c->queued() || !c->writable)
    return ERR_OK;
#if defined(ASYNCTCP_URING)
  if (onUring()) {
    uring::markDue(c);  // sent at the end of the loop's iteration
    return ERR_OK;
  }
#endif
  int err = flushQueue(c);
  if (err) {
    connDeferFailure(c, err);
    return errnoToErr(err);
  }
  return ERR_OK;
}

void consumed(Conn *c, size_t len) {
  // Modular: an onPacket callback may ackPacket() a packet before received() returns
  // and counts it; the sum is right once it has. Reading is on during that callback.
  c->unconsumed -= uint32_t(len);
  if (!c->reading && c->unconsumed < kRxWindow) {
    c->reading = true;
    if (c->readable)
      markReady(c);  // read from the loop, never inside ack()
  }
}

namespace {
// io_uring, closed from another thread: a send the loop prepared but has not submitted yet
// would read the caller's zero-copy memory after close() returned. Submitted sends are
// done by the time io_uring_enter() returns (MSG_DONTWAIT), so this waits for the submit.
void settleSubmission(Conn *c) {
#if defined(ASYNCTCP_URING)
  if (onUring() && (c->ring & uring::kSendBusy) && !os::onServiceThread())
    uring::waitSubmitted();
#else
  (void)c;
#endif
}
}  // namespace

void close(Conn *c) {
  ASYNCTCP_ASSERT_CORE_LOCKED();
  c->owner = nullptr;
  if (c->dead)
    return;
  c->failErrno = 0;
  c->reading = true;
  ownQueuedBytes(c);  // the caller may free its memory once told the connection ended
  settleSubmission(c);
  if (c->connecting) {
    destroy(c, true);
    return;
  }
  markReady(c);  // progressClose from the loop
  if (c->peerFin && !c->queued())
    return;  // it ends there: nothing to flush, no FIN to wait for
  txOf(c).lingerUntil = os::nowMs() + kLingerMs;
  c->lingering = true;
  loop().lingering.push_back(c);
}

void abort(Conn *c) {
  ASYNCTCP_ASSERT_CORE_LOCKED();
  c->owner = nullptr;
  if (!c->dead)
    settleSubmission(c);
  destroy(c, true);
}

}  // namespace asynctcp::backend

#endif  // !defined(ESP_PLATFORM)
