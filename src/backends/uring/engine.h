// The io_uring engine of the posix backend: the posix Conn, Listener, send queue, ack
// tracker, socket options and DNS stay; only how bytes move and how the loop waits
// differ. The backend's entry points call in here behind one branch (onUring()).
// All ring operations are prepared on the service thread, in the loop (syncDue()): the
// ring is SINGLE_ISSUER, and a public call from another thread only marks what is due.
#pragma once

#include <liburing.h>

#include <atomic>
#include <cstdint>
#include <vector>

#include "backends/posix/internal.h"
#include "backends/uring/buffer_ring.h"
#include "backends/uring/waker.h"

namespace asynctcp::backend::uring {

// What a completion is for: the low bits of its user_data; the rest is the Pollable
// (heap-allocated, so 16-aligned), which stays allocated while Pollable::ops > 0. A closed
// fd is closed at once, as on epoll (the operations in flight hold the socket itself):
// so nothing is ever cancelled by fd, whose number the next socket may take.
enum Op : uint64_t { OpWake = 1, OpRecv, OpSend, OpAccept, OpPoll, OpCancel, OpWritable };
constexpr uint64_t kOpMask = 7;
inline uint64_t tag(Pollable *p, Op op) {
  return reinterpret_cast<uintptr_t>(p) | op;
}

// Pollable::ring bits.
enum RingBits : uint8_t {
  kRecvArmed = 1,   // Conn: multishot receive; Listener: multishot accept; Dns: POLLIN poll
  kRecvCancel = 2,  // its cancel is on the way
  kSendBusy = 4,    // Conn: a SENDMSG in flight; Dns: the poll includes POLLOUT
  kPollArmed = 8,   // Conn: the connect's POLLOUT poll; Dns: a poll in flight
  kDue = 16,        // in UringLoop::due
  kCancelAll = 32,  // closing: every operation on the fd cancelled
  kWantIn = 64,     // Listener: accepting (not paused); Dns: c-ares wants to read
  kWantOut = 128,   // Dns: c-ares wants to write
};

constexpr uint16_t kBufferGroup = 0;

struct UringLoop {
  io_uring ring{};
  BufferRing buffers;
  Waker waker;
  bool ready = false;           // run() set the ring up
  bool socketCommands = false;  // SIOCOUTQ as a ring command (unused yet: ioctl)
  bool recvLimit = false;       // multishot receives end at the window's edge (kernel 6.17)
  bool capWait = false;         // under valgrind: every wait ends within 10 ms
  std::vector<Pollable *> due;  // what syncDue() looks at before the next submit
  // The SQ tail once syncDue() prepared the pass's operations (under the core lock).
  std::atomic<unsigned> preparedTail{0};
};

inline UringLoop &U() {
  return *loop().ring;
}

bool init();  // from backend::init(): the state and the ring, enabled by run()
[[noreturn]] void run();
void wake();
bool watch(Pollable *p, uint32_t events);  // pollAdd's half
void unwatch(Pollable *p);                 // pollDel's half
void closeListener(Listener *l);

inline void markDue(Pollable *p) {
  if (p->ring & kDue)
    return;
  p->ring |= kDue;
  U().due.push_back(p);
}

io_uring_sqe *getSqe();  // a free SQE, submitting what is queued when the ring is full
// Another thread, holding the core lock: returns once the kernel has taken every operation
// the loop prepared (between preparing and submitting, the loop lets the lock go).
void waitSubmitted();
void cancelOp(Pollable *p, Op op);
void cancelAll(Pollable *p);  // what is armed on a closed Pollable, by user_data

// conn_ops.cpp
void connComplete(Conn *c, Op op, int res, unsigned flags);
void connSync(Conn *c);
// listener_ops.cpp
void listenerComplete(Listener *l, Op op, int res, unsigned flags);
void listenerSync(Listener *l);
// dns_polls.cpp
void dnsComplete(Pollable *p, Op op, int res);
void dnsSync(Pollable *p);

}  // namespace asynctcp::backend::uring
