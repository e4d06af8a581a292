// The posix backend's internals: the epoll loop and what it polls. The loop
// thread is the service thread, so nothing here needs a lock except wake().
#pragma once

#include <sys/epoll.h>

#include <cstddef>
#include <cstdint>
#include <vector>

#include "backends/backend.h"

namespace asynctcp::backend {

enum class Kind : uint8_t { Waker, Listener, Conn, Dns };

// First member of everything registered with epoll; epoll_event.data.ptr points here.
struct Pollable {
  Kind kind;
  int fd = -1;
};

struct SendChunk {
  const char *data;  // points into `owned` or into the caller's memory (zero-copy add)
  size_t len;
  char *owned;  // malloc'd when the chunk holds a copy, else null
  size_t cap;   // capacity of `owned`
  bool more;    // ASYNC_WRITE_FLAG_MORE
};

struct Conn : Pollable {
  ClientImpl *owner = nullptr;
  bool connecting = false;
  bool readable = false;  // edge seen, not yet drained to EAGAIN
  bool writable = false;
  bool reading = true;  // false while the core holds the receive side back
  bool inReadyList = false;
  bool inAckWatch = false;
  uint32_t probeDelayUs = 0;  // ack probe back-off while the writer waits on acks
  uint64_t nextProbeUs = 0;   // when the ack probe looks at this connection next
  uint64_t waitingSinceUs = 0;  // last ack progress while under send pressure
  bool closing = false;  // graceful close in progress, core detached
  bool finSent = false;
  bool peerFin = false;  // read returned 0
  bool rdhup = false;    // epoll said the peer's FIN (or an error) is queued
  bool dead = false;     // fd closed, waiting to be freed
  bool noDelay = false;
  bool promptAcks = false;  // the core wants acked() events: probe after writes
  int failErrno = 0;        // a connect that failed synchronously, reported from the loop
  uint64_t lingerUntil = 0;

  std::vector<SendChunk> queue;  // user-space send queue (when the kernel would block)
  size_t queueHead = 0;
  size_t queued = 0;     // bytes in queue
  uint64_t written = 0;  // bytes handed to the kernel
  uint64_t acked = 0;    // bytes the peer acknowledged and the core was told of
  size_t budget = CONFIG_ASYNC_TCP_SEND_BUFFER;
};

struct Listener : Pollable {
  ServerImpl *owner = nullptr;  // null once closed (freed after the batch)
  uint16_t port = 0;
  uint64_t pausedUntil = 0;  // out of epoll until then (fd limit reached)
};

// The loop's shared state, service thread only.
struct Loop {
  int epfd = -1;
  Pollable waker{Kind::Waker, -1};
  int spareFd = -1;           // released when accept hits EMFILE, so the connection can be refused
  std::vector<Conn *> ready;  // connections with work left over (fairness, resumed reads)
  std::vector<Conn *> ackWatch;   // connections with bytes sent and not yet acknowledged
  std::vector<Conn *> lingering;  // closed by the core, still flushing
  std::vector<Conn *> graveyard;  // freed after the current batch of events
  std::vector<Listener *> closedListeners;
  std::vector<Listener *> pausedListeners;
  uint64_t nextAckProbeUs = UINT64_MAX;  // earliest nextProbeUs in ackWatch
  uint64_t nowUs = 0;                    // taken once per pass, after epoll_wait
  uint8_t *readBuf = nullptr;
};

Loop &loop();

// poll_loop.cpp
bool pollAdd(Pollable *p, uint32_t events);
void pollDel(Pollable *p);
void markReady(Conn *c);

// ack_probe.cpp
void watchAcks(Conn *c);  // after a write: learn the peer's acks for it
bool ackProbeDue(Conn *c);  // on an event of the connection: worth a look now?
void probeAcks(uint64_t nowUs);
int64_t ackProbeTimeoutUs(uint64_t nowUs);

// conn.cpp
void connHandleEvents(Conn *c, uint32_t events);
void connProcessReady(Conn *c);
void connProbeAcks(Conn *c);
void connLingerExpired(Conn *c, uint64_t nowMs);
void connDeferFailure(Conn *c, int err);

// listener.cpp
void listenerHandleEvents(Listener *l);
void listenersResume(uint64_t nowMs);

// dns.cpp
bool dnsInit();
void dnsHandleEvents(Pollable *p, uint32_t events);
int64_t dnsTimeoutMs();
void dnsRun();  // timeouts, and delivery of finished resolutions

// errno_map.cpp
err_t errnoToErr(int e);

}  // namespace asynctcp::backend
