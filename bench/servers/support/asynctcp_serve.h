// The part of an AsyncTCP benchmark server that is the same for every workload: listen on
// 127.0.0.1 with TCP_NODELAY, hand each connection to onClient, serve forever.
#pragma once

#include <AsyncTCP.h>

#include <cstdio>

#include "support/server_process.h"

namespace bench {

inline int serveAsyncTcp(const char *name, int argc, char **argv, AcConnectHandler onClient) {
  ServerArgs args = parseServerArgs(argc, argv);
  startServerProcess(args);  // before the library starts its service thread
  AsyncServer server(IPAddress(127, 0, 0, 1), args.port);
  server.setNoDelay(true);
  server.onClient(std::move(onClient), nullptr);
  server.begin();
  if (server.status() != LISTEN) {
    std::fprintf(stderr, "%s: cannot listen (errno %d)\n", name, server.lastErrno());
    return 1;
  }
  announcePort(server.port());
  waitForever();
}

}  // namespace bench
