// IPAddress text forms, through the C library's inet_pton/inet_ntop where the
// platform has them (both ESP-IDF's lwIP and glibc provide these names).
// Only for the library's own class: under ARDUINO (ESP32) or ASYNCTCP_CORE_IPADDRESS (a Linux
// build against an Arduino core, such as Arduino-Emulator) AsyncTCP.h takes the core's
// IPAddress, and the core defines these names; a second definition would not link.
#if !(defined(ARDUINO) || defined(ASYNCTCP_CORE_IPADDRESS)) || defined(ASYNCTCP_ARDUINO_LINUX)

#include "asynctcp/IPAddress.h"

#if defined(ESP_PLATFORM)
#include "lwip/sockets.h"  // ESP-IDF's arpa/inet.h lacks inet_pton; lwIP's sockets API has it
#else
#include <arpa/inet.h>
#endif

#include <cstdlib>

const IPAddress INADDR_NONE_IP(0, 0, 0, 0);
const IPAddress IN6ADDR_ANY(IPv6);

bool IPAddress::fromString(const char *text) {
  if (!text)
    return false;
  uint8_t buf[16];
  if (inet_pton(AF_INET, text, buf) == 1) {
    *this = IPAddress(IPv4, buf);
    return true;
  }
  // Accept a zone suffix ("fe80::1%2") by ignoring it: zones are numeric here.
  char plain[64];
  const char *pct = std::strchr(text, '%');
  size_t n = pct ? size_t(pct - text) : std::strlen(text);
  if (n >= sizeof(plain))
    return false;
  std::memcpy(plain, text, n);
  plain[n] = '\0';
  if (inet_pton(AF_INET6, plain, buf) == 1) {
    uint8_t zone = pct ? uint8_t(std::atoi(pct + 1)) : 0;
    *this = IPAddress(IPv6, buf, zone);
    return true;
  }
  return false;
}

std::string IPAddress::toString() const {
  char buf[64];
  if (_type == IPv4)
    inet_ntop(AF_INET, &_bytes[12], buf, sizeof(buf));
  else
    inet_ntop(AF_INET6, _bytes, buf, sizeof(buf));
  return buf;
}

bool IPAddress::isAny() const {
  for (int i = (_type == IPv4 ? 12 : 0); i < 16; ++i)
    if (_bytes[i])
      return false;
  return true;
}

#endif  // the library's own IPAddress
