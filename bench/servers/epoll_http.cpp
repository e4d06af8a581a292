// epoll_http: the practical limit for the HTTP hello workload. Hand-written epoll,
// edge-triggered, one registration per connection. Responses come from a static block, so
// nothing is copied; a response the kernel refuses is remembered as a count and an offset,
// and reading stops until it has gone out.
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>

#include "support/http_hello.h"
#include "support/loopback_listener.h"
#include "support/server_process.h"

namespace {

using bench::http::kBatch;
using bench::http::kResponseSize;

struct Conn {
  int fd = -1;
  bench::http::RequestCounter requests;
  size_t owed = 0;    // responses not yet written
  size_t offset = 0;  // bytes of the current batch already written
};

char g_buf[bench::kReadSize];
int g_epfd;

void closeConn(Conn *c) {
  ::close(c->fd);
  delete c;
}

// Writes owed responses. Returns false when the connection failed; c->owed stays non-zero
// when the kernel refused part of them.
bool respond(Conn *c) {
  const char *block = bench::http::responseBlock();
  while (c->owed) {
    size_t batch = std::min(c->owed, kBatch) * kResponseSize;
    ssize_t w = ::send(c->fd, block + c->offset, batch - c->offset, MSG_NOSIGNAL);
    if (w < 0)
      return errno == EAGAIN || errno == EINTR;
    c->offset += size_t(w);
    if (c->offset < batch)
      continue;
    c->owed -= batch / kResponseSize;
    c->offset = 0;
  }
  return true;
}

// Reads until drained; answers each read's complete requests at once. Returns false when
// the connection is over.
bool serve(Conn *c, bool peerClosing) {
  while (!c->owed) {
    ssize_t n = ::recv(c->fd, g_buf, sizeof g_buf, 0);
    if (n == 0)
      return false;
    if (n < 0)
      return errno == EAGAIN || errno == EINTR;
    c->owed += c->requests.feed(g_buf, size_t(n));
    if (!respond(c))
      return false;
    if (size_t(n) < sizeof g_buf && !peerClosing)
      return true;  // drained (see epoll_echo)
  }
  return true;  // blocked on a response: EPOLLOUT resumes
}

void onConnEvent(Conn *c, uint32_t ev) {
  if (ev & EPOLLERR)
    return closeConn(c);
  if (c->owed) {
    if (!respond(c))
      return closeConn(c);
    if (c->owed)
      return;  // still blocked: wait for the next EPOLLOUT
  }
  // Also after a drain: data that arrived while blocked produced no new edge.
  if (!serve(c, ev & (EPOLLRDHUP | EPOLLHUP)))
    closeConn(c);
}

void acceptAll(int lfd) {
  for (;;) {
    int fd = ::accept4(lfd, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) {
      if (errno == EINTR || errno == ECONNABORTED)
        continue;
      return;
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
  lev.data.ptr = nullptr;
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
