// A connection's socket as the core configures it and asks about it: its options
// (TCP_NODELAY, keepalive, the MSS), the options it is born with, and its two addresses.
// Host only (the epoll backend): the Arduino IDE and PlatformIO compile every file under src/.
#if !defined(ESP_PLATFORM)

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include <algorithm>

#include "backends/posix/internal.h"
#include "backends/posix/sockaddr.h"

namespace asynctcp::backend {

Endpoints endpointsOf(int fd) {
  Endpoints ends;
  SockAddr local, remote;
  local.len = remote.len = sizeof(local.ss);
  if (getsockname(fd, local.ptr(), &local.len) == 0)
    fromSockAddr(local, &ends.local, &ends.localPort);
  if (getpeername(fd, remote.ptr(), &remote.len) == 0)
    fromSockAddr(remote, &ends.remote, &ends.remotePort);
  return ends;
}

void adopt(Conn *c, ClientImpl *owner, const ConnOptions &options) {
  c->owner = owner;
  if (options.noDelay)
    setNoDelay(c, true);
  if (options.sendBudget)
    setSendBudget(c, options.sendBudget);
  setAckEvents(c, options.ackEvents);
}

void setNoDelay(Conn *c, bool on) {
  int v = on ? 1 : 0;
  setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &v, sizeof(v));
}

bool getNoDelay(Conn *c) {
  int v = 0;
  socklen_t len = sizeof(v);
  return getsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &v, &len) == 0 && v != 0;
}

void setKeepAlive(Conn *c, uint32_t ms, uint8_t count) {
  int on = ms ? 1 : 0;
  setsockopt(c->fd, SOL_SOCKET, SO_KEEPALIVE, &on, sizeof(on));
  if (!on)
    return;
  int secs = int(std::max<uint32_t>(1, (ms + 999) / 1000));
  int cnt = count ? count : 1;
  setsockopt(c->fd, IPPROTO_TCP, TCP_KEEPIDLE, &secs, sizeof(secs));
  setsockopt(c->fd, IPPROTO_TCP, TCP_KEEPINTVL, &secs, sizeof(secs));
  setsockopt(c->fd, IPPROTO_TCP, TCP_KEEPCNT, &cnt, sizeof(cnt));
}

uint16_t mss(Conn *c) {
  int v = 0;
  socklen_t len = sizeof(v);
  if (getsockopt(c->fd, IPPROTO_TCP, TCP_MAXSEG, &v, &len) != 0)
    return 0;
  return uint16_t(v);
}

}  // namespace asynctcp::backend

#endif  // !defined(ESP_PLATFORM)
