// The state of one AsyncServer, owned by the service thread.
#pragma once

#include "AsyncTCP.h"
#include "backends/backend.h"

namespace asynctcp {

struct ServerTls;
struct ClientImpl;

struct ServerImpl {
  ServerImpl(AsyncServer *o, const IPAddress &a, bool any, uint16_t p)
      : owner(o), addr(a), anyAddress(any), port(p) {}

  AsyncServer *owner;  // null once the user deleted the server
  IPAddress addr;
  bool anyAddress;
  uint16_t port;
  bool noDelay = false;
  backend::Listener *listener = nullptr;
  int lastErrno = 0;
  AcConnectHandler onClient;
  void *onClientArg = nullptr;
  ServerTls *tls = nullptr;  // beginSecure(): every accepted connection runs TLS

  ~ServerImpl();
  void begin();
  void end();
  void onAccepted(backend::Conn *conn, const backend::Endpoints &ends);
  void announce(AsyncClient *client);  // onClient
  // TLS (src/tls/server_tls.cpp).
  bool secure() const;                  // beginSecure() loaded a context: accepts run TLS
  void dropTls();                       // begin(): plain from now on
  void forgetHandshake(ClientImpl *c);  // c's handshake ended, or c announced itself
  void ownerGone();                     // the AsyncServer was deleted
};

}  // namespace asynctcp
