// Host only: the Arduino IDE compiles every file under src/, ESP32 builds skip this one.
#if !defined(ESP_PLATFORM)

#include "backends/cares/server_list.h"

#include <arpa/inet.h>

#include <cstring>
#include <string>

namespace asynctcp::backend {

namespace {
bool parsePort(const std::string &text, uint16_t *port) {
  if (text.empty() || text.size() > 5 || text.find_first_not_of("0123456789") != std::string::npos)
    return false;
  const unsigned long v = std::stoul(text);
  if (v == 0 || v > 65535)
    return false;
  *port = uint16_t(v);
  return true;
}

// "[v6]", "[v6]:port", "v4", "v4:port", or a bare v6 address (more than one colon).
bool parseItem(const std::string &item, DnsServer *s) {
  std::string host = item, port;
  if (!item.empty() && item[0] == '[') {
    const size_t close = item.find(']');
    if (close == std::string::npos)
      return false;
    host = item.substr(1, close - 1);
    if (close + 1 < item.size()) {
      if (item[close + 1] != ':')
        return false;
      port = item.substr(close + 2);
      if (port.empty())
        return false;
    }
    s->v6 = true;
  } else if (item.find(':') != std::string::npos && item.find(':') == item.rfind(':')) {
    host = item.substr(0, item.find(':'));
    port = item.substr(item.find(':') + 1);
    if (port.empty())
      return false;
  } else {
    s->v6 = item.find(':') != std::string::npos;
  }
  if (!port.empty() && !parsePort(port, &s->port))
    return false;
  return inet_pton(s->v6 ? AF_INET6 : AF_INET, host.c_str(), s->addr) == 1;
}
}  // namespace

bool parseDnsServers(const char *csv, DnsServerList *out) {
  if (!csv || !*csv)
    return false;
  const std::string list(csv);
  DnsServerList servers;
  size_t start = 0;
  while (start <= list.size()) {
    size_t end = list.find(',', start);
    if (end == std::string::npos)
      end = list.size();
    DnsServer s;
    if (!parseItem(list.substr(start, end - start), &s))
      return false;
    servers.push_back(s);
    start = end + 1;
  }
  *out = std::move(servers);
  return true;
}

}  // namespace asynctcp::backend

#endif  // !defined(ESP_PLATFORM)
