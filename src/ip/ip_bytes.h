// Address bytes in and out of IPAddress through the part of its API that every class
// AsyncTCP.h may take has: type(), operator[](int) const (v4: the 4 bytes of the dotted
// quad; v6: the 16 bytes) and the IPAddress(IPType, const uint8_t *) constructor. The
// classes are the library's own (include/asynctcp/IPAddress.h), arduino-esp32 3.x's
// (cores/esp32/IPAddress.h) and ArduinoCore-API's (Arduino-Emulator and other cores built
// on it). The IPv6 zone exists in the first two only (a zone() getter and a third
// constructor argument): ipZone() and makeIpv6() find out from the class, not from
// macros. raw4()/raw6()/isV4()/isV6()/isAny() are the library's own class's only
// (released arduino-esp32 3.x has none of them): library code uses the helpers below.
#pragma once

#include <cstdint>
#include <cstring>
#include <type_traits>
#include <utility>

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

// 0.0.0.0 or ::
inline bool isAnyAddress(const IPAddress &ip) {
  const int n = isIpv6(ip) ? 16 : 4;
  for (int i = 0; i < n; ++i)
    if (ip[i])
      return false;
  return true;
}

namespace ip_detail {
template <typename T, typename = void>
struct HasZone : std::false_type {};
template <typename T>
struct HasZone<T, std::void_t<decltype(std::declval<const T &>().zone())>> : std::true_type {};
}  // namespace ip_detail

// The v6 zone (interface index), 0 for v4 and for classes without zones.
template <typename Ip = IPAddress>
uint8_t ipZone(const Ip &ip) {
  if constexpr (ip_detail::HasZone<Ip>::value)
    return uint8_t(ip.zone());
  else
    return 0;
}

inline IPAddress makeIpv4(const uint8_t *bytes) {
  return IPAddress(IPv4, bytes);
}

// A class without zones drops zone: ArduinoCore-API's has no scoped addresses.
template <typename Ip = IPAddress>
Ip makeIpv6(const uint8_t *bytes, [[maybe_unused]] uint8_t zone = 0) {
  if constexpr (std::is_constructible_v<Ip, decltype(IPv6), const uint8_t *, uint8_t>)
    return Ip(IPv6, bytes, zone);
  else
    return Ip(IPv6, bytes);
}

// 16 address bytes as the address they name: a v4-mapped one (::ffff:a.b.c.d) is v4, as
// the connection it names is one (dual-stack sockets and lwIP report v4 peers so).
inline IPAddress fromV6Bytes(const uint8_t *b, uint8_t zone = 0) {
  static const uint8_t mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
  return std::memcmp(b, mapped, 12) == 0 ? makeIpv4(b + 12) : makeIpv6(b, zone);
}

// IPAddress <-> lwIP's ip_addr_t (include/asynctcp/lwip_types.h's on Linux, lwIP's own
// on the lwIP backend and ESP32: the same fields and macros).
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
  if (IP_IS_V6_VAL(a))
    return fromV6Bytes(reinterpret_cast<const uint8_t *>(ip_2_ip6(&a)->addr));
  return makeIpv4(reinterpret_cast<const uint8_t *>(&ip_2_ip4(&a)->addr));
}

}  // namespace asynctcp
