// The lwIP backend's event queue. lwIP calls us in its tcpip thread; we must
// never block there (on ESP32 that deadlocked against the service task), so each
// connection or listener is a mailbox: the tcpip thread records what happened
// (data, acked bytes, FIN, error, accepted pcbs) and queues the mailbox once; the
// service thread takes mailboxes in order and turns them into core events.
// Received data is bounded: past CONFIG_ASYNC_TCP_QUEUE_SIZE pending pbufs the
// recv callback returns ERR_MEM and lwIP redelivers later. Nothing is lost.
#pragma once

extern "C" {
#include "lwip/tcp.h"
}

#include <cstdint>
#include <vector>

#include "backends/backend.h"
#include "os/os.h"

namespace asynctcp::backend {

enum class Kind : uint8_t { Conn, Listener };

struct Mailbox {
  Kind kind;
  bool queued = false;      // in the ready list (guarded by the mail lock)
  bool released = false;    // the core let go; freed once out of the ready list
  bool delivering = false;  // service thread: deliver() is running for it
  Mailbox *nextReady = nullptr;
};

struct Conn : Mailbox {
  Conn() { kind = Kind::Conn; }
  // Touched under the tcpip core lock (the tcpip thread holds it in callbacks).
  struct tcp_pcb *pcb = nullptr;
  uint32_t lent = 0;  // receive-window bytes lent to lwIP (conn.cpp, lendWindowByte)
  // Guarded by the mail lock.
  Endpoints *born = nullptr;  // the ends, read in the tcpip thread when the connect completed
  bool connectedPending = false;
  bool finPending = false;
  bool errPending = false;
  err_t err = ERR_OK;
  struct pbuf *rx = nullptr;  // chained received pbufs
  uint32_t rxCount = 0;
  bool refused = false;  // lwIP holds data we refused: in the refused list
  Conn *prevRefused = nullptr, *nextRefused = nullptr;
  uint32_t sentPending = 0;
  // Service thread only.
  ClientImpl *owner = nullptr;
  uint64_t added = 0, acked = 0;
};

struct Listener : Mailbox {
  Listener() { kind = Kind::Listener; }
  struct tcp_pcb *pcb = nullptr;  // core lock
  struct Accepted {
    Conn *conn;
    Endpoints ends;  // read from the pcb in the tcpip thread, where it is free
  };
  std::vector<Accepted> accepted;  // mail lock
  ServerImpl *owner = nullptr;     // service thread
  uint16_t port = 0;
};

// The tcpip core lock: lwIP's raw API is called only while holding it.
//
// Lock order, never the other way round: the core lock (core/service.h), then lwIP's
// tcpip core lock (CoreLock), then the mail lock (mailLock()). The service thread and
// public calls hold the core lock and take CoreLock for a raw-API call. lwIP's own
// thread holds its tcpip core lock while it runs our lwIP callbacks, which take the mail
// lock to record news; it never takes the core lock, so it never waits for the service
// thread (that wait deadlocked ESP32 when the queue was full). CoreLock asserts the order.
class CoreLock {
public:
  CoreLock();
  // Netif set-up (netif.cpp): touches lwIP only, from a thread that need not hold the
  // core lock (the stack starts before the service, a test adds a TAP netif from main).
  struct NetifSetup {};
  explicit CoreLock(NetifSetup);
  ~CoreLock();
  CoreLock(const CoreLock &) = delete;
  CoreLock &operator=(const CoreLock &) = delete;
};

// mailbox.cpp: tcpip thread side (call with the core lock held, as lwIP does).
os::Mutex &mailLock();
bool enqueueLocked(Mailbox *m);  // mail lock held: queue m; true if it was not queued yet
// Records news into m and queues m in one hold of the mail lock. Once the lock is let
// go, the service thread may deliver m and, when the news ends the connection, free
// it: so nothing may touch m after the record, not even to queue it.
template <class Record>
void post(Mailbox *m, Record &&record) {
  bool queuedNow;
  {
    os::LockGuard g(mailLock());
    record();
    queuedNow = enqueueLocked(m);
  }
  if (queuedNow)
    wake();  // the service thread's notifier: a global, not part of m
}
bool isQueued(Mailbox *m);
// False when the queue is full: the caller returns ERR_MEM, and c joins the refused
// list so the service thread asks lwIP for the data as soon as there is room again.
bool rxBudgetTake(Conn *c);
void rxBudgetGive(uint32_t pbufs);
// Service thread: the refused list, oldest refusal first.
bool anyRefused();            // cheap, no lock
Conn *nextRefused();          // its head, while the queue has room
bool stillRefused(Conn *c);   // after asking lwIP for c's data again
void forgetRefused(Conn *c);  // c has nothing refused any more, or is about to be freed
void noteAcceptRefused();     // for stats::acceptsRefused()

// conn.cpp
void installCallbacks(Conn *c);
void deliver(Conn *c);  // service thread: turn the mailbox into events
void freeConn(Conn *c);
void redeliverRefused();  // service thread: hand refused data over now, not at lwIP's timer

// listener.cpp
void deliver(Listener *l);

// netif.cpp on Linux (tcpip thread, loopback netif); stack_esp_idf.cpp on ESP32
bool startStack();

// dns_host.cpp on Linux (c-ares); dns_lwip.cpp on ESP32 (lwIP DNS)
void deliverDns();  // service thread: finished resolutions become events

}  // namespace asynctcp::backend
