// AsyncClient's public methods: each runs under the core lock (core/service.h), on the
// caller's thread, so a call from another thread never waits for a user callback.
#include "AsyncTCP.h"
#include "core/client_impl.h"
#include "core/service.h"
#include "ip/ip_bytes.h"
#include "os/os.h"

using asynctcp::ClientImpl;
using asynctcp::Service;

AsyncClient::AsyncClient(tcp_pcb *) : _impl(new ClientImpl(this)) {}

AsyncClient::~AsyncClient() {
  Service::call([&] {
    Service::instance().waitOutCallbacksOf(nullptr);  // its callback, or another, may be running
    _impl->detachOwner();
  });
}

bool AsyncClient::operator==(const AsyncClient &other) const {
  return _impl == other._impl;
}

bool AsyncClient::connect(const IPAddress &ip, uint16_t port) {
  return Service::call([&] { return _impl->connectTo(ip, port); });
}

bool AsyncClient::connect(ip_addr_t addr, uint16_t port) {
  return connect(asynctcp::fromIpAddr(addr), port);
}

bool AsyncClient::connect(const char *host, uint16_t port) {
  return connectHost(_impl, host, port, false);
}

namespace asynctcp {
bool connectHost(ClientImpl *impl, const char *host, uint16_t port, bool secure) {
  if (!host || !*host || !port)
    return false;
  IPAddress ip;
  if (ip.fromString(host))
    return Service::call([&] { return impl->connectTo(ip, port, secure, host); });
  return Service::call([&] { return impl->connectToHost(host, port, secure); });
}
}  // namespace asynctcp

void AsyncClient::close(bool) {
  Service::call([&] { _impl->close(); });
}

// As ESP32Async: ERR_ABRT when there was a connection (or a connect, or a name being
// resolved) to abort, then onError(ERR_ABRT) and onDisconnect; ERR_CONN, and no
// callback, when there was none.
int8_t AsyncClient::abort() {
  return Service::call([&]() -> int8_t {
    if (!_impl->live())
      return ERR_CONN;
    _impl->abort(ERR_ABRT);
    return ERR_ABRT;
  });
}

bool AsyncClient::free() {
  return freeable();
}

bool AsyncClient::canSend() const {
  return space() > 0;
}

size_t AsyncClient::space() const {
  return Service::query([&] { return _impl->space(); });
}

// Writes from another thread are marked: their acks are not hurried (backend.h).
size_t AsyncClient::add(const char *data, size_t size, uint8_t apiflags) {
  if (!asynctcp::os::onServiceThread())
    apiflags |= asynctcp::backend::kWriteFromOtherThread;
  return Service::call([&] { return _impl->add(data, size, apiflags, false); });
}

bool AsyncClient::send() {
  return Service::call([&] { return _impl->send(); });
}

size_t AsyncClient::write(const char *data, size_t size, uint8_t apiflags) {
  if (!asynctcp::os::onServiceThread())
    apiflags |= asynctcp::backend::kWriteFromOtherThread;
  return Service::call([&] { return _impl->add(data, size, apiflags, true); });
}

uint8_t AsyncClient::state() const {
  return Service::query([&] { return _impl->state; });
}

bool AsyncClient::connecting() const {
  return state() == SYN_SENT;
}
bool AsyncClient::connected() const {
  return state() == ESTABLISHED;
}
bool AsyncClient::disconnecting() const {
  uint8_t s = state();
  return s > ESTABLISHED && s < TIME_WAIT;
}
bool AsyncClient::disconnected() const {
  uint8_t s = state();
  return s == CLOSED || s == TIME_WAIT;
}
bool AsyncClient::freeable() const {
  uint8_t s = state();
  return s == CLOSED || s > ESTABLISHED;
}

uint16_t AsyncClient::getMss() const {
  return Service::query([&]() -> uint16_t {
    return _impl->conn && _impl->state == ESTABLISHED ? asynctcp::backend::mss(_impl->conn) : 0;
  });
}

uint32_t AsyncClient::getRxTimeout() const {
  return Service::query([&] { return _impl->rxTimeoutS(); });
}

void AsyncClient::setRxTimeout(uint32_t timeout) {
  Service::call([&] {
    _impl->setRxTimeout(timeout);
    Service::instance().armTimer(_impl->nextDeadline(asynctcp::os::nowMs()));
  });
}

uint32_t AsyncClient::getAckTimeout() const {
  return Service::query([&] { return _impl->ackTimeoutMs; });
}

void AsyncClient::setAckTimeout(uint32_t timeout) {
  Service::call([&] {
    _impl->ackTimeoutMs = timeout;
    Service::instance().armTimer(_impl->nextDeadline(asynctcp::os::nowMs()));
  });
}

