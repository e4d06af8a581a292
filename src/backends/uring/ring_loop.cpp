// The io_uring engine's loop: one io_uring_enter() submits what the last iteration
// prepared and waits (at most until the loop's next timer); then every completion is
// dispatched to its Conn, Listener or DNS socket, and the work both engines share runs.
// Host only (the io_uring engine): the Arduino IDE and PlatformIO compile every file under src/.
#if !defined(ESP_PLATFORM)

#include <errno.h>
#include <sched.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "backends/posix/ack_tracker.h"
#include "backends/uring/engine.h"
#include "backends/uring/kernel_abi.h"
#include "backends/uring/ring_faults.h"
#include "backends/uring/ring_support.h"
#include "os/os.h"

namespace asynctcp::backend::uring {

namespace {
constexpr unsigned kEntries = 1024;  // SQEs: one iteration's sends, re-arms and cancels
constexpr unsigned kCqFactor = 4;    // multishot receives post many completions per submit
// Receive buffers: shared by every connection, handed back right after delivery. As large
// as the epoll engine's read buffer, so onData() gets the same chunks on both engines (code
// written for ESP32 queues one message per chunk: ESPAsyncWebServer's WebSocket echo does).
// At most 64 (4 MiB): at 1,000 connections a pass needs many (16 ran pingpong_c1000 at a
// third of epoll's rate: every connection the ring had no buffer for ended its receive with
// ENOBUFS and was re-armed). Without the receive limit (kernels before 6.17), what the kernel
// has received into them is delivered past a full window too, until the cancel lands.
constexpr uint32_t kBufferCount = 64;
constexpr uint32_t kBufferSize = uint32_t(kReadBufSize);
// Handed to the kernel at first (it touches every buffer it is given, in turn): 256 KiB
// resident for a quiet server; each run-dry doubles it, up to all of them.
constexpr uint32_t kBuffersAtFirst = 4;
constexpr int kCompletionsPerPass = 4096;  // then the loop's own work gets its turn

// Set once run() has a ring: wake() from another thread before then has nothing to wake
// (the loop looks at everything before its first wait).
std::atomic<Waker *> g_waker{nullptr};

[[noreturn]] void giveUp(const char *what, int err) {
  std::fprintf(stderr, "asynctcp: io_uring engine: %s: %s\n", what, std::strerror(err));
  std::abort();
}

// On the service thread: the ring made disabled by init() gets this thread as its one
// issuer, then its buffers and its waker.
void setUp() {
  UringLoop &u = U();
  if (int r = enableRings(&u.ring); r < 0)
    giveUp("enabling the ring", -r);
  io_uring_register_ring_fd(&u.ring);  // saves the fd lookup per enter; optional
  uint32_t count = kBufferCount;
  int r;
  while ((r = u.buffers.setUp(&u.ring, kBufferGroup, count, kBufferSize, kBuffersAtFirst)) ==
             -ENOMEM &&
         count > 16)
    count /= 2;  // the memlock limit charges the ring (~6.14+)
  if (r < 0)
    giveUp("buffer ring", -r);
  if (int w = u.waker.setUp(&u.ring, OpWake); w < 0)
    giveUp("waker", -w);
  u.ready = true;
  g_waker.store(&u.waker, std::memory_order_release);
}

void dispatch(uint64_t data, int res, unsigned flags) {
  auto op = Op(data & kOpMask);
  auto *p = reinterpret_cast<Pollable *>(data & ~kOpMask);
  if (op == OpWake) {
    U().waker.woken();
    return;
  }
  switch (p->kind) {
    case Kind::Conn:
      connComplete(static_cast<Conn *>(p), op, res, flags);
      break;
    case Kind::Listener:
      listenerComplete(static_cast<Listener *>(p), op, res, flags);
      break;
    case Kind::Dns:
      dnsComplete(p, op, res);
      break;
    case Kind::Waker:
      break;
  }
}

void reap() {
  io_uring *ring = &U().ring;
  io_uring_cqe *cqe;
  if (faults::queued())
    faults::drain(dispatch);
  for (int i = 0; i < kCompletionsPerPass && io_uring_peek_cqe(ring, &cqe) == 0; ++i) {
    uint64_t data = cqe->user_data;
    int res = cqe->res;
    unsigned flags = cqe->flags;
    io_uring_cqe_seen(ring, cqe);  // before dispatch: its callbacks may submit
    if (faults::armed())
      faults::filter(&data, &res, &flags, dispatch);
    dispatch(data, res, flags);
  }
}

// Prepares what the iteration left due: receives to arm, sends, cancels, frees.
void syncDue() {
  std::vector<Pollable *> &due = U().due;
  for (size_t i = 0; i < due.size(); ++i) {  // a sync may mark others due
    Pollable *p = due[i];
    p->ring &= uint8_t(~kDue);
    switch (p->kind) {
      case Kind::Conn:
        connSync(static_cast<Conn *>(p));
        break;
      case Kind::Listener:
        listenerSync(static_cast<Listener *>(p));
        break;
      case Kind::Dns:
        dnsSync(p);
        break;
      case Kind::Waker:
        break;
    }
  }
  due.clear();
}

int waitFor(int64_t timeoutUs) {
  io_uring *ring = &U().ring;
  io_uring_cqe *cqe;
  if (timeoutUs < 0)
    return io_uring_submit_and_wait(ring, 1);
  __kernel_timespec ts{timeoutUs / 1000000, (timeoutUs % 1000000) * 1000};
  return io_uring_submit_and_wait_timeout(ring, &cqe, 1, &ts, nullptr);
}
}  // namespace

bool init() {
  // Made here, disabled, so that its fd exists from the library's start (a program that
  // counts its fds sees no late one); run() enables it on the service thread, which
  // SINGLE_ISSUER and DEFER_TASKRUN make the only one to submit and wait.
  auto *u = new UringLoop();
  unsigned flags = 0;
  if (setUpRing(&u->ring, kEntries, kCqFactor, &flags, IORING_SETUP_R_DISABLED) < 0) {
    delete u;
    return false;
  }
  loop().ring = u;
  return true;
}

void run() {
  Loop &L = loop();
  setUp();
  for (;;) {
    syncDue();
    U().preparedTail.store(U().ring.sq.sqe_tail, std::memory_order_release);
    U().buffers.publish();
    loopFreeDead();
    int64_t timeoutUs = faults::queued() ? 0 : loopTimeoutUs();
    if (__builtin_expect(U().capWait, false) && (timeoutUs < 0 || timeoutUs > 10000))
      timeoutUs = 10000;  // valgrind: the other threads run only between our waits
    events::releaseForWait();
    int r = waitFor(timeoutUs);
    if (__builtin_expect(U().capWait, false))
      sched_yield();  // valgrind switches threads here, never inside io_uring_enter()
    events::acquireAfterWait();
    if (r < 0 && r != -ETIME && r != -EINTR && r != -EBUSY && r != -EAGAIN)
      giveUp("io_uring_enter", -r);
    L.nowUs = os::nowUs();
    L.nowMs = L.nowUs / 1000u;
    reap();
    loopRunPending();
  }
}

void wake() {
  if (Waker *w = g_waker.load(std::memory_order_acquire))
    w->wake();
}

io_uring_sqe *getSqe() {
  io_uring *ring = &U().ring;
  io_uring_sqe *sqe = io_uring_get_sqe(ring);
  while (!sqe) {
    io_uring_submit(ring);
    sqe = io_uring_get_sqe(ring);
  }
  return sqe;
}

void waitSubmitted() {
  // The loop is on its way into io_uring_enter(), or in it: the kernel takes the SQEs first
  // thing there, so this is a wait of microseconds, never one for a user callback.
  // Bounded all the same: an enter the kernel refused (EBUSY, its completion queue in
  // overflow) takes nothing, and the loop then waits for the lock this caller holds.
  const UringLoop &u = U();
  const unsigned want = u.preparedTail.load(std::memory_order_acquire);
  const uint64_t until = os::nowUs() + 10000;
  while (int(io_uring_smp_load_acquire(u.ring.sq.khead) - want) < 0 && os::nowUs() < until)
    sched_yield();
}

void cancelOp(Pollable *p, Op op) {
  io_uring_sqe *sqe = getSqe();
  io_uring_prep_cancel64(sqe, tag(p, op), 0);
  io_uring_sqe_set_data64(sqe, tag(p, OpCancel));
  ++p->ops;
}

void cancelAll(Pollable *p) {
  // By user_data, never by fd: the fd is closed already and its number may be reused.
  if (p->ring & kRecvArmed)
    cancelOp(p, p->kind == Kind::Listener ? OpAccept : OpRecv);
  if ((p->ring & kSendBusy) && p->kind == Kind::Conn)
    cancelOp(p, OpSend);
  if (p->ring & kPollArmed)
    cancelOp(p, OpPoll);
  if (p->kind == Kind::Conn && static_cast<Conn *>(p)->outArmed)
    cancelOp(p, OpWritable);
  p->ring |= kCancelAll;
}

bool watch(Pollable *p, uint32_t events) {
  switch (p->kind) {
    case Kind::Conn:
      // Readiness is the ring's business: consumed() and the ready list then only
      // need to mark the connection due (connProcessReady()).
      static_cast<Conn *>(p)->readable = true;
      static_cast<Conn *>(p)->viaRing = true;  // add() queues, the loop sends
      break;
    case Kind::Listener:
      p->ring |= kWantIn;
      break;
    case Kind::Dns: {
      uint8_t want = ((events & EPOLLIN) ? kWantIn : 0) | ((events & EPOLLOUT) ? kWantOut : 0);
      p->ring = uint8_t((p->ring & ~(kWantIn | kWantOut)) | want);
      break;
    }
    case Kind::Waker:
      return false;
  }
  markDue(p);
  return true;
}

void unwatch(Pollable *p) {
  p->ring &= uint8_t(~(kWantIn | kWantOut));
  if (p->kind == Kind::Dns)
    markDue(p);  // cancels its poll, then frees it
}

}  // namespace asynctcp::backend::uring

#endif  // !defined(ESP_PLATFORM)
