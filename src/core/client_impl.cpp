// AsyncClient's state machine on the service thread: starting, ending (exactly
// one onDisconnect per connection), and the events the backend reports.
#include "core/client_impl.h"

#include "core/service.h"
#include "os/os.h"

namespace asynctcp {

namespace {
// Receive window kept in user space: past this much held-back data the backend
// stops reading, the kernel window closes and the peer is flow-controlled.
constexpr size_t kRxWindow = 64 * 1024;
}  // namespace

void ClientImpl::beginConnection(uint64_t now) {
  rxHeld = 0;
  ackNow = true;
  reading = true;
  finHeld = false;
  endErr = ERR_OK;
  lastErrno = 0;
  lastRxAt = now;
  txPendingSince = 0;
  nextPollAt = now + pollIntervalMs;
  connectDeadline = connectTimeoutMs ? now + connectTimeoutMs : 0;
  Service::get().track(this);
}

void ClientImpl::cacheAddresses() {
  if (conn)
    backend::addresses(conn, &localIp, &localPort, &remoteIp, &remotePort);
}

void ClientImpl::attachAccepted(backend::Conn *c, bool serverNoDelay) {
  conn = c;
  backend::setOwner(c, this);
  state = ESTABLISHED;
  noDelay = serverNoDelay;
  if (noDelay)
    backend::setNoDelay(c, true);
  backend::setAckEvents(c, bool(h.ack));
  cacheAddresses();
  beginConnection(os::nowMs());
}

bool ClientImpl::connectTo(const IPAddress &ip, uint16_t port) {
  if (state != CLOSED || endPending || dns)
    return false;
  backend::ConnectResult r = backend::connect(ip, port, this);
  if (!r.conn) {
    // Could not even start (bad address, no fds): a false return, no callbacks.
    lastErrno = r.sysErr;
    return false;
  }
  conn = r.conn;
  connectPort = port;
  remoteIp = ip;
  remotePort = port;
  state = SYN_SENT;
  beginConnection(os::nowMs());
  return true;
}

bool ClientImpl::connectToHost(const char *host, uint16_t port) {
  if (state != CLOSED || endPending || dns)
    return false;
  dns = backend::resolve(host, this);
  if (!dns)
    return false;
  connectPort = port;
  state = SYN_SENT;  // connecting() is true while the name resolves
  beginConnection(os::nowMs());
  return true;
}

void ClientImpl::onResolved(const IPAddress *ip) {
  dns = nullptr;
  if (!ip) {
    end(ASYNC_TCP_ERR_DNS);
    return;
  }
  backend::ConnectResult r = backend::connect(*ip, connectPort, this);
  if (!r.conn) {
    lastErrno = r.sysErr;
    end(r.err);
    return;
  }
  conn = r.conn;
  remoteIp = *ip;
  remotePort = connectPort;
}

void ClientImpl::onConnected() {
  state = ESTABLISHED;
  if (noDelay)
    backend::setNoDelay(conn, true);
  backend::setAckEvents(conn, bool(h.ack));
  backend::setSendBudget(conn, sendBuffer);
  cacheAddresses();
  uint64_t now = os::nowMs();
  lastRxAt = now;
  nextPollAt = now + pollIntervalMs;
  Service &svc = Service::get();
  svc.armTimer(nextDeadline());
  if (h.connect) {
    h.connect(h.connectArg, owner);
    svc.afterCallback();
  }
}

void ClientImpl::onReceived(const uint8_t *data, size_t len) {
  lastRxAt = os::nowMs();
  if (h.packet) {
    // The user owns each packet until ackPacket(); it counts as held until then.
    // pbuf lengths are 16-bit, so a large read becomes several packets.
    while (len && owner && conn) {
      size_t n = len < 0xFFFF ? len : 0xFFFF;
      struct pbuf *pb = backend::allocPacket(data, n);
      if (!pb) {
        abort(ERR_MEM);
        break;
      }
      rxHeld += n;
      h.packet(h.packetArg, owner, pb);
      data += n;
      len -= n;
    }
  } else {
    ackNow = true;
    if (h.data)
      h.data(h.dataArg, owner, const_cast<uint8_t *>(data), len);
    if (owner && !ackNow)
      rxHeld += len;
    else if (owner && conn)
      backend::consumed(conn, len);
  }
  limitReading();
  Service::get().afterCallback();
}

void ClientImpl::onReceivedPackets(struct pbuf *chain) {
  lastRxAt = os::nowMs();
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
    if (h.packet) {
      rxHeld += b->len;
      h.packet(h.packetArg, owner, b);
      continue;
    }
    ackNow = true;
    if (h.data)
      h.data(h.dataArg, owner, b->payload, b->len);
    if (owner && !ackNow)
      rxHeld += b->len;
    else if (owner && conn)
      backend::consumed(conn, b->len);
    pbuf_free(b);
  }
  limitReading();
  Service::get().afterCallback();
}

void ClientImpl::limitReading() {
  if (owner && conn && reading && rxHeld >= kRxWindow) {
    reading = false;
    backend::setReading(conn, false);
  }
}

void ClientImpl::onFin() {
  // ESP32 semantics: a peer FIN closes the connection; what was already
  // accepted for sending still goes out before our FIN. Data the user holds
  // back with ackLater() comes first: the FIN waits until it is acked, so a
  // flow-controlled echo can still answer everything it received.
  if (rxHeld > 0) {
    finHeld = true;
    return;
  }
  close();
  Service::get().afterCallback();
}

