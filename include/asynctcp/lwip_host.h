// Host-side network set-up for the lwIP backend on Linux (not for ESP32, where
// the board's Wi-Fi/Ethernet driver brings up the netif). Every AsyncTCP
// program on the lwIP build already has an in-process loopback netif, so
// 127.0.0.1 and ::1 reach this process's own servers.
#pragma once

#include "AsyncTCP.h"

namespace asynctcp::lwip {

// Brings up an lwIP netif on an existing Linux TAP device (for example one
// created with `ip tuntap add dev tap0 mode tap` inside a network namespace),
// so Linux programs reach lwIP's servers at `ip` (and at `ip6` when one is
// given). Needs root or CAP_NET_ADMIN and /dev/net/tun. Returns false when the
// device cannot be opened.
//
// Without code: any program of the lwIP build started with
//   ASYNCTCP_LWIP_TAP="DEVICE IPV4/PREFIX [GATEWAY [IPV6]]"
// brings up that netif as it starts (for example the examples: see README).
bool addTapNetif(const char *device, const IPAddress &ip, const IPAddress &netmask,
                 const IPAddress &gateway, bool makeDefault = true,
                 const IPAddress &ip6 = IPAddress());

}  // namespace asynctcp::lwip
