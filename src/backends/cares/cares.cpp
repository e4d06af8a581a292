// Host only: the Arduino IDE and PlatformIO compile every file under src/.
#if !defined(ESP_PLATFORM)

#include "backends/cares/cares.h"

#include <netinet/in.h>

#include <cstring>
#include <vector>

#include "ip/ip_bytes.h"

namespace asynctcp::backend::cares {

bool start() {
  static const bool ok = ares_library_init(ARES_LIB_INIT_ALL) == ARES_SUCCESS;
  return ok;
}

bool open(ares_channel *channel, ares_sock_state_cb watch, void *watchData) {
  if (!start())
    return false;
  ares_options opts{};
  opts.timeout = 2000;  // ms per try
  opts.tries = 2;
  int mask = ARES_OPT_TIMEOUTMS | ARES_OPT_TRIES;
  if (watch) {
    opts.sock_state_cb = watch;
    opts.sock_state_cb_data = watchData;
    mask |= ARES_OPT_SOCK_STATE_CB;
  }
  return ares_init_options(channel, &opts, mask) == ARES_SUCCESS;
}

void lookup(ares_channel channel, const char *host, ares_addrinfo_callback done, void *arg) {
  ares_addrinfo_hints hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  ares_getaddrinfo(channel, host, nullptr, &hints, done, arg);
}

bool pick(int status, ares_addrinfo *result, IPAddress *out) {
  const ares_addrinfo_node *v4 = nullptr, *v6 = nullptr;
  for (const ares_addrinfo_node *n = result ? result->nodes : nullptr; n && !v4; n = n->ai_next) {
    if (n->ai_family == AF_INET)
      v4 = n;
    else if (n->ai_family == AF_INET6 && !v6)
      v6 = n;
  }
  bool found = status == ARES_SUCCESS && (v4 || v6);
  if (found && v4) {
    auto *a = reinterpret_cast<const sockaddr_in *>(v4->ai_addr);
    *out = IPAddress(IPv4, reinterpret_cast<const uint8_t *>(&a->sin_addr));
  } else if (found) {
    auto *a = reinterpret_cast<const sockaddr_in6 *>(v6->ai_addr);
    *out = makeIpv6(a->sin6_addr.s6_addr, uint8_t(a->sin6_scope_id));
  }
  if (result)
    ares_freeaddrinfo(result);
  return found;
}

bool setServers(ares_channel channel, const DnsServerList &servers) {
  std::vector<ares_addr_port_node> nodes(servers.size());
  for (size_t i = 0; i < servers.size(); ++i) {
    ares_addr_port_node &n = nodes[i];
    n.next = i + 1 < nodes.size() ? &nodes[i + 1] : nullptr;
    n.family = servers[i].v6 ? AF_INET6 : AF_INET;
    std::memcpy(&n.addr, servers[i].addr, servers[i].v6 ? 16 : 4);
    n.udp_port = n.tcp_port = servers[i].port;
  }
  return !nodes.empty() && ares_set_servers_ports(channel, nodes.data()) == ARES_SUCCESS;
}

}  // namespace asynctcp::backend::cares

#endif  // !defined(ESP_PLATFORM)
