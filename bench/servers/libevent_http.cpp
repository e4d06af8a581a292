// libevent_http: idiomatic libevent on bufferevents (not evhttp: every peer does the same
// minimal HTTP work). The input buffer is scanned in place (evbuffer_peek) and drained; the
// responses are appended to the output buffer. Past one read's worth of unsent responses,
// reading is disabled until the output has drained (the watermark pattern).
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/listener.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include <arpa/inet.h>

#include <algorithm>
#include <cstdio>

#include "support/http_hello.h"
#include "support/libevent_serve.h"
#include "support/server_process.h"

namespace {

using bench::http::kBatch;
using bench::http::kResponseSize;
constexpr size_t kMaxUnsent = bench::kReadSize;

void onRead(bufferevent *bev, void *arg);
void onEvent(bufferevent *bev, short what, void *arg);

void onDrained(bufferevent *bev, void *arg) {
  bufferevent_setwatermark(bev, EV_WRITE, 0, 0);
  bufferevent_setcb(bev, onRead, nullptr, onEvent, arg);
  bufferevent_enable(bev, EV_READ);
}

void onRead(bufferevent *bev, void *arg) {
  auto *requests = static_cast<bench::http::RequestCounter *>(arg);
  evbuffer *in = bufferevent_get_input(bev);
  size_t owed = 0;
  evbuffer_iovec vec[16];
  while (size_t len = evbuffer_get_length(in)) {
    int n = evbuffer_peek(in, ssize_t(len), nullptr, vec, 16);
    size_t used = 0;
    for (int i = 0; i < std::min(n, 16); ++i) {
      owed += requests->feed(static_cast<const char *>(vec[i].iov_base), vec[i].iov_len);
      used += vec[i].iov_len;
    }
    evbuffer_drain(in, used);
  }
  const char *block = bench::http::responseBlock();
  while (owed) {
    size_t count = std::min(owed, kBatch);
    bufferevent_write(bev, block, count * kResponseSize);
    owed -= count;
  }
  if (evbuffer_get_length(bufferevent_get_output(bev)) < kMaxUnsent)
    return;
  bufferevent_disable(bev, EV_READ);
  bufferevent_setwatermark(bev, EV_WRITE, 0, 0);
  bufferevent_setcb(bev, onRead, onDrained, onEvent, arg);
}

void onEvent(bufferevent *bev, short what, void *arg) {
  if (!(what & (BEV_EVENT_EOF | BEV_EVENT_ERROR)))
    return;
  delete static_cast<bench::http::RequestCounter *>(arg);
  bufferevent_free(bev);
}

void onAccept(evconnlistener *listener, evutil_socket_t fd, sockaddr *, int, void *) {
  bufferevent *bev = bench::acceptedBufferevent(listener, fd);
  if (!bev)
    return;
  bufferevent_setcb(bev, onRead, nullptr, onEvent, new bench::http::RequestCounter);
  bufferevent_enable(bev, EV_READ);
}

}  // namespace

int main(int argc, char **argv) {
  return bench::serveLibevent("libevent_http", argc, argv, onAccept);
}
