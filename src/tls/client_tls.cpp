// The byte path of a secure connection, between the core and the backend: ciphertext from
// the backend goes through the session to onData as plaintext; plaintext from add() goes
// to the backend as records; the peer's acks of ciphertext come back to onAck as the
// plaintext whose records it has all of. The handshake runs before onConnect (a client)
// or onClient (a server), inside the connect timeout.
#if ASYNCTCP_TLS

#include <algorithm>

#include "core/client_impl.h"
#include "core/server_impl.h"
#include "core/service.h"
#include "os/os.h"
#include "tls/tls_state.h"

namespace asynctcp {

namespace {
constexpr size_t kRecordPlain = 16 * 1024;
// What space() keeps back per record for its header, tag and nonce (29 bytes with
// AES-GCM in TLS 1.2, 22 in 1.3); 64 covers CBC suites' IV, MAC and padding too.
constexpr size_t kRecordOverhead = 64;
// Kept free for an alert or close_notify, so that one always fits in a fixed send buffer.
constexpr size_t kAlertRoom = 64;

// Ciphertext on its way to the backend: service-thread work under the core lock, one
// buffer for every connection. Never destroyed: the service thread outlives exit()'s
// destructors.
std::vector<uint8_t> &scratch() {
  static auto *buffer = new std::vector<uint8_t>();
  return *buffer;
}
}  // namespace

err_t tlsError(tls::Failure f) {
  switch (f) {
    case tls::Failure::Untrusted:
      return ASYNC_TCP_ERR_TLS_UNTRUSTED;
    case tls::Failure::NameMismatch:
      return ASYNC_TCP_ERR_TLS_NAME;
    case tls::Failure::Expired:
      return ASYNC_TCP_ERR_TLS_EXPIRED;
    case tls::Failure::Pin:
      return ASYNC_TCP_ERR_TLS_PIN;
    case tls::Failure::Psk:
      return ASYNC_TCP_ERR_TLS_PSK;
    case tls::Failure::Protocol:
      return ASYNC_TCP_ERR_TLS_PROTOCOL;
    case tls::Failure::PeerAlert:
      return ASYNC_TCP_ERR_TLS_ALERT;
    case tls::Failure::Config:
      return ASYNC_TCP_ERR_TLS_CONFIG;
    case tls::Failure::None:
    case tls::Failure::Handshake:
      break;
  }
  return ASYNC_TCP_ERR_TLS_HANDSHAKE;
}

ClientTls &ClientImpl::ensureTls() {
  ClientExtra &x = ensureExtra();
  if (!x.tls)
    x.tls = new ClientTls();
  return *x.tls;
}

void *ClientImpl::tlsNative() const {
  if (!secure || state != ESTABLISHED || !extra->tls->session)
    return nullptr;
  return extra->tls->session->native();
}

// ---- starting ----

bool ClientImpl::tlsStart() {
  ClientTls &t = *extra->tls;
  if (t.badSetting) {
    async_tcp_log_e("TLS configuration: the PSK is not hex");
    abort(ASYNC_TCP_ERR_TLS_CONFIG);
    return false;
  }
  if (!t.context) {
    tls::Config c = t.config;
    c.role = tls::Role::Client;
    // A PSK replaces certificates; pins without a root CA are the trust themselves.
    c.verify = !t.insecure && c.psk.empty() && (c.pins.empty() || !c.caPem.empty());
    c.systemRoots = c.caPem.empty();
    tls::Failure why = tls::Failure::None;
    std::string detail;
    t.context = tls::Context::create(c, &why, &detail);
    if (!t.context) {
      async_tcp_log_e("TLS configuration: %s", detail.c_str());
      abort(ASYNC_TCP_ERR_TLS_CONFIG);
      return false;
    }
  }
  t.session = tls::Session::create(t.context, t.host);
  if (!t.session) {
    abort(ERR_MEM);
    return false;
  }
  if (!t.session->start()) {
    tlsFail();
    return false;
  }
  tlsFlush(0, true);  // the ClientHello
  return true;
}

void ClientImpl::tlsAccept(ServerImpl *server) {
  ClientTls &t = ensureTls();
  t.resetConnection();
  t.server = server;
  t.unannounced = true;
  server->tls->handshaking.push_back(this);
  t.session = tls::Session::create(server->tls->context, std::string());
  if (!t.session)
    abort(ERR_MEM);  // dropped: nobody was told of it
}

void ClientImpl::tlsEstablished() {
  ClientTls &t = *extra->tls;
  state = ESTABLISHED;
  uint64_t now = os::nowMs();
  lastRxAt = uint32_t(now);
  lastPollAt = uint32_t(now);
  Service::instance().armTimer(nextDeadline(now));
  if (!t.unannounced) {
    callHandler<Ev::Connect>();
    return;
  }
  ServerImpl *server = t.server;
  if (!server || !server->owner || !server->onClient) {  // the server went meanwhile
    tlsDropUnannounced();
    return;
  }
  t.unannounced = false;
  t.server = nullptr;
  server->forgetHandshake(this);
  server->announce(owner);
}

// An accepted connection that ended before onClient: nobody knows of its AsyncClient, so
// it is deleted here, without callbacks. True if this was one.
bool ClientImpl::tlsDropUnannounced() {
  ClientTls &t = *extra->tls;
  if (!t.unannounced)
    return false;
  t.unannounced = false;
  if (t.server)
    t.server->forgetHandshake(this);
  t.server = nullptr;
  if (conn) {
    backend::abort(conn);
    conn = nullptr;
  }
  state = CLOSED;
  Service::instance().untrack(this);
  delete owner;  // ~AsyncClient: detachOwner() retires this state
  return true;
}

// ---- ending ----

void ClientImpl::tlsFail() {
  ClientTls &t = *extra->tls;
  const err_t err = tlsError(t.session->failure());
  async_tcp_log_d("TLS: %s (%s)", tls::failureName(t.session->failure()),
                  t.session->failureDetail().c_str());
  if (conn) {
    tlsConsumeAll();
    tlsFlush(0, true);  // the alert that tells the peer why, then our FIN
    backend::close(conn);
    conn = nullptr;
  }
  end(err);
}

// The session took every ciphertext byte it was given: a stack that resets a connection
// closed with bytes unread (lwIP: tcp_close() with its window not reopened) must not, or the
// peer loses the reply and close_notify ahead of the RST.
void ClientImpl::tlsConsumeAll() {
  ClientTls &t = *extra->tls;
  const size_t n = t.cipherHeld + t.cipherInDelivery;
  t.cipherHeld = 0;
  t.cipherInDelivery = 0;
  if (n)
    backend::consumed(conn, n);
}

void ClientImpl::tlsGoodbye() {
  ClientTls &t = *extra->tls;
  if (!t.session || !t.session->handshakeDone())
    return;
  t.session->close();
  // Everything queued goes before the FIN, so the budget makes room for all of it (a fixed
  // send buffer, lwIP's, has kAlertRoom kept free for the close_notify).
  const size_t need = t.out.size() + t.session->pendingCipher();
  if (need > backend::space(conn))
    backend::setSendBudget(conn, backend::inFlight(conn) + need);
  tlsFlush(0, true);
}

// ---- sending ----

size_t ClientImpl::space() const {
  if (state != ESTABLISHED || !conn)
    return 0;
  if (secure)
    return tlsSpace();
  return backend::space(conn);
}

// Plaintext that fits, once records are made of it, beside what already waits.
size_t ClientImpl::tlsSpace() const {
  const ClientTls &t = *extra->tls;
  size_t room = backend::space(conn);
  const size_t reserve = t.out.size() + kAlertRoom;
  if (room <= reserve)
    return 0;
  room -= reserve;
  const size_t overhead = (room + kRecordPlain - 1) / kRecordPlain * kRecordOverhead;
  return room > overhead ? room - overhead : 0;
}

size_t ClientImpl::tlsAdd(const char *data, size_t size, uint8_t flags, bool pushNow) {
  const size_t n = std::min(size, tlsSpace());
  if (!n)
    return 0;
  ClientTls &t = *extra->tls;
  // Encrypted now: the caller's buffer is free when add() returns, with or without COPY.
  if (!t.session->write(reinterpret_cast<const uint8_t *>(data), n)) {
    tlsFail();
    return 0;
  }
  tlsFlush(flags, pushNow);
  if (pushNow)
    noteSent();
  else if (!pushPending)
    schedulePush();
  return n;
}

// Hands the session's ciphertext to the backend, after what waited for room; what does
// not fit waits in `out` for the peer's acks.
void ClientImpl::tlsFlush(uint8_t flags, bool pushNow) {
  ClientTls &t = *extra->tls;
  const uint8_t f = uint8_t(ASYNC_WRITE_FLAG_COPY |
                            (flags & (ASYNC_WRITE_FLAG_MORE | backend::kWriteFromOtherThread)));
  if (!t.out.empty())
    t.out.erase(0, backend::add(conn, t.out.data(), t.out.size(), f, false));
  bool pushed = false;
  if (const size_t pending = t.session->pendingCipher()) {
    if (t.out.empty()) {
      std::vector<uint8_t> &buf = scratch();
      if (buf.size() < pending)
        buf.resize(pending);
      const size_t got = t.session->takeCipher(buf.data(), pending);
      const char *bytes = reinterpret_cast<const char *>(buf.data());
      const size_t took = got ? backend::add(conn, bytes, got, f, pushNow) : 0;
      pushed = pushNow;
      if (took < got)
        t.out.append(bytes + took, got - took);
    } else {
      const size_t at = t.out.size();
      t.out.resize(at + pending);
      t.out.resize(at + t.session->takeCipher(reinterpret_cast<uint8_t *>(&t.out[at]), pending));
    }
  }
  if (pushNow && !pushed)
    backend::send(conn);
}

size_t ClientImpl::tlsAcked(size_t cipherLen) {
  ClientTls &t = *extra->tls;
  t.cipherAcked += cipherLen;
  const uint64_t plain = t.session->plaintextAcked(t.cipherAcked);
  const size_t delta = size_t(plain - t.plainAcked);
  t.plainAcked = plain;
  if (!t.out.empty() && conn)
    tlsFlush(0, true);  // room the ack made
  return delta;
}

// ---- receiving ----

// Returns the ciphertext held: all of this piece when the user held any of what it
// carried (ackLater(), onPacket), so the backend's window keeps the peer in check; it is
// consumed in proportion as the user acks (tlsRelease()).
size_t ClientImpl::tlsReceived(const uint8_t *data, size_t len) {
  ClientTls &t = *extra->tls;
  tls::Session &s = *t.session;
  const bool ok = s.feed(data, len);
  if (s.pendingCipher() || !t.out.empty())
    tlsFlush(0, true);  // the handshake's next flight, tickets, alerts
  if (!ok) {
    tlsFail();
    return 0;
  }
  if (state != ESTABLISHED) {
    if (!s.handshakeDone())
      return 0;
    tlsEstablished();
    if (!owner || !conn || state != ESTABLISHED)
      return 0;
  }
  const uint32_t heldBefore = rxHeld;
  const uint8_t *plain = nullptr;
  while (size_t n = s.peek(&plain)) {
    deliverPlaintext(plain, n);
    s.consume(n);
    if (!owner || !conn)
      return 0;
  }
  size_t held = 0;
  if (rxHeld > heldBefore) {
    t.cipherHeld += len;
    held = len;
  }
  if (s.peerClosed())
    onFin();  // close_notify: as the FIN it comes before
  return held;
}

void ClientImpl::tlsRelease(size_t plainLen) {
  ClientTls &t = *extra->tls;
  const size_t c =
      rxHeld == 0 ? t.cipherHeld : size_t(uint64_t(t.cipherHeld) * plainLen / (rxHeld + plainLen));
  t.cipherHeld -= c;
  if (conn && c)
    backend::consumed(conn, c);
}

}  // namespace asynctcp

#endif  // ASYNCTCP_TLS
