// libevent_echo: idiomatic libevent. An evconnlistener accepts, a bufferevent per connection
// moves its input buffer to its output buffer (evbuffer_add_buffer moves chains, no copy).
// Back-pressure is the usual watermark pattern: past one read's worth of unsent echo, reading
// is disabled until the output has drained.
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/listener.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include <arpa/inet.h>

#include <cstdio>

#include "support/libevent_serve.h"
#include "support/server_process.h"

namespace {

constexpr size_t kMaxUnsent = bench::kReadSize;

void onRead(bufferevent *bev, void *);
void onEvent(bufferevent *bev, short what, void *);

void onDrained(bufferevent *bev, void *) {
  bufferevent_setwatermark(bev, EV_WRITE, 0, 0);
  bufferevent_setcb(bev, onRead, nullptr, onEvent, nullptr);
  bufferevent_enable(bev, EV_READ);
}

void onRead(bufferevent *bev, void *) {
  evbuffer *out = bufferevent_get_output(bev);
  evbuffer_add_buffer(out, bufferevent_get_input(bev));
  if (evbuffer_get_length(out) < kMaxUnsent)
    return;
  bufferevent_disable(bev, EV_READ);
  bufferevent_setwatermark(bev, EV_WRITE, 0, 0);  // the write callback: output empty
  bufferevent_setcb(bev, onRead, onDrained, onEvent, nullptr);
}

void onEvent(bufferevent *bev, short what, void *) {
  if (what & (BEV_EVENT_EOF | BEV_EVENT_ERROR))
    bufferevent_free(bev);
}

void onAccept(evconnlistener *listener, evutil_socket_t fd, sockaddr *, int, void *) {
  bufferevent *bev = bench::acceptedBufferevent(listener, fd);
  if (!bev)
    return;
  bufferevent_setcb(bev, onRead, nullptr, onEvent, nullptr);
  bufferevent_enable(bev, EV_READ);
}

}  // namespace

int main(int argc, char **argv) {
  return bench::serveLibevent("libevent_echo", argc, argv, onAccept);
}
