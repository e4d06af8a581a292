// IPAddress <-> lwIP's ip_addr_t for the backend: ip/ip_bytes.h does the work, so
// that it holds for the library's IPAddress and arduino-esp32's alike.
#pragma once

extern "C" {
#include "lwip/ip_addr.h"
}

#include "AsyncTCP.h"
#include "ip/ip_bytes.h"

namespace asynctcp::backend {

inline ip_addr_t toLwip(const IPAddress &ip) {
  return toIpAddr(ip);
}

inline IPAddress fromLwip(const ip_addr_t &a) {
  return fromIpAddr(a);
}

}  // namespace asynctcp::backend
