// Fuzzes the DNS server-list parser (setDnsServers(); c-ares is handed its result). Besides
// memory safety (and no exception escaping): an accepted list is a list of numeric addresses
// with ports in 1..65535 or the default, and written back out it parses to the same list.
#include <arpa/inet.h>

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>

#include "backends/cares/server_list.h"

#define FUZZ_CHECK(cond) \
  do {                   \
    if (!(cond))         \
      __builtin_trap();  \
  } while (0)

using asynctcp::backend::DnsServer;
using asynctcp::backend::DnsServerList;
using asynctcp::backend::parseDnsServers;

namespace {

std::string format(const DnsServerList &list) {
  std::string out;
  for (const DnsServer &s : list) {
    char text[INET6_ADDRSTRLEN];
    FUZZ_CHECK(inet_ntop(s.v6 ? AF_INET6 : AF_INET, s.addr, text, sizeof text));
    if (!out.empty())
      out += ',';
    out += s.v6 ? "[" + std::string(text) + "]" : std::string(text);
    if (s.port)
      out += ":" + std::to_string(s.port);
  }
  return out;
}

bool same(const DnsServer &a, const DnsServer &b) {
  return a.v6 == b.v6 && a.port == b.port && std::memcmp(a.addr, b.addr, sizeof a.addr) == 0;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size > 4096)
    return 0;
  const std::string csv(reinterpret_cast<const char *>(data), size);
  DnsServerList list, again;
  bool valid = false;
  try {
    valid = parseDnsServers(csv.c_str(), &list);
  } catch (...) {
    __builtin_trap();  // the library is built for callers without exceptions
  }
  if (!valid) {
    FUZZ_CHECK(list.empty());  // a refused list leaves the output alone
    return 0;
  }
  FUZZ_CHECK(!list.empty());
  const std::string written = format(list);
  FUZZ_CHECK(parseDnsServers(written.c_str(), &again));
  FUZZ_CHECK(again.size() == list.size());
  for (size_t i = 0; i < list.size(); ++i)
    FUZZ_CHECK(same(list[i], again[i]));
  return 0;
}
