// Checks a DNS server list for c-ares ("1.2.3.4", "1.2.3.4:53", "[::1]:53", "::1").
#pragma once

namespace asynctcp::backend {
// c-ares takes "1.2.3.4:99999" and silently truncates the port; this refuses it.
bool dnsServerPortsValid(const char *csv);
}  // namespace asynctcp::backend
