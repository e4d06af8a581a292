// The DNS server list of setDnsServers(): "1.2.3.4", "1.2.3.4:53", "[::1]:53", "::1",
// comma-separated. Parsed here, once; c-ares is handed the result, never the text.
#pragma once

#include <cstdint>
#include <vector>

namespace asynctcp::backend {

struct DnsServer {
  bool v6 = false;
  uint8_t addr[16] = {};  // network order; 4 bytes used for IPv4
  uint16_t port = 0;      // 0: the default, 53
};
using DnsServerList = std::vector<DnsServer>;

// False, and *out unchanged, for an empty list, an empty item, an address that is not a
// numeric IPv4 or IPv6 one, or a port outside 1..65535 (c-ares's own parser would truncate
// "1.2.3.4:99999" silently).
bool parseDnsServers(const char *csv, DnsServerList *out);

}  // namespace asynctcp::backend
