// The part of a hand-written epoll benchmark server that is the same for every workload: a
// listener on 127.0.0.1, accept4 until EAGAIN, TCP_NODELAY, one edge-triggered registration
// per connection for its whole life (a new Conn with its fd), and the event loop, which
// hands each connection's events to onEvent.
#pragma once

#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdint>

#include "support/loopback_listener.h"
#include "support/server_process.h"

namespace bench {

template <class Conn>
void epollAcceptAll(int epfd, int lfd) {
  for (;;) {
    int fd = ::accept4(lfd, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) {
      if (errno == EINTR || errno == ECONNABORTED)
        continue;
      return;  // EAGAIN, or EMFILE and friends: the next wake-up retries
    }
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    Conn *c = new Conn;
    c->fd = fd;
    epoll_event ev{};
    ev.events = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET;
    ev.data.ptr = c;
    if (epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &ev) != 0) {
      ::close(fd);
      delete c;
    }
  }
}

template <class Conn>
int serveEpoll(int argc, char **argv, void (*onEvent)(Conn *, uint32_t)) {
  ServerArgs args = parseServerArgs(argc, argv);
  startServerProcess(args);
  int epfd = epoll_create1(EPOLL_CLOEXEC);
  uint16_t port = 0;
  int lfd = listenLoopback(args.port, &port);
  if (lfd < 0)
    return 1;
  epoll_event lev{};
  lev.events = EPOLLIN;
  lev.data.ptr = nullptr;  // the listener; connections carry their Conn
  epoll_ctl(epfd, EPOLL_CTL_ADD, lfd, &lev);
  announcePort(port);

  epoll_event evs[256];
  for (;;) {
    int n = epoll_wait(epfd, evs, 256, -1);
    for (int i = 0; i < n; ++i) {
      if (evs[i].data.ptr == nullptr)
        epollAcceptAll<Conn>(epfd, lfd);
      else
        onEvent(static_cast<Conn *>(evs[i].data.ptr), evs[i].events);
    }
  }
}

}  // namespace bench
