// The state of one AsyncClient, owned by the service thread. It outlives the
// AsyncClient when the user deletes the client inside a callback: the dispatch
// code checks `owner` after every callback and the service frees it later.
//
// A server holds one of these per connection, so it is kept small (one 128-byte
// malloc chunk): what most connections never use lives out of line (ClientExtra).
#pragma once

#include <cstdint>
#include <functional>
#include <utility>

#include "AsyncTCP.h"
#include "backends/backend.h"
#include "core/handlers.h"
#include "core/service.h"

namespace asynctcp {

struct ClientTls;

// What few connections need: DNS, v6 addresses, TLS, settings away from their default.
struct ClientExtra {
  ClientExtra() = default;
  ~ClientExtra();
  ClientExtra(const ClientExtra &) = delete;
  ClientExtra &operator=(const ClientExtra &) = delete;
  ClientTls *tls = nullptr;  // TLS settings, and the session of a secure connection
  backend::DnsQuery *dns = nullptr;
  uint16_t connectPort = 0;
  uint32_t rxTimeoutS = 0;
  uint32_t connectTimeoutMs = CONFIG_ASYNC_TCP_CONNECT_TIMEOUT_MS;
  size_t sendBuffer = 0;        // when it does not fit ClientImpl's 32 bits
  IPAddress localIp, remoteIp;  // when either is not v4
};

struct ClientImpl {
  explicit ClientImpl(AsyncClient *o)
      : owner(o),
        noDelay(false),
        ackNow(true),
        finHeld(false),
        endPending(false),
        txPending(false),
        addrInExtra(false),
        pushPending(false),
        secure(false) {}
  ~ClientImpl();
  ClientImpl(const ClientImpl &) = delete;
  ClientImpl &operator=(const ClientImpl &) = delete;

  AsyncClient *owner;  // null once the user deleted the client
  backend::Conn *conn = nullptr;
  ClientExtra *extra = nullptr;

  // The user's callbacks. Its tail padding holds the fields below (no_unique_address),
  // so the struct keeps to its chunk.
  [[no_unique_address]] Handlers handlers;
  template <Ev K, class... A>
  [[gnu::always_inline]] inline bool callHandler(A... a);  // runs K's handler; whether one ran

  // Timestamps: the low 32 bits of os::nowMs(), all in the past, so a 64-bit
  // time is recovered from their age (see since()). Reset on every connect so a
  // reused client never sees stale ones.
  uint32_t lastPollAt = 0;  // while connecting: when the connect started
  uint32_t lastRxAt = 0;
  uint32_t txPendingSince = 0;  // valid while txPending

  // Settings (kept across reconnects, as on ESP32).
  uint32_t ackTimeoutMs = CONFIG_ASYNC_TCP_MAX_ACK_TIME;
  uint32_t pollIntervalMs = CONFIG_ASYNC_TCP_POLL_INTERVAL_MS;
  uint32_t sendBuffer32 = CONFIG_ASYNC_TCP_SEND_BUFFER;  // UINT32_MAX: see extra

  uint32_t rxHeld = 0;               // received, held back by ackLater()/onPacket, not yet acked
  uint32_t trackIndex = UINT32_MAX;  // position in the service's timer list

  // Kept after the connection ends so onDisconnect can still read them (v4
  // here; otherwise in extra, with addrInExtra set).
  uint32_t localIp4 = 0, remoteIp4 = 0;
  uint16_t localPort = 0, remotePort = 0;

  int16_t lastErrno = 0;
  uint8_t state = CLOSED;
  err_t endErr = ERR_OK;
  bool noDelay : 1;
  bool ackNow : 1;      // cleared by ackLater() for the current delivery
  bool finHeld : 1;     // the peer's FIN, waiting behind data held by ackLater()
  bool endPending : 1;  // onError/onDisconnect scheduled
  bool txPending : 1;   // sent data not yet acknowledged: txPendingSince runs
  bool addrInExtra : 1;
  bool pushPending : 1;  // add() without send(): pushed when the current callback returns
  bool secure : 1;       // the connection runs TLS: bytes pass through extra->tls's session

public:
  // Settings and addresses.
  uint32_t rxTimeoutS() const { return extra ? extra->rxTimeoutS : 0; }
  void setRxTimeout(uint32_t s);
  uint32_t connectTimeoutMs() const {
    return extra ? extra->connectTimeoutMs : CONFIG_ASYNC_TCP_CONNECT_TIMEOUT_MS;
  }
  void setConnectTimeout(uint32_t ms);
  size_t sendBuffer() const {
    return sendBuffer32 == UINT32_MAX ? extra->sendBuffer : sendBuffer32;
  }
  void setSendBuffer(size_t bytes);
  IPAddress localIp() const;
  IPAddress remoteIp() const;
  backend::DnsQuery *dns() const { return extra ? extra->dns : nullptr; }
  ClientExtra &ensureExtra();

  // Starting.
  // tlsServer: a secure server's connection, whose handshake runs before onClient.
  void attachAccepted(backend::Conn *c, const backend::Endpoints &ends, bool serverNoDelay,
                      ServerImpl *tlsServer);
  // secure: TLS over the connection (host: the name its certificate must carry).
  bool connectTo(const IPAddress &ip, uint16_t port, bool secure = false,
                 const char *host = nullptr);
  bool connectToHost(const char *host, uint16_t port, bool secure = false);

