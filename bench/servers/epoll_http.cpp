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

#include "support/epoll_serve.h"
#include "support/http_hello.h"
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

}  // namespace

int main(int argc, char **argv) {
  return bench::serveEpoll<Conn>(argc, argv, onConnEvent);
}
