// The part of a libuv benchmark server that is the same for every workload: a uv_tcp_t
// listening on 127.0.0.1, onConnection for each connection, uv_run on the default loop.
#pragma once

#include <uv.h>

#include <cstdio>

#include "support/server_process.h"

namespace bench {

inline int serveLibuv(const char *name, int argc, char **argv, uv_connection_cb onConnection) {
  ServerArgs args = parseServerArgs(argc, argv);
  startServerProcess(args);
  uv_loop_t *loop = uv_default_loop();
  uv_tcp_t server;
  uv_tcp_init(loop, &server);
  sockaddr_in addr{};
  uv_ip4_addr("127.0.0.1", args.port, &addr);
  int err = uv_tcp_bind(&server, reinterpret_cast<const sockaddr *>(&addr), 0);
  if (err == 0)
    err = uv_listen(reinterpret_cast<uv_stream_t *>(&server), kListenBacklog, onConnection);
  int len = sizeof addr;
  if (err == 0)
    err = uv_tcp_getsockname(&server, reinterpret_cast<sockaddr *>(&addr), &len);
  if (err != 0) {
    std::fprintf(stderr, "%s: cannot listen: %s\n", name, uv_strerror(err));
    return 1;
  }
  announcePort(ntohs(addr.sin_port));
  return uv_run(loop, UV_RUN_DEFAULT);
}

}  // namespace bench
