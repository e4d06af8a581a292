// AsyncServer's state on the service thread: listening and handing accepted
// connections to the user as new AsyncClients.
#include "core/server_impl.h"

#include "core/client_impl.h"
#include "core/service.h"
#if ASYNCTCP_TLS
#include "tls/tls_state.h"
#endif

namespace asynctcp {

ServerImpl::~ServerImpl() {
#if ASYNCTCP_TLS
  delete tls;
#endif
}

// Settings alone (onSslFileRequest(), setPsk()) do not make a server secure: a context does.
bool ServerImpl::secure() const {
#if ASYNCTCP_TLS
  return tls && tls->context;
#else
  return false;
#endif
}

void ServerImpl::dropTls() {
#if ASYNCTCP_TLS
  if (tls)
    tls->context.reset();
#endif
}

void ServerImpl::ownerGone() {
#if ASYNCTCP_TLS
  if (!tls)
    return;
  for (ClientImpl *c : tls->handshaking)  // they are dropped once their handshake ends
    c->extra->tls->server = nullptr;
  tls->handshaking.clear();
#endif
}

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
  const bool tlsOn = secure();
  client->_impl->attachAccepted(conn, ends, noDelay, tlsOn ? this : nullptr);
  if (!tlsOn)
    announce(client);  // a secure one is announced when its handshake is done
}

void ServerImpl::announce(AsyncClient *client) {
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
