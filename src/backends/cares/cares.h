// c-ares as both Linux hosts use it: the epoll backend (on its loop) and lwIP's host build
// (Debian's lwIP has no LWIP_DNS; a resolver thread per query). One home for what they must
// do alike: the channel's limits, the lookup, which answer to connect to, the server list.
// ESP32 builds resolve with lwIP's own DNS (backends/lwip/dns_lwip.cpp) and skip this.
#pragma once

#if !defined(ESP_PLATFORM)

#include <ares.h>

#include "AsyncTCP.h"
#include "backends/cares/server_list.h"

namespace asynctcp::backend::cares {

// ares_library_init, once per process; false when c-ares cannot start.
bool start();

// A channel with the library's limits: 2 s a try, 2 tries, so a dead server fails a lookup in
// seconds, not minutes. `watch`, if given, is told the channel's sockets (ARES_OPT_SOCK_STATE_CB).
bool open(ares_channel *channel, ares_sock_state_cb watch = nullptr, void *watchData = nullptr);

// Starts a lookup of host's v4 and v6 addresses for a stream socket; `done` runs once.
void lookup(ares_channel channel, const char *host, ares_addrinfo_callback done, void *arg);

// The address a lookup's answer connects to: the first IPv4 one, as ESP32 does (a dual-stack
// name then reaches v4-only servers), else the first IPv6 one with its scope id. Frees result.
bool pick(int status, ares_addrinfo *result, IPAddress *out);

// Makes a parsed list (server_list.h) the channel's servers; false, and the channel
// unchanged, if c-ares refuses it (out of memory).
bool setServers(ares_channel channel, const DnsServerList &servers);

}  // namespace asynctcp::backend::cares

#endif  // !defined(ESP_PLATFORM)
