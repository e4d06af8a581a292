// epoll_echo: the practical limit. Hand-written epoll, edge-triggered, one registration per
// connection for its whole life (no epoll_ctl on the data path). Each read is written back at
// once from the same buffer; only what the kernel refuses is copied, and reading stops until
// it has drained (back-pressure through the kernel window).
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "support/loopback_listener.h"
#include "support/server_process.h"

namespace {

struct Conn {
  int fd = -1;
  char *pending = nullptr;  // echo the kernel has not taken yet
  size_t pendingLen = 0, pendingOff = 0;
};

char g_buf[bench::kReadSize];
int g_epfd;

void closeConn(Conn *c) {
  ::close(c->fd);  // also leaves the epoll set
  std::free(c->pending);
  delete c;
}

// Returns false when the connection failed.
bool flushPending(Conn *c) {
  while (c->pendingOff < c->pendingLen) {
    ssize_t w =
        ::send(c->fd, c->pending + c->pendingOff, c->pendingLen - c->pendingOff, MSG_NOSIGNAL);
    if (w < 0)
      return errno == EAGAIN || errno == EINTR;
    c->pendingOff += size_t(w);
  }
  std::free(c->pending);
  c->pending = nullptr;
  c->pendingLen = c->pendingOff = 0;
  return true;
}

// Reads and echoes until the socket is drained or the kernel refuses part of an echo.
// Returns false when the connection is over.
bool echo(Conn *c, bool peerClosing) {
  for (;;) {
    ssize_t n = ::recv(c->fd, g_buf, sizeof g_buf, 0);
    if (n == 0)
      return false;
    if (n < 0)
      return errno == EAGAIN || errno == EINTR;
    ssize_t w = ::send(c->fd, g_buf, size_t(n), MSG_NOSIGNAL);
    if (w < 0 && errno != EAGAIN)
      return false;
    if (w < n) {
      size_t done = w < 0 ? 0 : size_t(w);
      c->pendingLen = size_t(n) - done;
      c->pending = static_cast<char *>(std::malloc(c->pendingLen));
      std::memcpy(c->pending, g_buf + done, c->pendingLen);
      return true;  // EPOLLOUT resumes
    }
    // A short read drained the socket: the next data brings a new edge. A FIN already
    // signalled has no further edge, so then read on until recv() returns 0.
    if (size_t(n) < sizeof g_buf && !peerClosing)
      return true;
  }
}

void onConnEvent(Conn *c, uint32_t ev) {
  if (ev & EPOLLERR)
    return closeConn(c);
  if (c->pending) {
    if (!flushPending(c))
      return closeConn(c);
    if (c->pending)
      return;  // still blocked: wait for the next EPOLLOUT
  }
  // Also after a drain: data that arrived while blocked produced no new edge.
  if (!echo(c, ev & (EPOLLRDHUP | EPOLLHUP)))
    closeConn(c);
}

void acceptAll(int lfd) {
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
    if (epoll_ctl(g_epfd, EPOLL_CTL_ADD, fd, &ev) != 0)
      closeConn(c);
  }
}

}  // namespace

int main(int argc, char **argv) {
  bench::ServerArgs args = bench::parseServerArgs(argc, argv);
  bench::startServerProcess(args);
  g_epfd = epoll_create1(EPOLL_CLOEXEC);
  uint16_t port = 0;
  int lfd = bench::listenLoopback(args.port, &port);
  if (lfd < 0)
    return 1;
  epoll_event lev{};
  lev.events = EPOLLIN;
  lev.data.ptr = nullptr;  // the listener; connections carry their Conn
  epoll_ctl(g_epfd, EPOLL_CTL_ADD, lfd, &lev);
  bench::announcePort(port);

  epoll_event evs[256];
  for (;;) {
    int n = epoll_wait(g_epfd, evs, 256, -1);
    for (int i = 0; i < n; ++i) {
      if (evs[i].data.ptr == nullptr)
        acceptAll(lfd);
      else
        onConnEvent(static_cast<Conn *>(evs[i].data.ptr), evs[i].events);
    }
  }
}
