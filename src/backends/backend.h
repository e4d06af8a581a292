// The one interface a network stack implements for the core, and the events it
// emits back. Exactly one backend is linked (chosen at build time), so these are
// plain functions: no virtual calls on the data path.
//
// Threading: every function here is called on the service thread, except wake(),
// which any thread may call. Every event is emitted on the service thread, from
// the backend's loop, never from inside one of the calls below (so no user
// callback ever runs inside a public method). A backend never calls a user
// callback itself; it calls the core's events below.
#pragma once

#include <cstddef>
#include <cstdint>

#include "AsyncTCP.h"

namespace asynctcp {

struct ClientImpl;
struct ServerImpl;

namespace backend {

struct Conn;      // one TCP connection (connecting or connected)
struct Listener;  // one listening socket
struct DnsQuery;  // one host-name resolution in flight

// ---- loop ----
bool init();  // once, before run(); may be called from any thread
void run();   // the service thread's body; never returns
void wake();  // any thread: make the loop call events::loopIteration() soon
// When the events being delivered were collected (the loop's last wake-up, or
// now): never in the future, so stamps taken from it keep since() exact, and
// cheaper than a clock read for every read event.
uint64_t eventTimeMs();
// Which engine moves the bytes ("io_uring", "epoll", "lwip"); after init().
const char *engineName();
// Before init(): "io_uring", "epoll" or "auto" (the default, or ASYNCTCP_ENGINE).
// False for another name, on a stack with one engine, or once init() has run.
bool requestEngine(const char *name);

// ---- listeners ----
struct ListenResult {
  Listener *listener;
  err_t err;
  int sysErr;
};
// anyAddress: listen on every v4 and v6 address (ip is ignored).
ListenResult listen(const IPAddress &ip, bool anyAddress, uint16_t port, ServerImpl *owner);
uint16_t listenerPort(Listener *l);
void closeListener(Listener *l);  // no events for it after this call

// ---- connections ----
// A connection's two ends, as the backend learnt them when it was born.
struct Endpoints {
  IPAddress local, remote;
  uint16_t localPort = 0, remotePort = 0;
};

struct ConnectResult {
  Conn *conn;
  err_t err;
  int sysErr;
};
// What the core gives a connection when it is made: the backend applies it itself.
struct ConnOptions {
  bool noDelay = false;
  bool ackEvents = false;  // see setAckEvents()
  size_t sendBudget = 0;   // see setSendBudget(); 0: the stack's default
};
ConnectResult connect(const IPAddress &ip, uint16_t port, ClientImpl *owner,
                      const ConnOptions &options);
// An accepted connection's owner and options. The core calls it inside events::accepted(),
// before any user code runs: the one call back into the backend at a connection's birth
// (its owner exists only once the core has made it).
void adopt(Conn *c, ClientImpl *owner, const ConnOptions &options);

// Send side. space() is the free room in the send budget: bytes queued here or
// sent and not yet acknowledged by the peer count against it.
size_t space(Conn *c);
void setSendBudget(Conn *c, size_t bytes);  // stacks with a fixed send buffer ignore it
size_t inFlight(Conn *c);  // queued + sent-but-unacknowledged bytes, as last learned
// Whether the core needs acked() events as they happen (the user set onAck). Without
// them a stack may learn acks lazily, when space() or refreshAcks() asks.
void setAckEvents(Conn *c, bool on);
bool refreshAcks(Conn *c);  // learn acks now (silently); true if the peer acked more since the last
                            // call, however learned
// Queues up to space() bytes; with pushNow, sends at once (the write() path, which
// may then skip the copy of what the kernel takes immediately).
size_t add(Conn *c, const char *data, size_t size, uint8_t flags, bool pushNow);
// A flag of add() beside the ASYNC_WRITE_FLAG_* ones: the user wrote from a thread other
// than the service thread (loop(), on ESP32). Its acks are not to be hurried: on ESP32
// they come a network round trip after write() returned, and code there updates its own
// count of bytes in flight after write() returns (ESP32Async's AsyncSend example).
constexpr uint8_t kWriteFromOtherThread = 0x80;
err_t send(Conn *c);

// Receive side: the one flow-control call, lwIP's tcp_recved contract. The user is
// done with len received bytes (onData returned without ackLater(), ack(), ackPacket()).
// A backend takes no more than its window of delivered, unconsumed bytes from the
// peer, and consumed() opens the window again.
void consumed(Conn *c, size_t len);

// Both end the core's view of the connection: no event for it after the call.
void close(Conn *c);  // graceful: queued data is still sent, then FIN
void abort(Conn *c);  // RST now; queued data is dropped

void setNoDelay(Conn *c, bool on);
bool getNoDelay(Conn *c);
void setKeepAlive(Conn *c, uint32_t ms, uint8_t count);
uint16_t mss(Conn *c);

// ---- name resolution ----
DnsQuery *resolve(const char *host, ClientImpl *owner);
void cancel(DnsQuery *q);  // no event for it after this call
bool setDnsServers(const char *csv);

// ---- packets for onPacket, on stacks that deliver plain bytes ----
struct pbuf *allocPacket(const void *data, size_t len);

}  // namespace backend

// Events the backend emits, implemented by the core.
namespace events {
// A connection is born (accepted, or its connect completed), with both its ends.
void accepted(ServerImpl *server, backend::Conn *conn, const backend::Endpoints &ends);
void connected(ClientImpl *client, const backend::Endpoints &ends);
// Bytes the backend keeps; returns how many of them the user holds (consumed() comes for
// those later). The rest were consumed in the call: no consumed() comes for them.
size_t received(ClientImpl *client, const uint8_t *data, size_t len);
void receivedPackets(ClientImpl *client, struct pbuf *chain);  // the stack's pbufs, handed over
void finReceived(ClientImpl *client);
void acked(ClientImpl *client, size_t len);
// The connection is dead and the backend has already let go of it.
void failed(ClientImpl *client, err_t err, int sysErr);
void resolved(ClientImpl *client, const IPAddress *ip);  // null: the name did not resolve

// Loop hooks: the core's own work (timers, ends and pushes left by calls from other threads).
int64_t nextTimeoutMs();  // -1: nothing scheduled
void loopIteration();
// The service thread holds the core lock except while it waits for events: a backend's
// loop lets it go just before its wait and takes it back right after.
void releaseForWait();
void acquireAfterWait();
}  // namespace events

}  // namespace asynctcp
