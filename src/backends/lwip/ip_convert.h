// IPAddress <-> lwIP's ip_addr_t.
#pragma once

extern "C" {
#include "lwip/ip_addr.h"
}

#include <cstring>

#include "AsyncTCP.h"

namespace asynctcp::backend {

inline ip_addr_t toLwip(const IPAddress &ip) {
  ip_addr_t a;
  if (ip.type() == IPv6) {
    IP_SET_TYPE_VAL(a, IPADDR_TYPE_V6);
    std::memcpy(ip_2_ip6(&a)->addr, ip.raw6(), 16);
    ip6_addr_clear_zone(ip_2_ip6(&a));
  } else {
    IP_SET_TYPE_VAL(a, IPADDR_TYPE_V4);
    std::memcpy(&ip_2_ip4(&a)->addr, ip.raw4(), 4);
  }
  return a;
}

inline IPAddress fromLwip(const ip_addr_t &a) {
  if (IP_IS_V6_VAL(a)) {
    const uint8_t *b = reinterpret_cast<const uint8_t *>(ip_2_ip6(&a)->addr);
    static const uint8_t mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    if (std::memcmp(b, mapped, 12) == 0)
      return IPAddress(IPv4, b + 12);
    return IPAddress(IPv6, b);
  }
  return IPAddress(IPv4, reinterpret_cast<const uint8_t *>(&ip_2_ip4(&a)->addr));
}

}  // namespace asynctcp::backend