void AsyncClient::setConnectTimeout(uint32_t ms) {
  Service::call([&] { _impl->setConnectTimeout(ms); });
}

uint32_t AsyncClient::getConnectTimeout() const {
  return Service::query([&] { return _impl->connectTimeoutMs(); });
}

void AsyncClient::setPollInterval(uint32_t ms) {
  Service::call([&] {
    uint64_t now = asynctcp::os::nowMs();
    _impl->pollIntervalMs = ms;
    _impl->restartPoll(now);
    Service::instance().armTimer(_impl->nextDeadline(now));
  });
}

uint32_t AsyncClient::getPollInterval() const {
  return Service::query([&] { return _impl->pollIntervalMs; });
}

void AsyncClient::setSendBuffer(size_t bytes) {
  if (!bytes)
    return;
  Service::call([&] {
    _impl->setSendBuffer(bytes);
    if (_impl->conn)  // connected, or connecting: the options given at connect() change
      asynctcp::backend::setSendBudget(_impl->conn, bytes);
  });
}

size_t AsyncClient::getSendBuffer() const {
  return Service::query([&] { return _impl->sendBuffer(); });
}

int AsyncClient::lastErrno() const {
  return Service::query([&] { return int(_impl->lastErrno); });
}

void AsyncClient::setNoDelay(bool nodelay) const {
  Service::call([&] {
    _impl->noDelay = nodelay;
    if (_impl->conn)
      asynctcp::backend::setNoDelay(_impl->conn, nodelay);
  });
}

bool AsyncClient::getNoDelay() const {
  return Service::query([&] {
    if (_impl->conn && _impl->state == ESTABLISHED)
      return asynctcp::backend::getNoDelay(_impl->conn);
    return _impl->noDelay;
  });
}

void AsyncClient::setKeepAlive(uint32_t ms, uint8_t cnt) {
  Service::call([&] {
    if (_impl->conn)
      asynctcp::backend::setKeepAlive(_impl->conn, ms, cnt);
  });
}

// Addresses: cached when the connection is set up, so they stay readable in onDisconnect.
IPAddress AsyncClient::remoteIP() const {
  return Service::query([&] { return _impl->remoteIp(); });
}
IPAddress AsyncClient::localIP() const {
  return Service::query([&] { return _impl->localIp(); });
}
uint16_t AsyncClient::remotePort() const {
  return Service::query([&] { return _impl->remotePort; });
}
uint16_t AsyncClient::localPort() const {
  return Service::query([&] { return _impl->localPort; });
}
uint32_t AsyncClient::getRemoteAddress() const {
  return uint32_t(remoteIP());
}
uint16_t AsyncClient::getRemotePort() const {
  return remotePort();
}
uint32_t AsyncClient::getLocalAddress() const {
  return uint32_t(localIP());
}
uint16_t AsyncClient::getLocalPort() const {
  return localPort();
}

namespace {
// v4 as its v4-mapped form, ::ffff:a.b.c.d (ipv6Bytes makes it).
IPAddress asV6(const IPAddress &ip) {
  if (asynctcp::isIpv6(ip))
    return ip;
  uint8_t b[16];
  asynctcp::ipv6Bytes(ip, b);
  return asynctcp::makeIpv6(b);
}

ip6_addr_t toIp6(const IPAddress &ip) {
  IPAddress v6 = asV6(ip);
  ip6_addr_t a{};
  asynctcp::ipv6Bytes(v6, reinterpret_cast<uint8_t *>(a.addr));
  a.zone = asynctcp::ipZone(v6);
  return a;
}
}  // namespace

IPAddress AsyncClient::remoteIP6() const {
  return asV6(remoteIP());
}
IPAddress AsyncClient::localIP6() const {
  return asV6(localIP());
}
namespace {
ip4_addr_t toIp4(const IPAddress &ip) {
  ip4_addr_t a{};
  if (!asynctcp::isIpv6(ip))
    asynctcp::ipv4Bytes(ip, reinterpret_cast<uint8_t *>(&a.addr));
  return a;
}
}  // namespace

ip4_addr_t AsyncClient::getRemoteAddress4() const {
  return toIp4(remoteIP());
}
ip4_addr_t AsyncClient::getLocalAddress4() const {
  return toIp4(localIP());
}
ip6_addr_t AsyncClient::getRemoteAddress6() const {
  return toIp6(remoteIP());
}
ip6_addr_t AsyncClient::getLocalAddress6() const {
  return toIp6(localIP());
}

namespace {
// A handler replaced from another thread while this client's callback runs waits for
// it to end: the running handler would be freed under it.
template <asynctcp::Ev K, class Handler>
void setHandler(ClientImpl *impl, Handler &cb, void *arg) {
  Service::call([&] {
    Service::instance().waitOutCallbacksOf(impl);
    impl->handlers.set<K>(std::move(cb), arg);
  });
}
}  // namespace

