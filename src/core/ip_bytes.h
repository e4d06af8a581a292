// Address bytes in and out of IPAddress through the part of its API that the
// library's own class (include/asynctcp/IPAddress.h) and arduino-esp32 3.x's
// (cores/esp32/IPAddress.h, used whenever ARDUINO is defined) both have:
// type(), operator[](int) const (v4: the 4 bytes of the dotted quad; v6: the
// 16 bytes), the IPAddress(IPType, const uint8_t *, uint8_t zone) constructor
// and zone(). raw4()/raw6()/isV4()/isV6()/isAny() are ours only: released
// arduino-esp32 3.x has none of them (an earlier, ip_addr_t-based development
// version of its IPAddress had a raw6() returning uint16_t *).
#pragma once

#include <cstdint>
#include <cstring>

#include "AsyncTCP.h"

#if defined(ARDUINO) && defined(ESP_PLATFORM) && defined(__has_include)
#if __has_include(<esp_arduino_version.h>)
#include <esp_arduino_version.h>
#if ESP_ARDUINO_VERSION_MAJOR < 3
#error "AsyncTCP needs arduino-esp32 3.x: the IPAddress of 2.x has no IPv6 (IPType, type())"
#endif
#endif
#endif

namespace asynctcp {

inline bool isIpv6(const IPAddress &ip) {
  return ip.type() == IPv6;
}

// The 4 bytes of a v4 address in network order (a.b.c.d -> {a, b, c, d}). ip must be v4.
inline void ipv4Bytes(const IPAddress &ip, uint8_t *out) {
  for (int i = 0; i < 4; ++i)
    out[i] = ip[i];
}

// The 16 bytes of a v6 address in network order; a v4 address gives its v4-mapped
// form ::ffff:a.b.c.d (operator[] of a v4 address only reaches 4 bytes).
inline void ipv6Bytes(const IPAddress &ip, uint8_t *out) {
  if (!isIpv6(ip)) {
    for (int i = 0; i < 10; ++i)
      out[i] = 0;
    out[10] = out[11] = 0xff;
    ipv4Bytes(ip, out + 12);
    return;
  }
  for (int i = 0; i < 16; ++i)
    out[i] = ip[i];
}

inline IPAddress makeIpv4(const uint8_t *bytes) {
  return IPAddress(IPv4, bytes);
}

inline IPAddress makeIpv6(const uint8_t *bytes, uint8_t zone = 0) {
  return IPAddress(IPv6, bytes, zone);
}

// IPAddress <-> lwIP's ip_addr_t (include/asynctcp/lwip_types.h's on Linux, lwIP's own
// on the lwIP backend and ESP32: the same fields and macros). A v4-mapped v6 address
// comes back as v4, as the connection it names is one.
inline ip_addr_t toIpAddr(const IPAddress &ip) {
  ip_addr_t a{};
  if (isIpv6(ip)) {
    IP_SET_TYPE_VAL(a, IPADDR_TYPE_V6);
    ipv6Bytes(ip, reinterpret_cast<uint8_t *>(ip_2_ip6(&a)->addr));
    ip6_addr_clear_zone(ip_2_ip6(&a));
  } else {
    IP_SET_TYPE_VAL(a, IPADDR_TYPE_V4);
    ipv4Bytes(ip, reinterpret_cast<uint8_t *>(&ip_2_ip4(&a)->addr));
  }
  return a;
}

inline IPAddress fromIpAddr(const ip_addr_t &a) {
  if (IP_IS_V6_VAL(a)) {
    const uint8_t *b = reinterpret_cast<const uint8_t *>(ip_2_ip6(&a)->addr);
    static const uint8_t mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    if (std::memcmp(b, mapped, 12) == 0)
      return makeIpv4(b + 12);
    return makeIpv6(b);
  }
  return makeIpv4(reinterpret_cast<const uint8_t *>(&ip_2_ip4(&a)->addr));
}

}  // namespace asynctcp
