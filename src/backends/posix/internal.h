// The posix backend's internals: the epoll loop and what it polls. The loop
// thread is the service thread, so nothing here needs a lock except wake().
#pragma once

#include <sys/epoll.h>
#include <sys/socket.h>

#include <cstddef>
#include <cstdint>
#include <new>
#include <vector>

#include "backends/backend.h"
#include "backends/posix/sockaddr.h"

namespace asynctcp::backend {

enum class Kind : uint8_t { Waker, Listener, Conn, Dns };

// How the loop waits and moves bytes, chosen once by init() (engine_choice.cpp).
enum class Engine : uint8_t { Epoll, Uring };

// First member of everything registered with epoll; epoll_event.data.ptr points here.
// The io_uring engine keeps its per-fd bookkeeping in the padding after `kind`.
struct Pollable {
  Kind kind;
  uint8_t ops = 0;   // io_uring: operations in flight on fd (the fd stays open until 0)
  uint8_t ring = 0;  // io_uring: what is armed or due (uring/engine.h, RingBits)
  int fd = -1;
  Pollable() = default;
  Pollable(Kind k, int f) : kind(k), fd(f) {}
};

struct SendChunk {
  const char *data;  // points into `owned` or into the caller's memory (zero-copy add)
  size_t len;
  char *owned;  // malloc'd when the chunk holds a copy, else null
  size_t cap;   // capacity of `owned`
  bool more;    // ASYNC_WRITE_FLAG_MORE
};

struct Conn;

// A FIFO of watched connections that share one probe cadence (so it is in
// deadline order), linked through their Tx.
struct WatchQueue {
  Conn *head = nullptr, *tail = nullptr;
};

// The ack tracker's own state (ack_tracker.cpp): connections with bytes sent and not
// yet acknowledged, by when it looks next. Under send pressure a binary min-heap on
// tx->nextProbeUs, otherwise one FIFO per fixed cadence: a pass touches only the
// connections that are due.
struct AckSchedule {
  std::vector<Conn *> heap;
  WatchQueue relaxed, informational;
  std::vector<Conn *> pass;  // what a pass works through while onAck adds to the above
  bool notices = false;      // the kernel reports acks of marked writes
};

// What a connection needs only while it sends, waits for acks or closes:
// allocated then, freed when the connection goes quiet, so an idle connection
// holds no send state.
struct Tx {
  std::vector<SendChunk> queue;  // user-space send queue (when the kernel would block)
  size_t queueHead = 0;
  size_t queued = 0;            // bytes in queue
  uint64_t nextProbeUs = 0;     // when the ack probe looks at this connection next
  uint64_t waitingSinceUs = 0;  // last ack progress while under send pressure
  uint64_t lingerUntil = 0;     // closed by the core: when flushing gives up
  uint32_t probeDelayUs = 0;    // ack probe back-off while the writer waits on acks
  uint8_t tailLooks = 0;        // quick looks left for the rest of a burst (ack_tracker.cpp)
  uint64_t holdUntilUs = 0;     // acks of a write from another thread wait till then (acks::hold)
  // While inAckWatch: in a fixed-cadence queue (watchQueue set, linked by
  // watchPrev/watchNext), else at watchIndex in the pressure heap.
  WatchQueue *watchQueue = nullptr;
  Conn *watchPrev = nullptr, *watchNext = nullptr;
  uint32_t watchIndex = 0;
  msghdr *ringMsg = nullptr;  // io_uring: the SENDMSG in flight (header + iovecs), malloc'd
  uint8_t ringIovs = 0;       // iovecs ringMsg has room for
  char *spare = nullptr;      // io_uring: a sent copy's buffer, kept for the next small write
};

// What epoll watches on a connection, edge-triggered: one event per change.
constexpr uint32_t kConnEvents = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET;

// One per connection, kept to a 48-byte malloc chunk: a server holds thousands.
struct Conn : Pollable {
  explicit Conn(int sock)
      : Pollable{Kind::Conn, sock},
        connecting(false),
        readable(false),
        writable(true),
        reading(true),
        inReadyList(false),
        inAckWatch(false),
        lingering(false),
        finSent(false),
        peerFin(false),
        rdhup(false),
        dead(false),
        viaRing(false),
        promptAcks(false),
        ackDriven(true),
        ackedSilently(false),
        ackMarked(false),
        wroteAfterMark(false),
        noticeUnsure(false),
        inOnAck(false),
        outArmed(false),
        recvWide(false),
        otherThreadWrite(false) {}

