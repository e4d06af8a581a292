// IPAddress <-> lwIP's ip_addr_t for the backend: ip/ip_bytes.h does the work, so
// that it holds for the library's IPAddress and arduino-esp32's alike.
#pragma once

extern "C" {
#include "lwip/ip_addr.h"
#include "lwip/tcp.h"
}

#include "AsyncTCP.h"
#include "backends/backend.h"
#include "ip/ip_bytes.h"

namespace asynctcp::backend {

inline ip_addr_t toLwip(const IPAddress &ip) {
  return toIpAddr(ip);
}

inline IPAddress fromLwip(const ip_addr_t &a) {
  return fromIpAddr(a);
}

// A pcb's two ends. tcpip thread (or the core lock of lwIP held).
inline Endpoints endpointsOf(const struct tcp_pcb *pcb) {
  Endpoints e;
  e.local = fromLwip(pcb->local_ip);
  e.remote = fromLwip(pcb->remote_ip);
  e.localPort = pcb->local_port;
  e.remotePort = pcb->remote_port;
  return e;
}

}  // namespace asynctcp::backend
