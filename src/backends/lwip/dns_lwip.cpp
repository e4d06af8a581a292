// Name resolution for the lwIP backend on ESP32: lwIP's own DNS client. It
// answers in the tcpip thread; the answer reaches the service thread the way
// dns_host.cpp's do (the finished list under the mail lock, then wake()), so
// events::resolved() only ever runs from the service loop. Replaces
// dns_host.cpp where lwIP is built with LWIP_DNS (ESP-IDF always is).
// ESP32 only: the Arduino IDE compiles every file under src/, Linux builds skip this one.
#if defined(ESP_PLATFORM)

extern "C" {
#include "lwip/dns.h"
#include "lwip/prot/dns.h"  // DNS_SERVER_PORT
}

#include <cstring>
#include <vector>

#include "backends/lwip/internal.h"
#include "backends/lwip/ip_convert.h"

#if !LWIP_DNS
#error "dns_lwip.cpp needs lwIP built with LWIP_DNS; Linux builds use dns_host.cpp"
#endif

namespace asynctcp::backend {

// lwIP cannot cancel a lookup: the query lives until lwIP has called back,
// however long after its client gave up on it.
struct DnsQuery {
  ClientImpl *owner = nullptr;  // mail lock; null once cancelled
  bool found = false;
  IPAddress ip;
};

namespace {
std::vector<DnsQuery *> &finished() {                 // mail lock
  static auto *list = new std::vector<DnsQuery *>();  // never destroyed, like the mailboxes
  return *list;
}

void finish(DnsQuery *q, const ip_addr_t *addr) {
  if (addr) {
    q->ip = fromLwip(*addr);
    q->found = true;
  }
  {
    os::LockGuard g(mailLock());
    finished().push_back(q);
  }
  wake();
}

// tcpip thread. lwIP calls it only for lookups it answered ERR_INPROGRESS to,
// with null when the name did not resolve (or the lookup timed out).
void s_found(const char *, const ip_addr_t *addr, void *arg) {
  finish(static_cast<DnsQuery *>(arg), addr);
}

// One server: "1.2.3.4", "1.2.3.4:53", "::1", "[::1]" or "[::1]:53". lwIP asks
// every server on DNS_SERVER_PORT, so any other port is refused, not ignored.
bool parseServer(const char *item, size_t len, ip_addr_t *out) {
  const char *host = item;
  size_t hostLen = len;
  const char *port = nullptr;
  if (len && item[0] == '[') {
    auto *close = static_cast<const char *>(std::memchr(item, ']', len));
    if (!close)
      return false;
    host = item + 1;
    hostLen = size_t(close - host);
    const char *rest = close + 1;
    if (rest < item + len) {
      if (*rest != ':')
        return false;
      port = rest + 1;
    }
  } else {
    auto *colon = static_cast<const char *>(std::memchr(item, ':', len));
    // A second colon makes it a bare IPv6 address.
    if (colon && !std::memchr(colon + 1, ':', size_t(item + len - colon - 1))) {
      hostLen = size_t(colon - item);
      port = colon + 1;
    }
  }
  if (port) {
    unsigned value = 0;
    const char *p = port;
    for (; p < item + len && *p >= '0' && *p <= '9' && value <= 65535; ++p)
      value = value * 10 + unsigned(*p - '0');
    if (p == port || p != item + len || value != DNS_SERVER_PORT)
      return false;
  }
  char text[64];
  if (hostLen == 0 || hostLen >= sizeof text)
    return false;
  std::memcpy(text, host, hostLen);
  text[hostLen] = '\0';
  IPAddress ip;
  if (!ip.fromString(text))
    return false;
  *out = toLwip(ip);
  return true;
}
}  // namespace

void deliverDns() {
  std::vector<DnsQuery *> list;
  {
    os::LockGuard g(mailLock());
    list.swap(finished());
  }
  for (DnsQuery *q : list) {
    ClientImpl *owner;
    {
      os::LockGuard g(mailLock());
      owner = q->owner;
    }
    if (owner)
      events::resolved(owner, q->found ? &q->ip : nullptr);
    delete q;
  }
}

DnsQuery *resolve(const char *host, ClientImpl *owner) {
  auto *q = new DnsQuery();
  q->owner = owner;
  ip_addr_t addr;
  err_t err;
  {
    CoreLock lock;  // the DNS client is raw API, like tcp_*()
#if LWIP_IPV4 && LWIP_IPV6
    // IPv4 first, IPv6 if there is none: the order dns_host.cpp and ESP32 use.
    err = dns_gethostbyname_addrtype(host, &addr, s_found, q, LWIP_DNS_ADDRTYPE_IPV4_IPV6);
#else
    err = dns_gethostbyname(host, &addr, s_found, q);
#endif
  }
  if (err == ERR_OK) {
    // An address literal or a cached name: answered now, delivered from the loop
    // like any other answer (no event inside a backend call).
    finish(q, &addr);
  } else if (err != ERR_INPROGRESS) {
    // Could not even ask (bad name, no server, table full): connect() returns
    // false, as ESP32's AsyncClient::connect(host) does.
    delete q;
    return nullptr;
  }
  return q;
}

void cancel(DnsQuery *q) {
  os::LockGuard g(mailLock());
  q->owner = nullptr;
}

bool setDnsServers(const char *csv) {
  if (!csv || !*csv)
    return false;
  ip_addr_t servers[DNS_MAX_SERVERS];
  size_t count = 0;
  for (const char *item = csv;;) {
    const char *comma = std::strchr(item, ',');
    size_t len = comma ? size_t(comma - item) : std::strlen(item);
    if (count == DNS_MAX_SERVERS || !parseServer(item, len, &servers[count]))
      return false;
    ++count;
    if (!comma)
      break;
    item = comma + 1;
  }
  // lwIP takes new servers at any time; lookups in flight keep the server they asked.
  CoreLock lock;
  for (u8_t i = 0; i < DNS_MAX_SERVERS; ++i)
    dns_setserver(i, i < count ? &servers[i] : nullptr);
  return true;
}

}  // namespace asynctcp::backend

#endif  // defined(ESP_PLATFORM)