  // Stopping.
  void close();
  void abort(err_t reason);
  // A connection, a connect or a name lookup that has not ended yet.
  bool live() const { return conn || dns() || state != CLOSED; }
  void detachOwner();  // the user deleted the AsyncClient
  void deliverEnd();   // called by the service: onError, then onDisconnect

  // Sending and receiving.
  size_t add(const char *data, size_t size, uint8_t flags, bool pushNow) {  // inline: every write
    if (!data || !size || state != ESTABLISHED || !conn)
      return 0;
#if ASYNCTCP_TLS
    if (secure)
      return tlsAdd(data, size, flags, pushNow);
#endif
    size_t n = backend::add(conn, data, size, flags, pushNow);
    if (n && pushNow)
      noteSent();
    else if (n && !pushPending)
      schedulePush();
    return n;
  }
  bool send();
  size_t space() const;  // in plaintext on a secure connection
  size_t ack(size_t len);
  void release(size_t len);  // held data acknowledged: consumed, as far as the backend knows

  // Events from the backend.
  void onConnected(const backend::Endpoints &ends);
  // Inlined into events::received (its one caller, in client_impl.cpp): every message.
  // Returns the bytes held (ackLater(), onPacket): the rest is consumed already.
  [[gnu::always_inline]] inline size_t onReceived(const uint8_t *data, size_t len);
  void onReceivedPackets(struct pbuf *chain);
  // onData for one piece; true if ackLater() held it: both receive paths.
  [[gnu::always_inline]] inline bool deliverData(void *data, size_t len);
  [[gnu::noinline]] size_t deliverPackets(const uint8_t *data, size_t len);  // onPacket set
  // onData or onPacket for received bytes; returns the bytes held. deliverPlaintext() is
  // its out-of-line form, for the bytes TLS decrypted.
  [[gnu::always_inline]] inline size_t deliverBytes(const uint8_t *data, size_t len);
  [[gnu::noinline]] size_t deliverPlaintext(const uint8_t *data, size_t len);
  void onFin();
  void onAcked(size_t len);
  void onFailed(err_t err, int sysErr);
  void onResolved(const IPAddress *ip);

  // TLS (src/tls/client_tls.cpp): the connection's bytes through its session.
  ClientTls &ensureTls();
  void tlsAccept(ServerImpl *server);  // an accepted connection of a secure server
  void *tlsNative() const;             // getSSL()

  // Timers: fires what is due; returns the next deadline (UINT64_MAX: none).
  uint64_t nextDeadline(uint64_t now) const;
  void fireTimers(uint64_t now);
  void restartPoll(uint64_t now) {
    if (state != SYN_SENT)  // there lastPollAt times the connect
      lastPollAt = uint32_t(now);
  }

  // A stored timestamp as a full os::nowMs() value, given now.
  static uint64_t since(uint32_t stamp, uint64_t now) {
    return now - uint32_t(uint32_t(now) - stamp);
  }

private:
  size_t tlsAdd(const char *data, size_t size, uint8_t flags, bool pushNow);
  size_t tlsSpace() const;
  bool tlsStart();  // TCP is up: the client's first flight
  [[gnu::noinline]] size_t tlsReceived(const uint8_t *data, size_t len);
  size_t tlsAcked(size_t cipherLen);
  void tlsRelease(size_t plainLen);
  void tlsFlush(uint8_t flags, bool pushNow);
  void tlsFail();
  void tlsEstablished();
  void tlsGoodbye();          // close_notify ahead of a graceful close
  void tlsConsumeAll();       // before a close: every ciphertext byte read (no RST for it)
  bool tlsDropUnannounced();  // an accepted connection that never reached onClient
  void closeConn();           // graceful close of conn, with close_notify over TLS

  bool prepareTls(bool tls, const char *host);
  void beginConnection(uint64_t now);
  void end(err_t err);
  void setAddresses(const IPAddress &local, uint16_t lport, const IPAddress &remote,
                    uint16_t rport);
  backend::ConnOptions options() const;  // what a new connection starts with
  void noteSent() {
    if (!txPending)
      startAckTimer();
  }
  void startAckTimer();
  void schedulePush();
  void setDns(backend::DnsQuery *q) {
    ensureExtra().dns = q;
  }
};

// AsyncClient::connect(host, port[, secure]): an address literal, or a name to resolve.
bool connectHost(ClientImpl *impl, const char *host, uint16_t port, bool secure);

// ---- handlers ----

// The handler runs without the core lock (Service::runCallback): what it needs is read
// before. Another thread replacing this client's handlers or deleting it waits for the
// callback to end (Service::waitOutCallbacksOf), so the handler stays valid.
template <Ev K, class... A>
bool ClientImpl::callHandler(A... a) {
  AsyncClient *const user = owner;
  return handlers.with<K>(
      [&](const auto &fn, void *arg) { Service::runCallback(this, [&] { fn(arg, user, a...); }); });
}

}  // namespace asynctcp