  ClientImpl *owner = nullptr;
  uint32_t unacked = 0;  // handed to the kernel, not yet known to be acknowledged by the peer
  uint32_t budget = CONFIG_ASYNC_TCP_SEND_BUFFER;
  Tx *tx = nullptr;
  uint32_t unconsumed = 0;  // delivered to the core, not yet consumed(): the window's fill
  uint8_t failErrno = 0;    // a failure met inside a call, reported from the loop (errno < 256)
  bool connecting : 1;
  bool readable : 1;  // edge seen, not yet drained to EAGAIN
  bool writable : 1;
  bool reading : 1;  // false while the window is full (unconsumed >= kRxWindow)
  bool inReadyList : 1;
  bool inAckWatch : 1;
  bool lingering : 1;  // closed by the core, still flushing
  bool finSent : 1;
  bool peerFin : 1;           // read returned 0
  bool rdhup : 1;             // epoll said the peer's FIN (or an error) is queued
  bool dead : 1;              // fd closed, waiting to be freed
  bool viaRing : 1;           // the io_uring engine moves its bytes (beside dead: one test)
  bool promptAcks : 1;        // the core wants acked() events: probe after writes
  bool ackDriven : 1;         // the user wrote from its last onAck: it waits on acks to send
  bool ackedSilently : 1;     // acks learned without an event since refreshAcks() last asked
  bool ackMarked : 1;         // a write asked the kernel for an ack notice not yet taken
  bool wroteAfterMark : 1;    // bytes went out after the marked write
  bool noticeUnsure : 1;      // a notice was given up for lost: any may be stale, check each
  bool inOnAck : 1;           // its acked() event is running: a write then is ack-driven
  bool outArmed : 1;          // io_uring: a POLLOUT poll waits for room in the socket buffer
  bool recvWide : 1;          // io_uring: its receive's limit is the wide one (nothing held)
  bool otherThreadWrite : 1;  // the write being made comes from another thread (acks::hold)

