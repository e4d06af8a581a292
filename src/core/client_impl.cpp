// AsyncClient's state machine on the service thread: starting, ending (exactly
// one onDisconnect per connection), and the events the backend reports.
#include "core/client_impl.h"

#include "core/service.h"
#include "ip/ip_bytes.h"
#include "os/os.h"
#if ASYNCTCP_TLS
#include "tls/tls_state.h"
#endif

namespace asynctcp {

// One 128-byte malloc chunk on 64-bit glibc (what a server pays per connection).
static_assert(sizeof(void *) != 8 || sizeof(ClientImpl) <= 120, "ClientImpl outgrew its chunk");

ClientImpl::~ClientImpl() {
  delete extra;
}

ClientExtra::~ClientExtra() {
#if ASYNCTCP_TLS
  delete tls;
#endif
}

ClientExtra &ClientImpl::ensureExtra() {
  if (!extra)
    extra = new ClientExtra();
  return *extra;
}

void ClientImpl::setRxTimeout(uint32_t s) {
  if (s || extra)
    ensureExtra().rxTimeoutS = s;
}

void ClientImpl::setConnectTimeout(uint32_t ms) {
  if (ms != CONFIG_ASYNC_TCP_CONNECT_TIMEOUT_MS || extra)
    ensureExtra().connectTimeoutMs = ms;
}

void ClientImpl::setSendBuffer(size_t bytes) {
  if (bytes < UINT32_MAX) {
    sendBuffer32 = uint32_t(bytes);
    return;
  }
  ensureExtra().sendBuffer = bytes;
  sendBuffer32 = UINT32_MAX;
}

void ClientImpl::setAddresses(const IPAddress &local, uint16_t lport, const IPAddress &remote,
                              uint16_t rport) {
  localPort = lport;
  remotePort = rport;
  addrInExtra = isIpv6(local) || isIpv6(remote);
  if (addrInExtra) {
    ensureExtra().localIp = local;
    extra->remoteIp = remote;
    return;
  }
  localIp4 = uint32_t(local);
  remoteIp4 = uint32_t(remote);
}

IPAddress ClientImpl::localIp() const {
  return addrInExtra ? extra->localIp : IPAddress(localIp4);
}

IPAddress ClientImpl::remoteIp() const {
  return addrInExtra ? extra->remoteIp : IPAddress(remoteIp4);
}

void ClientImpl::beginConnection(uint64_t now) {
  rxHeld = 0;
  ackNow = true;
  finHeld = false;
  endErr = ERR_OK;
  lastErrno = 0;
  lastRxAt = uint32_t(now);
  txPending = false;
  lastPollAt = uint32_t(now);  // while connecting, the connect deadline runs from here
  Service::instance().track(this, now);
}

void ClientImpl::attachAccepted(backend::Conn *c, const backend::Endpoints &ends,
                                bool serverNoDelay, ServerImpl *tlsServer) {
  conn = c;
  noDelay = serverNoDelay;
  secure = tlsServer != nullptr;
  backend::adopt(c, this, options());
  state = secure ? SYN_RCVD : ESTABLISHED;  // SYN_RCVD: in its TLS handshake
  setAddresses(ends.local, ends.localPort, ends.remote, ends.remotePort);
  beginConnection(os::nowMs());
#if ASYNCTCP_TLS
  if (tlsServer)
    tlsAccept(tlsServer);
#endif
}

backend::ConnOptions ClientImpl::options() const {
  backend::ConnOptions o;
  o.noDelay = noDelay;
  // A secure connection needs every ack: they move its ciphertext queue and map to plaintext.
  o.ackEvents = handlers.has(Ev::Ack) || secure;
  o.sendBudget = sendBuffer();
  return o;
}

// A new connection's TLS: its session is made once TCP is up (tlsStart()).
bool ClientImpl::prepareTls(bool tls, const char *host) {
#if ASYNCTCP_TLS
  secure = tls;
  if (tls || (extra && extra->tls)) {
    ClientTls &t = ensureTls();
    t.resetConnection();
    t.host = host;
  }
  return true;
#else
  (void)host;
  return !tls;  // built without TLS
#endif
}

bool ClientImpl::connectTo(const IPAddress &ip, uint16_t port, bool tls, const char *host) {
  if (state != CLOSED || endPending || dns())
    return false;
  if (!prepareTls(tls, host ? host : ip.toString().c_str()))
    return false;
  backend::ConnectResult r = backend::connect(ip, port, this, options());
  if (!r.conn) {
    // Could not even start (bad address, no fds): a false return, no callbacks.
    lastErrno = int16_t(r.sysErr);
    return false;
  }
  conn = r.conn;
  setAddresses(localIp(), localPort, ip, port);
  state = SYN_SENT;
  beginConnection(os::nowMs());
  return true;
}

bool ClientImpl::connectToHost(const char *host, uint16_t port, bool tls) {
  if (state != CLOSED || endPending || dns())
    return false;
  if (!prepareTls(tls, host))
    return false;
  backend::DnsQuery *q = backend::resolve(host, this);
  if (!q)
    return false;
  setDns(q);
  extra->connectPort = port;
  state = SYN_SENT;  // connecting() is true while the name resolves
  beginConnection(os::nowMs());
  return true;
}

void ClientImpl::onResolved(const IPAddress *ip) {
  extra->dns = nullptr;
  if (!ip) {
    end(ASYNC_TCP_ERR_DNS);
    return;
  }
  backend::ConnectResult r = backend::connect(*ip, extra->connectPort, this, options());
  if (!r.conn) {
    lastErrno = int16_t(r.sysErr);
    end(r.err);
    return;
  }
  conn = r.conn;
  setAddresses(localIp(), localPort, *ip, extra->connectPort);
}

void ClientImpl::onConnected(const backend::Endpoints &ends) {
  setAddresses(ends.local, ends.localPort, ends.remote, ends.remotePort);
#if ASYNCTCP_TLS
  if (secure) {  // onConnect waits for the handshake; the connect timeout still runs
    tlsStart();
    return;
  }
#endif
  state = ESTABLISHED;  // the options were the backend's to apply, at connect()
  uint64_t now = os::nowMs();
  lastRxAt = uint32_t(now);
  lastPollAt = uint32_t(now);
  Service::instance().armTimer(nextDeadline(now));
  callHandler<Ev::Connect>();
}

// The user owns each packet until ackPacket(); it counts as held until then.
// pbuf lengths are 16-bit, so a large read becomes several packets.
size_t ClientImpl::deliverPackets(const uint8_t *data, size_t len) {
  size_t held = 0;
  while (len && owner && conn) {
    size_t n = len < 0xFFFF ? len : 0xFFFF;
    struct pbuf *pb = backend::allocPacket(data, n);
    if (!pb) {
      abort(ERR_MEM);
      break;
    }
    rxHeld += uint32_t(n);
    held += n;
    callHandler<Ev::Packet>(pb);
    data += n;
    len -= n;
  }
  return held;
}

// Flow control is the backend's: it stops taking data at its window of bytes not yet
// consumed, and consumed() opens it. What the core keeps is ESP32's contract: held
// bytes count in rxHeld, so ack() never acks more than was held. Returns whether
// ackLater() held the piece (the caller consumes it otherwise).
bool ClientImpl::deliverData(void *data, size_t len) {
  ackNow = true;
  callHandler<Ev::Data>(data, len);
  if (owner && !ackNow) {
    rxHeld += uint32_t(len);
    return true;
  }
  return false;
}

size_t ClientImpl::deliverBytes(const uint8_t *data, size_t len) {
  if (handlers.has(Ev::Packet))
    return deliverPackets(data, len);
  return deliverData(const_cast<uint8_t *>(data), len) ? len : 0;
}

size_t ClientImpl::onReceived(const uint8_t *data, size_t len) {
  // The rx timeout counts whole seconds: the loop's wake-up time is close enough,
  // and no later than the clock the timers read.
  lastRxAt = uint32_t(backend::eventTimeMs());
#if ASYNCTCP_TLS
  if (secure)
    return tlsReceived(data, len);
#endif
  return deliverBytes(data, len);
}

size_t ClientImpl::deliverPlaintext(const uint8_t *data, size_t len) {
  return deliverBytes(data, len);
}

void ClientImpl::onReceivedPackets(struct pbuf *chain) {
  lastRxAt = uint32_t(backend::eventTimeMs());
  // One pbuf at a time, as the ESP32 library delivers them.
  while (chain) {
    struct pbuf *b = chain;
    chain = b->next;
    b->next = nullptr;
    b->tot_len = b->len;
    if (!owner || !conn) {
      pbuf_free(b);
      continue;
    }
#if ASYNCTCP_TLS
    if (secure) {  // ciphertext: what the user does not hold is consumed now
      const size_t len = b->len;
      extra->tls->cipherInDelivery = len;  // a close in a callback consumes it first
      const size_t held = tlsReceived(static_cast<const uint8_t *>(b->payload), len);
      pbuf_free(b);
      extra->tls->cipherInDelivery = 0;
      if (conn && len > held)
        backend::consumed(conn, len - held);
      continue;
    }
#endif
    if (handlers.has(Ev::Packet)) {
      rxHeld += b->len;
      callHandler<Ev::Packet>(b);
      continue;
    }
    if (!deliverData(b->payload, size_t(b->len)) && owner && conn)
      backend::consumed(conn, b->len);
    pbuf_free(b);
  }
}

void ClientImpl::onFin() {
  // ESP32 semantics: a peer FIN closes the connection; what was already
  // accepted for sending still goes out before our FIN. Data the user holds
  // back with ackLater() comes first: the FIN waits until it is acked, so a
  // flow-controlled echo can still answer everything it received.
#if ASYNCTCP_TLS
  if (secure && state != ESTABLISHED) {  // the peer left in the middle of the handshake
    backend::close(conn);
    conn = nullptr;
    end(ERR_CLSD);
    return;
  }
#endif
  if (rxHeld > 0) {
    finHeld = true;
    return;
  }
  close();
}

void ClientImpl::onAcked(size_t len) {
#if ASYNCTCP_TLS
  if (secure)
    len = tlsAcked(len);  // plaintext whose records the peer has all of; 0 for the rest
#endif
  uint64_t now = os::nowMs();
  uint32_t rtt = txPending ? uint32_t(now) - txPendingSince : 0;
  txPending = backend::inFlight(conn) != 0;
  txPendingSince = uint32_t(now);
  // An ack restarts the rx timeout, as ESP32's sent callback does: a peer still taking
  // a long response is not idle (ESPAsyncWebServer sets a 3 s rx timeout per request).
  lastRxAt = uint32_t(now);
  if (len)
    callHandler<Ev::Ack>(len, rtt);
}

void ClientImpl::onFailed(err_t err, int sysErr) {
  conn = nullptr;  // the backend has already let go of it
  lastErrno = int16_t(sysErr);
  end(err);
}

void ClientImpl::end(err_t err) {
  if (!live())
    return;  // never started, or already ended
#if ASYNCTCP_TLS
  if (secure && tlsDropUnannounced())
    return;
#endif
  if (dns()) {
    backend::cancel(extra->dns);
    extra->dns = nullptr;
  }
  state = CLOSED;
  Service &svc = Service::instance();
  svc.untrack(this);
  endErr = err;
  svc.scheduleEnd(this);
}

void ClientImpl::closeConn() {
#if ASYNCTCP_TLS
  if (secure) {
    tlsConsumeAll();
    tlsGoodbye();
  }
#endif
  backend::close(conn);
  conn = nullptr;
}

void ClientImpl::close() {
  if (conn)
    closeConn();
  end(ERR_OK);
}

void ClientImpl::abort(err_t reason) {
  if (conn) {
    backend::abort(conn);
    conn = nullptr;
  }
  end(reason);
}

void ClientImpl::deliverEnd() {
  if (endErr != ERR_OK && callHandler<Ev::Error>(int8_t(endErr)) && !owner)
    return;
  callHandler<Ev::Disconnect>();
}

void ClientImpl::detachOwner() {
  owner = nullptr;
  Service &svc = Service::instance();
  svc.cancelEnd(this);
  if (pushPending)
    send();  // before the graceful close below, as the user left it
  if (dns()) {
    backend::cancel(extra->dns);
    extra->dns = nullptr;
  }
  if (conn) {
    // Deleting a connected client closes it gracefully, as ESP32's destructor does.
    closeConn();
  }
  state = CLOSED;
  svc.untrack(this);
  svc.retire(this);
}

// ESP32 code may add() and never send(): lwIP still sends the data at its next
// tcp_output (after the callback that received data, or on its timer), so such code
// works there. The same here: what is left unpushed goes out when the callback returns.
void ClientImpl::schedulePush() {
  pushPending = true;
  Service::instance().schedulePush(this);
}

bool ClientImpl::send() {
  pushPending = false;
  if (state != ESTABLISHED || !conn)
    return false;
  if (backend::send(conn) != ERR_OK)
    return false;
  noteSent();
  return true;
}

void ClientImpl::startAckTimer() {  // something just went out: the ack timeout runs from now
  uint64_t now = os::nowMs();
  txPending = true;
  txPendingSince = uint32_t(now);
  if (ackTimeoutMs)
    Service::instance().armTimer(now + ackTimeoutMs);
}

size_t ClientImpl::ack(size_t len) {
  if (len > rxHeld)
    len = rxHeld;
  release(len);
  return len;
}

void ClientImpl::release(size_t len) {
  rxHeld -= uint32_t(len);
#if ASYNCTCP_TLS
  if (secure)
    tlsRelease(len);
  else
#endif
      if (conn && len)
    backend::consumed(conn, len);
  if (finHeld && rxHeld == 0) {
    finHeld = false;
    close();  // onDisconnect runs after the current callback, never inside ack()
  }
}

uint64_t ClientImpl::nextDeadline(uint64_t now) const {
  uint64_t d = UINT64_MAX;
  if (state == SYN_SENT || state == SYN_RCVD) {  // SYN_RCVD: an accepted TLS handshake
    uint32_t limit = connectTimeoutMs();
    return limit ? since(lastPollAt, now) + limit : d;
  }
  if (state != ESTABLISHED)
    return d;
  if (pollIntervalMs)
    d = since(lastPollAt, now) + pollIntervalMs;
  if (uint32_t rx = rxTimeoutS()) {
    uint64_t t = since(lastRxAt, now) + rx * 1000ull;
    if (t < d)
      d = t;
  }
  if (ackTimeoutMs && txPending && since(txPendingSince, now) + ackTimeoutMs < d)
    d = since(txPendingSince, now) + ackTimeoutMs;
  return d;
}

void ClientImpl::fireTimers(uint64_t now) {
  if (state == SYN_SENT || state == SYN_RCVD) {
    uint32_t limit = connectTimeoutMs();
    if (limit && now >= since(lastPollAt, now) + limit) {
      lastErrno = 0;
#if ASYNCTCP_TLS
      if (secure && conn && extra->tls->session) {
        abort(ASYNC_TCP_ERR_TLS_TIMEOUT);  // TCP was up: the handshake took too long
        return;
      }
#endif
      abort(ERR_TIMEOUT);
    }
    return;
  }
  // Acks the backend has not reported yet (it learns them lazily when no onAck
  // handler is set): asked once, when a deadline needs them.
  int acksMoved = -1;
  auto peerAcked = [&] {
    if (acksMoved < 0)
      acksMoved = backend::refreshAcks(conn) ? 1 : 0;
    return acksMoved == 1;
  };
  uint32_t rx = rxTimeoutS();
  if (rx && now >= since(lastRxAt, now) + rx * 1000ull) {
    if (backend::inFlight(conn) == 0 || !peerAcked()) {
      close();
      return;
    }
    lastRxAt = uint32_t(now);  // acked since the last look: still taking our data
  }
  if (ackTimeoutMs && txPending && now >= since(txPendingSince, now) + ackTimeoutMs) {
    bool progressed = peerAcked();
    uint32_t waited = uint32_t(now) - txPendingSince;
    if (backend::inFlight(conn) == 0) {
      txPending = false;  // all acknowledged: no stall
    } else if (progressed) {
      txPendingSince = uint32_t(now);  // the peer moved: the timeout runs from its last ack
    } else {
      txPending = false;  // once per stall, as on ESP32; re-armed by the next send
      if (callHandler<Ev::Timeout>(waited) && (!owner || state != ESTABLISHED))
        return;  // closed, deleted or reconnected in it
    }
  }
  if (pollIntervalMs && now >= since(lastPollAt, now) + pollIntervalMs) {
    lastPollAt = uint32_t(now);
    callHandler<Ev::Poll>();
  }
}

// Every backend event enters the core here, and each ends the same way: what its
// callbacks left due (the ends they caused, data add()ed without send()) runs now, once
// the event is handled (Service::afterEvent).
namespace events {
void connected(ClientImpl *c, const backend::Endpoints &ends) {
  c->onConnected(ends);
  Service::running().afterEvent();
}
size_t received(ClientImpl *c, const uint8_t *data, size_t len) {
  size_t held = c->onReceived(data, len);
  Service::running().afterEvent();
  return held;
}
void receivedPackets(ClientImpl *c, struct pbuf *chain) {
  c->onReceivedPackets(chain);
  Service::running().afterEvent();
}
void finReceived(ClientImpl *c) {
  c->onFin();
  Service::running().afterEvent();
}
void acked(ClientImpl *c, size_t len) {
  c->onAcked(len);
  Service::running().afterEvent();
}
void failed(ClientImpl *c, err_t err, int sysErr) {
  c->onFailed(err, sysErr);
  Service::running().afterEvent();
}
void resolved(ClientImpl *c, const IPAddress *ip) {
  c->onResolved(ip);
  Service::running().afterEvent();
}
}  // namespace events

}  // namespace asynctcp