void ClientImpl::onAcked(size_t len) {
  uint64_t now = os::nowMs();
  uint32_t rtt = txPendingSince ? uint32_t(now - txPendingSince) : 0;
  txPendingSince = backend::inFlight(conn) ? now : 0;
  if (h.ack) {
    h.ack(h.ackArg, owner, len, rtt);
    Service::get().afterCallback();
  }
}

void ClientImpl::onFailed(err_t err, int sysErr) {
  conn = nullptr;  // the backend has already let go of it
  lastErrno = sysErr;
  end(err);
  Service::get().afterCallback();
}

void ClientImpl::end(err_t err) {
  if (state == CLOSED && !dns && !conn)
    return;  // never started, or already ended
  if (dns) {
    backend::cancel(dns);
    dns = nullptr;
  }
  state = CLOSED;
  Service &svc = Service::get();
  svc.untrack(this);
  endErr = err;
  svc.scheduleEnd(this);
}

void ClientImpl::close() {
  if (conn) {
    backend::close(conn);
    conn = nullptr;
  }
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
  if (endErr != ERR_OK && h.error) {
    h.error(h.errorArg, owner, endErr);
    if (!owner)
      return;
  }
  if (h.disconnect)
    h.disconnect(h.disconnectArg, owner);
}

void ClientImpl::detachOwner() {
  owner = nullptr;
  Service &svc = Service::get();
  svc.cancelEnd(this);
  if (dns) {
    backend::cancel(dns);
    dns = nullptr;
  }
  if (conn) {
    // Deleting a connected client closes it gracefully, as ESP32's destructor does.
    backend::close(conn);
    conn = nullptr;
  }
  state = CLOSED;
  svc.untrack(this);
  svc.retire(this);
}

size_t ClientImpl::add(const char *data, size_t size, uint8_t flags, bool pushNow) {
  if (!data || !size || state != ESTABLISHED || !conn)
    return 0;
  size_t n = backend::add(conn, data, size, flags, pushNow);
  if (n && pushNow)
    noteSent();
  return n;
}

bool ClientImpl::send() {
  if (state != ESTABLISHED || !conn)
    return false;
  if (backend::send(conn) != ERR_OK)
    return false;
  noteSent();
  return true;
}

void ClientImpl::noteSent() {
  if (!txPendingSince) {  // something just went out: the ack timeout runs from now
    txPendingSince = os::nowMs();
    Service::get().armTimer(nextDeadline());
  }
}

size_t ClientImpl::ack(size_t len) {
  if (len > rxHeld)
    len = rxHeld;
  release(len);
  return len;
}

void ClientImpl::release(size_t len) {
  rxHeld -= len;
  if (conn && len)
    backend::consumed(conn, len);
  if (finHeld && rxHeld == 0) {
    finHeld = false;
    close();  // onDisconnect runs after the current callback, never inside ack()
    return;
  }
  if (!reading && conn && rxHeld < kRxWindow) {
    reading = true;
    backend::setReading(conn, true);
  }
}

uint64_t ClientImpl::nextDeadline() const {
  uint64_t d = UINT64_MAX;
  if (state == SYN_SENT)
    return connectDeadline ? connectDeadline : d;
  if (state != ESTABLISHED)
    return d;
  if (pollIntervalMs)
    d = nextPollAt;
  if (rxTimeoutS && lastRxAt + rxTimeoutS * 1000ull < d)
    d = lastRxAt + rxTimeoutS * 1000ull;
  if (ackTimeoutMs && txPendingSince && txPendingSince + ackTimeoutMs < d)
    d = txPendingSince + ackTimeoutMs;
  return d;
}

void ClientImpl::fireTimers(uint64_t now) {
  Service &svc = Service::get();
  if (state == SYN_SENT) {
    if (connectDeadline && now >= connectDeadline) {
      lastErrno = 0;
      abort(ERR_TIMEOUT);
    }
    return;
  }
  if (rxTimeoutS && now >= lastRxAt + rxTimeoutS * 1000ull) {
    close();
    return;
  }
  if (ackTimeoutMs && txPendingSince && now >= txPendingSince + ackTimeoutMs) {
    bool progressed = backend::refreshAcks(conn);
    uint32_t waited = uint32_t(now - txPendingSince);
    if (backend::inFlight(conn) == 0) {
      txPendingSince = 0;  // all acknowledged: no stall
    } else if (progressed) {
      txPendingSince = now;  // the peer moved: the timeout runs from its last ack
    } else {
      txPendingSince = 0;  // once per stall, as on ESP32; re-armed by the next send
      if (h.timeout) {
        h.timeout(h.timeoutArg, owner, waited);
        svc.afterCallback();
        if (!owner || state != ESTABLISHED)
          return;
      }
    }
  }
  if (pollIntervalMs && now >= nextPollAt) {
    nextPollAt = now + pollIntervalMs;
    if (h.poll) {
      h.poll(h.pollArg, owner);
      svc.afterCallback();
    }
  }
}

namespace events {
void connected(ClientImpl *c) {
  c->onConnected();
}
void received(ClientImpl *c, const uint8_t *data, size_t len) {
  c->onReceived(data, len);
}
void receivedPackets(ClientImpl *c, struct pbuf *chain) {
  c->onReceivedPackets(chain);
}
void finReceived(ClientImpl *c) {
  c->onFin();
}
void acked(ClientImpl *c, size_t len) {
  c->onAcked(len);
}
void failed(ClientImpl *c, err_t err, int sysErr) {
  c->onFailed(err, sysErr);
}
void resolved(ClientImpl *c, const IPAddress *ip) {
  c->onResolved(ip);
}
}  // namespace events

}  // namespace asynctcp
