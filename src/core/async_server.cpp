// AsyncServer's public methods, run under the core lock like AsyncClient's.
#include "AsyncTCP.h"
#include "core/server_impl.h"
#include "core/service.h"
#include "ip/ip_bytes.h"

using asynctcp::ServerImpl;
using asynctcp::Service;

AsyncServer::AsyncServer(IPAddress addr, uint16_t port)
    : _impl(new ServerImpl(this, addr, false, port)) {}

// IPADDR_TYPE_ANY (lwIP's IP_ANY_TYPE) is every v4 and v6 address, as AsyncServer(port).
AsyncServer::AsyncServer(ip_addr_t addr, uint16_t port)
    : _impl(new ServerImpl(this, asynctcp::fromIpAddr(addr), IP_GET_TYPE(&addr) == IPADDR_TYPE_ANY,
                           port)) {}

AsyncServer::AsyncServer(uint16_t port) : _impl(new ServerImpl(this, IPAddress(), true, port)) {}

AsyncServer::~AsyncServer() {
  Service &svc = Service::instance();
  svc.call([&] {
    svc.waitOutCallbacksOf(nullptr);  // its onClient, or another callback, may be running
    _impl->end();
    _impl->owner = nullptr;
    _impl->ownerGone();
    svc.retire(_impl);  // freed later: onClient may be running right now
  });
}

void AsyncServer::onClient(AcConnectHandler cb, void *arg) {
  Service::call([&] {
    Service::instance().waitOutCallbacksOf(_impl);  // the running onClient would be freed
    _impl->onClient = std::move(cb);
    _impl->onClientArg = arg;
  });
}

void AsyncServer::begin() {
  Service::call([&] {
    if (!_impl->listener)
      _impl->dropTls();  // begin() listens plain, whatever an earlier beginSecure() loaded
    _impl->begin();
  });
}

void AsyncServer::end() {
  Service::call([&] { _impl->end(); });
}

void AsyncServer::setNoDelay(bool nodelay) {
  Service::call([&] { _impl->noDelay = nodelay; });
}

bool AsyncServer::getNoDelay() const {
  return Service::query([&] { return _impl->noDelay; });
}

uint8_t AsyncServer::status() const {
  return Service::query([&] { return uint8_t(_impl->listener ? LISTEN : CLOSED); });
}

uint16_t AsyncServer::port() const {
  return Service::query([&]() -> uint16_t {
    return _impl->listener ? asynctcp::backend::listenerPort(_impl->listener) : 0;
  });
}

int AsyncServer::lastErrno() const {
  return Service::query([&] { return _impl->lastErrno; });
}
