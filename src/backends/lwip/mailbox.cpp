// The ready list between the tcpip thread and the service thread, and the
// service thread's loop over it.
#include "backends/lwip/internal.h"

#include "backends/lwip/lwip_stats.h"

#include <atomic>
#include <cstdlib>
#include <new>

extern "C" {
#include "lwip/tcpip.h"
}

namespace asynctcp::backend {

namespace {
struct Queue {
  os::Mutex lock;
  os::Notifier notifier;
  Mailbox *head = nullptr;  // guarded by lock
  Mailbox *tail = nullptr;
  uint32_t rxPbufs = 0;
  Conn *refusedHead = nullptr;  // oldest refusal first
  Conn *refusedTail = nullptr;
  std::atomic<bool> anyRefused{false};  // read without the lock by the service loop
};
// Raw storage, built by init() before the stack starts: a global constructor may start
// it before this file's dynamic initialisers would run. Never destroyed: the tcpip and
// service threads outlive static destructors.
alignas(Queue) unsigned char g_queueStorage[sizeof(Queue)];
inline Queue &queue() {
  return *std::launder(reinterpret_cast<Queue *>(g_queueStorage));
}

std::atomic<uint64_t> g_rxRefused{0}, g_acceptsRefused{0}, g_rxRedelivered{0};
std::atomic<uint32_t> g_rxQueuedPeak{0};

Mailbox *popReady() {
  os::LockGuard g(queue().lock);
  Mailbox *m = queue().head;
  if (!m)
    return nullptr;
  queue().head = m->nextReady;
  if (!queue().head)
    queue().tail = nullptr;
  m->nextReady = nullptr;
  m->queued = false;
  return m;
}
}  // namespace

CoreLock::CoreLock() {
  ASYNCTCP_ASSERT_CORE_LOCKED();  // the lock order (internal.h)
  LOCK_TCPIP_CORE();
}
CoreLock::CoreLock(NetifSetup) {
  LOCK_TCPIP_CORE();
}
CoreLock::~CoreLock() {
  UNLOCK_TCPIP_CORE();
}

os::Mutex &mailLock() {
  return queue().lock;
}

bool isQueued(Mailbox *m) {
  os::LockGuard g(queue().lock);
  return m->queued;
}

bool enqueueLocked(Mailbox *m) {
  if (m->queued)
    return false;
  m->queued = true;
  if (queue().tail)
    queue().tail->nextReady = m;
  else
    queue().head = m;
  queue().tail = m;
  return true;
}

// Call with the lock held.
void unlinkRefused(Conn *c) {
  (c->prevRefused ? c->prevRefused->nextRefused : queue().refusedHead) = c->nextRefused;
  (c->nextRefused ? c->nextRefused->prevRefused : queue().refusedTail) = c->prevRefused;
  c->prevRefused = c->nextRefused = nullptr;
  c->refused = false;
  queue().anyRefused.store(queue().refusedHead != nullptr, std::memory_order_relaxed);
}

bool rxBudgetTake(Conn *c) {
  bool othersWait;
  {
    os::LockGuard g(queue().lock);
    const bool full = queue().rxPbufs >= CONFIG_ASYNC_TCP_QUEUE_SIZE;
    // Refused connections go first: if fresh data of others could take the room the
    // service thread frees, a refused one might find the queue full at every retry.
    if (!full && (c->refused || !queue().refusedHead)) {
      if (c->refused)
        unlinkRefused(c);
      ++queue().rxPbufs;
      if (queue().rxPbufs > g_rxQueuedPeak.load(std::memory_order_relaxed))
        g_rxQueuedPeak.store(queue().rxPbufs, std::memory_order_relaxed);
      return true;
    }
    g_rxRefused.fetch_add(1, std::memory_order_relaxed);
    if (!c->refused) {
      c->refused = true;
      c->prevRefused = queue().refusedTail;
      (queue().refusedTail ? queue().refusedTail->nextRefused : queue().refusedHead) = c;
      queue().refusedTail = c;
      queue().anyRefused.store(true, std::memory_order_relaxed);
    }
    othersWait = !full;
  }
  if (othersWait)
    queue().notifier.notify();  // there is room: the service thread hands the waiting data over
  return false;
}

void rxBudgetGive(uint32_t pbufs) {
  os::LockGuard g(queue().lock);
  queue().rxPbufs -= pbufs;
}

bool anyRefused() {
  return queue().anyRefused.load(std::memory_order_relaxed);
}

Conn *nextRefused() {
  os::LockGuard g(queue().lock);
  if (queue().rxPbufs >= CONFIG_ASYNC_TCP_QUEUE_SIZE)
    return nullptr;
  return queue().refusedHead;
}

bool stillRefused(Conn *c) {
  os::LockGuard g(queue().lock);
  if (!c->refused)
    g_rxRedelivered.fetch_add(1, std::memory_order_relaxed);
  return c->refused;
}

void forgetRefused(Conn *c) {
  os::LockGuard g(queue().lock);
  if (c->refused)
    unlinkRefused(c);
}

void noteAcceptRefused() {
  g_acceptsRefused.fetch_add(1, std::memory_order_relaxed);
}

bool init() {
  // Once, whichever thread comes first.
  static const bool started = (new (g_queueStorage) Queue(), startStack());
  return started;
}

void wake() {
  queue().notifier.notify();
}

uint64_t eventTimeMs() {
  return os::nowMs();  // one event per connection per wake-up: no batch to share a stamp
}

void run() {
  for (;;) {
    const int64_t timeoutMs = events::nextTimeoutMs();
    events::releaseForWait();
    queue().notifier.wait(timeoutMs);
    events::acquireAfterWait();
    while (Mailbox *m = popReady()) {
      if (m->kind == Kind::Conn)
        deliver(static_cast<Conn *>(m));
      else
        deliver(static_cast<Listener *>(m));
      redeliverRefused();  // the delivery made room in the queue
    }
    redeliverRefused();
    deliverDns();
    events::loopIteration();
  }
}

}  // namespace asynctcp::backend

namespace asynctcp::backend::stats {
uint64_t rxRefused() {
  return g_rxRefused.load(std::memory_order_relaxed);
}
uint32_t rxQueuedPeak() {
  return g_rxQueuedPeak.load(std::memory_order_relaxed);
}
uint64_t rxRedelivered() {
  return g_rxRedelivered.load(std::memory_order_relaxed);
}
uint64_t acceptsRefused() {
  return g_acceptsRefused.load(std::memory_order_relaxed);
}
}  // namespace asynctcp::backend::stats
