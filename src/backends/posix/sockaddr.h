// Conversions between IPAddress and the socket API's address structs.
#pragma once

#include <netinet/in.h>
#include <sys/socket.h>

#include "AsyncTCP.h"

namespace asynctcp::backend {

struct SockAddr {
  sockaddr_storage ss{};
  socklen_t len = 0;
  sockaddr *ptr() { return reinterpret_cast<sockaddr *>(&ss); }
  int family() const { return ss.ss_family; }
};

SockAddr toSockAddr(const IPAddress &ip, uint16_t port);
SockAddr anySockAddr(int family, uint16_t port);
// v4-mapped v6 addresses come back as v4: that is what a dual-stack server's peer is.
void fromSockAddr(const SockAddr &sa, IPAddress *ip, uint16_t *port);

}  // namespace asynctcp::backend
