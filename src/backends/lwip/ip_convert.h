// IPAddress <-> lwIP's ip_addr_t, through core/ip_bytes.h so that it works with
// the library's IPAddress and with arduino-esp32's alike.
#pragma once

extern "C" {
#include "lwip/ip_addr.h"
}

#include <cstring>

#include "AsyncTCP.h"
#include "core/ip_bytes.h"

namespace asynctcp::backend {

inline ip_addr_t toLwip(const IPAddress &ip) {
  ip_addr_t a;
  if (isIpv6(ip)) {
    IP_SET_TYPE_VAL(a, IPADDR_TYPE_V6);
    uint8_t b[16];
    ipv6Bytes(ip, b);
    std::memcpy(ip_2_ip6(&a)->addr, b, 16);
    ip6_addr_clear_zone(ip_2_ip6(&a));
  } else {
    IP_SET_TYPE_VAL(a, IPADDR_TYPE_V4);
    uint8_t b[4];
    ipv4Bytes(ip, b);
    std::memcpy(&ip_2_ip4(&a)->addr, b, 4);
  }
  return a;
}

inline IPAddress fromLwip(const ip_addr_t &a) {
  if (IP_IS_V6_VAL(a)) {
    const uint8_t *b = reinterpret_cast<const uint8_t *>(ip_2_ip6(&a)->addr);
    static const uint8_t mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    if (std::memcmp(b, mapped, 12) == 0)
      return makeIpv4(b + 12);
    return makeIpv6(b);
  }
  return makeIpv4(reinterpret_cast<const uint8_t *>(&ip_2_ip4(&a)->addr));
}

}  // namespace asynctcp::backend
