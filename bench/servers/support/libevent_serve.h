// The part of a libevent benchmark server that is the same for every workload: an
// evconnlistener on 127.0.0.1 calling onAccept, event_base_dispatch.
#pragma once

#include <arpa/inet.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/listener.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

#include "support/server_process.h"

namespace bench {

// A bufferevent for a connection just accepted: TCP_NODELAY, and the read size every peer
// uses. Null if libevent refused it.
inline bufferevent *acceptedBufferevent(evconnlistener *listener, evutil_socket_t fd) {
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  bufferevent *bev =
      bufferevent_socket_new(evconnlistener_get_base(listener), fd, BEV_OPT_CLOSE_ON_FREE);
  if (bev)
    bufferevent_set_max_single_read(bev, kReadSize);
  return bev;
}

inline int serveLibevent(const char *name, int argc, char **argv, evconnlistener_cb onAccept) {
  ServerArgs args = parseServerArgs(argc, argv);
  startServerProcess(args);
  event_base *base = event_base_new();
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_port = htons(args.port);
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  evconnlistener *listener =
      evconnlistener_new_bind(base, onAccept, nullptr, LEV_OPT_CLOSE_ON_FREE | LEV_OPT_REUSEABLE,
                              kListenBacklog, reinterpret_cast<sockaddr *>(&sa), sizeof sa);
  socklen_t len = sizeof sa;
  if (!listener ||
      getsockname(evconnlistener_get_fd(listener), reinterpret_cast<sockaddr *>(&sa), &len) != 0) {
    std::fprintf(stderr, "%s: cannot listen: %s\n", name, std::strerror(errno));
    return 1;
  }
  announcePort(ntohs(sa.sin_port));
  return event_base_dispatch(base);
}

}  // namespace bench
