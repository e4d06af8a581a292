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

#include "support/epoll_serve.h"
#include "support/server_process.h"

namespace {

struct Conn {
  int fd = -1;
  char *pending = nullptr;  // echo the kernel has not taken yet
  size_t pendingLen = 0, pendingOff = 0;
};

char g_buf[bench::kReadSize];

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

}  // namespace

int main(int argc, char **argv) {
  return bench::serveEpoll<Conn>(argc, argv, onConnEvent);
}
