// The ready list between the tcpip thread and the service thread, and the
// service thread's loop over it.
#include "backends/lwip/mailbox.h"

#include <cstdlib>

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
};
// Never destroyed: the tcpip and service threads outlive static destructors.
Queue &g_q = *new Queue();

Mailbox *popReady() {
  os::LockGuard g(g_q.lock);
  Mailbox *m = g_q.head;
  if (!m) return nullptr;
  g_q.head = m->nextReady;
  if (!g_q.head) g_q.tail = nullptr;
  m->nextReady = nullptr;
  m->queued = false;
  return m;
}
}  // namespace

CoreLock::CoreLock() { LOCK_TCPIP_CORE(); }
CoreLock::~CoreLock() { UNLOCK_TCPIP_CORE(); }

os::Mutex &mailLock() { return g_q.lock; }

bool isQueued(Mailbox *m) {
  os::LockGuard g(g_q.lock);
  return m->queued;
}

void post(Mailbox *m) {
  {
    os::LockGuard g(g_q.lock);
    if (m->queued) return;
    m->queued = true;
    if (g_q.tail)
      g_q.tail->nextReady = m;
    else
      g_q.head = m;
    g_q.tail = m;
  }
  g_q.notifier.notify();
}

bool rxBudgetTake() {
  os::LockGuard g(g_q.lock);
  if (g_q.rxPbufs >= CONFIG_ASYNC_TCP_QUEUE_SIZE) return false;
  ++g_q.rxPbufs;
  return true;
}

void rxBudgetGive(uint32_t pbufs) {
  os::LockGuard g(g_q.lock);
  g_q.rxPbufs -= pbufs;
}

bool init() {
  static const bool started = startStack();  // once, whichever thread comes first
  return started;
}

void wake() { g_q.notifier.notify(); }

void run() {
  for (;;) {
    g_q.notifier.wait(events::nextTimeoutMs());
    while (Mailbox *m = popReady()) {
      if (m->kind == Kind::Conn)
        deliver(static_cast<Conn *>(m));
      else
        deliver(static_cast<Listener *>(m));
    }
    deliverDns();
    events::loopIteration();
  }
}

}  // namespace asynctcp::backend