void AsyncClient::onConnect(AcConnectHandler cb, void *arg) {
  setHandler<asynctcp::Ev::Connect>(_impl, cb, arg);
}
void AsyncClient::onDisconnect(AcConnectHandler cb, void *arg) {
  setHandler<asynctcp::Ev::Disconnect>(_impl, cb, arg);
}
void AsyncClient::onAck(AcAckHandler cb, void *arg) {
  Service::call([&] {
    setHandler<asynctcp::Ev::Ack>(_impl, cb, arg);  // the lock is held: taken at once
    // The backend looks for acks promptly only while someone listens.
    if (_impl->conn)
      asynctcp::backend::setAckEvents(_impl->conn,
                                      _impl->handlers.has(asynctcp::Ev::Ack) || _impl->secure);
  });
}
void AsyncClient::onError(AcErrorHandler cb, void *arg) {
  setHandler<asynctcp::Ev::Error>(_impl, cb, arg);
}
void AsyncClient::onData(AcDataHandler cb, void *arg) {
  setHandler<asynctcp::Ev::Data>(_impl, cb, arg);
}
void AsyncClient::onPacket(AcPacketHandler cb, void *arg) {
  setHandler<asynctcp::Ev::Packet>(_impl, cb, arg);
}
void AsyncClient::onTimeout(AcTimeoutHandler cb, void *arg) {
  setHandler<asynctcp::Ev::Timeout>(_impl, cb, arg);
}
void AsyncClient::onPoll(AcConnectHandler cb, void *arg) {
  setHandler<asynctcp::Ev::Poll>(_impl, cb, arg);
}

void AsyncClient::ackPacket(struct pbuf *pb) {
  if (!pb)
    return;
  Service::call([&] {
    size_t len = pb->len;
    pbuf_free(pb);
    _impl->release(len <= _impl->rxHeld ? len : _impl->rxHeld);
  });
}

size_t AsyncClient::ack(size_t len) {
  return Service::call([&] { return _impl->ack(len); });
}

void AsyncClient::ackLater() {
  Service::call([&] { _impl->ackNow = false; });
}

const char *AsyncClient::stateToString() const {
  static const char *const names[] = {"Closed",      "Listen",     "SYN Sent",   "SYN Received",
                                      "Established", "FIN Wait 1", "FIN Wait 2", "Close Wait",
                                      "Closing",     "Last ACK",   "Time Wait"};
  uint8_t s = state();
  return s < sizeof(names) / sizeof(names[0]) ? names[s] : "UNKNOWN";
}

const char *AsyncClient::errorToString(int8_t error) {
  switch (error) {
    case ERR_OK:
      return "OK";
    case ERR_MEM:
      return "Out of memory error";
    case ERR_BUF:
      return "Buffer error";
    case ERR_TIMEOUT:
      return "Timeout";
    case ERR_RTE:
      return "Routing problem";
    case ERR_INPROGRESS:
      return "Operation in progress";
    case ERR_VAL:
      return "Illegal value";
    case ERR_WOULDBLOCK:
      return "Operation would block";
    case ERR_USE:
      return "Address in use";
    case ERR_ALREADY:
      return "Already connecting";
    case ERR_ISCONN:
      return "Already connected";
    case ERR_CONN:
      return "Not connected";
    case ERR_IF:
      return "Low-level netif error";
    case ERR_ABRT:
      return "Connection aborted";
    case ERR_RST:
      return "Connection reset";
    case ERR_CLSD:
      return "Connection closed";
    case ERR_ARG:
      return "Illegal argument";
    case ASYNC_TCP_ERR_DNS:
      return "DNS failed";
    case ASYNC_TCP_ERR_TLS_HANDSHAKE:
      return "TLS handshake failed";
    case ASYNC_TCP_ERR_TLS_TIMEOUT:
      return "TLS handshake timeout";
    case ASYNC_TCP_ERR_TLS_UNTRUSTED:
      return "TLS certificate not trusted";
    case ASYNC_TCP_ERR_TLS_NAME:
      return "TLS certificate name mismatch";
    case ASYNC_TCP_ERR_TLS_EXPIRED:
      return "TLS certificate expired or not yet valid";
    case ASYNC_TCP_ERR_TLS_PIN:
      return "TLS certificate fingerprint mismatch";
    case ASYNC_TCP_ERR_TLS_PSK:
      return "TLS pre-shared key mismatch";
    case ASYNC_TCP_ERR_TLS_PROTOCOL:
      return "TLS protocol error";
    case ASYNC_TCP_ERR_TLS_ALERT:
      return "TLS refused by the peer";
    case ASYNC_TCP_ERR_TLS_CONFIG:
      return "TLS configuration error";
    default:
      return "UNKNOWN";
  }
}
