// AsyncServer's state on the service thread: listening and handing accepted
// connections to the user as new AsyncClients.
#include "core/server_impl.h"

#include "core/client_impl.h"
#include "core/service.h"

namespace asynctcp {

void ServerImpl::begin() {
  if (listener)
    return;
  backend::ListenResult r = backend::listen(addr, anyAddress, port, this);
  listener = r.listener;
  lastErrno = r.listener ? 0 : r.sysErr;
}

void ServerImpl::end() {
  if (!listener)
    return;
  backend::closeListener(listener);
  listener = nullptr;
}

void ServerImpl::onAccepted(backend::Conn *conn, const backend::Endpoints &ends) {
  if (!onClient) {
    backend::abort(conn);  // nobody to hand it to (ESP32 does the same)
    return;
  }
  auto *client = new AsyncClient();
  client->_impl->attachAccepted(conn, ends, noDelay);
  // Without the core lock, as every callback (see ClientImpl::callHandler).
  void *const arg = onClientArg;
  Service::runCallback(this, [&] { onClient(arg, client); });
}

namespace events {
void accepted(ServerImpl *server, backend::Conn *conn, const backend::Endpoints &ends) {
  server->onAccepted(conn, ends);
  Service::running().afterEvent();  // as every event (client_impl.cpp)
}
}  // namespace events

}  // namespace asynctcp
