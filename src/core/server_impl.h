// The state of one AsyncServer, owned by the service thread.
#pragma once

#include "AsyncTCP.h"
#include "backends/backend.h"

namespace asynctcp {

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

  void begin();
  void end();
  void onAccepted(backend::Conn *conn, const backend::Endpoints &ends);
};

}  // namespace asynctcp
