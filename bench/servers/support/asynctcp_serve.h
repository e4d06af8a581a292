// The part of an AsyncTCP benchmark server that is the same for every workload: listen on
// 127.0.0.1 with TCP_NODELAY, hand each connection to onClient, serve forever.
#pragma once

#include <AsyncTCP.h>

#include <cstdio>

#include "support/server_process.h"

namespace bench {

// With --tls CERT KEY it serves TLS (beginSecure()): the same callbacks, in plaintext.
inline int serveAsyncTcp(const char *name, int argc, char **argv, AcConnectHandler onClient) {
  ServerArgs args = parseServerArgs(argc, argv);
  startServerProcess(args);  // before the library starts its service thread
  AsyncServer server(IPAddress(127, 0, 0, 1), args.port);
  server.setNoDelay(true);
  server.onClient(std::move(onClient), nullptr);
  if (args.tlsCert) {
#if ASYNC_TCP_SSL_ENABLED
    server.beginSecure(args.tlsCert, args.tlsKey, nullptr);
#else
    std::fprintf(stderr, "%s: AsyncTCP was built without TLS\n", name);
    return 1;
#endif
  } else {
    server.begin();
  }
  if (server.status() != LISTEN) {
    std::fprintf(stderr, "%s: cannot listen (errno %d)\n", name, server.lastErrno());
    return 1;
  }
  announcePort(server.port());
  waitForever();
}

// The shape every AsyncTCP benchmark server shares: each accepted client gets a Conn of
// its own, the arg of its onData and onAck, freed with the client in onDisconnect.
template <class Conn>
struct PerConnection {
  using DataFn = void (*)(void *, AsyncClient *, void *, size_t);
  using AckFn = void (*)(void *, AsyncClient *, size_t, uint32_t);
  static void attach(AsyncClient *client, DataFn onData, AckFn onAck) {
    auto *conn = new Conn;
    client->onData(onData, conn);
    client->onAck(onAck, conn);
    client->onDisconnect(disconnect, conn);  // a plain function: kept inline, no allocation
  }
  static void disconnect(void *arg, AsyncClient *client) {
    delete static_cast<Conn *>(arg);
    delete client;
  }
};

}  // namespace bench
