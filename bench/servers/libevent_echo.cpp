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
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  bufferevent *bev =
      bufferevent_socket_new(evconnlistener_get_base(listener), fd, BEV_OPT_CLOSE_ON_FREE);
  if (!bev)
    return;
  bufferevent_set_max_single_read(bev, bench::kReadSize);  // the read size every peer uses
  bufferevent_setcb(bev, onRead, nullptr, onEvent, nullptr);
  bufferevent_enable(bev, EV_READ);
}

}  // namespace

int main(int argc, char **argv) {
  bench::ServerArgs args = bench::parseServerArgs(argc, argv);
  bench::startServerProcess(args);
  event_base *base = event_base_new();
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_port = htons(args.port);
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  evconnlistener *listener =
      evconnlistener_new_bind(base, onAccept, nullptr, LEV_OPT_CLOSE_ON_FREE | LEV_OPT_REUSEABLE,
                              bench::kListenBacklog, reinterpret_cast<sockaddr *>(&sa), sizeof sa);
  socklen_t len = sizeof sa;
  if (!listener ||
      getsockname(evconnlistener_get_fd(listener), reinterpret_cast<sockaddr *>(&sa), &len) != 0) {
    std::perror("libevent_echo: cannot listen");
    return 1;
  }
  bench::announcePort(ntohs(sa.sin_port));
  return event_base_dispatch(base);
}