  size_t queued() const { return tx ? tx->queued : 0; }
  // inFlight() for the backend's own hot paths (the ack probe asks on every write).
  size_t pending() const { return queued() + unacked; }
};

// send_queue.cpp
void txSent(Conn *c, size_t n);  // n bytes of the queue's head went to the kernel
Tx &txOf(Conn *c);               // allocates on first use
void txRelease(Conn *c);         // frees it if nothing needs it any more
void txDrop(Conn *c);            // the connection is gone: frees it with what it still holds
void enqueue(Conn *c, const char *data, size_t n, bool copy, bool more);
int flushQueue(Conn *c);  // sends as much as the kernel takes; 0 or an errno
// The queue's head as iovecs, at most max; *more: the last one's ASYNC_WRITE_FLAG_MORE.
int gatherQueue(const Tx *tx, iovec *iov, int max, bool *more);
void ownQueuedBytes(Conn *c);  // copies what still points into the caller's memory

struct Listener : Pollable {
  ServerImpl *owner = nullptr;  // null once closed (freed after the batch)
  uint16_t port = 0;
  bool wildcard = false;  // bound to any address: a connection's local address varies
  SockAddr bound;
  uint64_t pausedUntil = 0;  // out of epoll until then (fd limit reached)
};

// The one receive buffer's size (Loop::readBuf): the most one recv() takes.
constexpr size_t kReadBufSize = 64 * 1024;
// The receive window kept in user space: past this much delivered and not consumed
// (held by ackLater() or as onPacket pbufs) reading stops, the kernel's window closes
// and the peer is flow-controlled; consumed() resumes it.
constexpr uint32_t kRxWindow = 64 * 1024;

namespace uring {
struct UringLoop;
}

// The loop's shared state, service thread only.
struct Loop {
  Engine engine = Engine::Epoll;
  int epfd = -1;
  Pollable waker{Kind::Waker, -1};
  int spareFd = -1;           // released when accept hits EMFILE, so the connection can be refused
  std::vector<Conn *> ready;  // connections with work left over (fairness, resumed reads)
  AckSchedule ackSchedule;
  // What a pass works through while callbacks add to `ready`; kept, with its
  // capacity, so a pass allocates nothing.
  std::vector<Conn *> readyPass;
  std::vector<Tx *> txPool;       // released send states, reused: one per request otherwise
  std::vector<Conn *> lingering;  // closed by the core, still flushing
  std::vector<Conn *> graveyard;  // freed after the current batch of events
  std::vector<Listener *> closedListeners;
  std::vector<Listener *> pausedListeners;
  uint64_t nowUs = 0;                // taken once per pass, after epoll_wait
  uint64_t nowMs = 0;                // the same in ms: every received message is stamped with it
  uint8_t *readBuf = nullptr;        // kReadBufSize bytes: every connection reads into it
  uring::UringLoop *ring = nullptr;  // the io_uring engine's state (uring/engine.h)
};

// Raw storage rather than a pointer: hot paths reach the loop in one step. Trivial to
// initialise and to destroy, so it needs no constructor at start-up: a global
// constructor elsewhere may start the service before this file's dynamic initialisers
// would run. The Loop is built by init(), on the first public call, and never
// destroyed: the service thread may still run while static destructors do.
alignas(Loop) extern unsigned char g_loopStorage[sizeof(Loop)];  // poll_loop.cpp
inline Loop &loop() {
  return *std::launder(reinterpret_cast<Loop *>(g_loopStorage));
}

// The engine's one branch at the entry points that differ. Without io_uring in the
// build it is a constant and the io_uring paths compile away.
#if defined(ASYNCTCP_URING)
inline bool onUring() {
  return __builtin_expect(loop().engine == Engine::Uring, 0);
}
#else
constexpr bool onUring() {
  return false;
}
#endif

// engine_choice.cpp: ASYNCTCP_ENGINE / setEngine() / the probe decide.
Engine chooseEngine();

// poll_loop.cpp
void loopRunPending();  // runReady .. listenersResume: the work after dispatch, both engines
void loopFreeDead();    // the graveyard and closed listeners
int64_t loopTimeoutUs();
bool pollAdd(Pollable *p, uint32_t events);
void pollDel(Pollable *p);
void markReady(Conn *c);

// conn.cpp
void connHandleEvents(Conn *c, uint32_t events);
void connProcessReady(Conn *c);
void connLingerExpired(Conn *c, uint64_t nowMs);
void connDeferFailure(Conn *c, int err);
// For the io_uring engine, which does the I/O itself and shares the rest.
void connFail(Conn *c, int err);
void connDestroy(Conn *c, bool reset);
void connFinishConnect(Conn *c);
void connFinalize(Conn *c);  // io_uring: no operation left in flight: free it after the batch

// socket_options.cpp
Endpoints endpointsOf(int fd);  // a connected socket's two ends (getsockname, getpeername)

// listener.cpp
void listenerHandleEvents(Listener *l);
void listenersResume(uint64_t nowMs);
void listenerRefuse(Listener *l);  // the fd limit: refuse one, or pause the listener
void listenerAccepted(Listener *l, int fd, const SockAddr *peer);  // a new connection's birth

// dns.cpp
bool dnsInit();
void dnsHandleEvents(Pollable *p, uint32_t events);
int64_t dnsTimeoutMs();
void dnsRun();  // timeouts, and delivery of finished resolutions

// errno_map.cpp
err_t errnoToErr(int e);

}  // namespace asynctcp::backend
