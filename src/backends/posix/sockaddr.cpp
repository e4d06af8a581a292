// Host only (the epoll backend): the Arduino IDE and PlatformIO compile every file under src/.
#if !defined(ESP_PLATFORM)

#include "backends/posix/sockaddr.h"

#include "ip/ip_bytes.h"

namespace asynctcp::backend {

SockAddr toSockAddr(const IPAddress &ip, uint16_t port) {
  SockAddr sa;
  if (ip.type() == IPv6) {
    auto *a = reinterpret_cast<sockaddr_in6 *>(&sa.ss);
    a->sin6_family = AF_INET6;
    a->sin6_port = htons(port);
    ipv6Bytes(ip, a->sin6_addr.s6_addr);
    a->sin6_scope_id = ipZone(ip);
    sa.len = sizeof(*a);
  } else {
    auto *a = reinterpret_cast<sockaddr_in *>(&sa.ss);
    a->sin_family = AF_INET;
    a->sin_port = htons(port);
    ipv4Bytes(ip, reinterpret_cast<uint8_t *>(&a->sin_addr));
    sa.len = sizeof(*a);
  }
  return sa;
}

SockAddr anySockAddr(int family, uint16_t port) {
  return toSockAddr(family == AF_INET6 ? IPAddress(IPv6) : IPAddress(0u), port);
}

void fromSockAddr(const SockAddr &sa, IPAddress *ip, uint16_t *port) {
  if (sa.family() == AF_INET6) {
    auto *a = reinterpret_cast<const sockaddr_in6 *>(&sa.ss);
    *ip = fromV6Bytes(a->sin6_addr.s6_addr, uint8_t(a->sin6_scope_id));
    *port = ntohs(a->sin6_port);
  } else {
    auto *a = reinterpret_cast<const sockaddr_in *>(&sa.ss);
    *ip = IPAddress(IPv4, reinterpret_cast<const uint8_t *>(&a->sin_addr));
    *port = ntohs(a->sin_port);
  }
}

}  // namespace asynctcp::backend

#endif  // !defined(ESP_PLATFORM)
