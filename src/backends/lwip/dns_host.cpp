// Name resolution for the lwIP backend on Linux. Debian's lwIP is built without
// LWIP_DNS, so names are resolved by the host with c-ares, in a short-lived
// resolver thread per query (the service thread never blocks); the result
// comes back to the service thread like any other event. On ESP32 this file is
// replaced by lwIP's dns_gethostbyname().
// Host only: the Arduino IDE compiles every file under src/, ESP32 builds skip this one.
#if !defined(ESP_PLATFORM)

#include <ares.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>

#include <cstring>
#include <string>
#include <vector>

#include "backends/cares/server_list.h"
#include "backends/lwip/mailbox.h"

namespace asynctcp::backend {

struct DnsQuery {
  std::string host;
  ClientImpl *owner = nullptr;  // mail lock; null once cancelled
  bool found = false;
  IPAddress ip;
};

namespace {
struct DnsState {
  std::vector<DnsQuery *> finished;  // mail lock
  std::string servers;               // mail lock; empty = the system's
};
// Built on first use (a global constructor may start the stack before this file's dynamic
// initialisers would run), never destroyed: the resolver threads may outlive static destructors.
DnsState &dnsState() {
  static DnsState *d = new DnsState();
  return *d;
}

void onResult(void *arg, int status, int, ares_addrinfo *result) {
  auto *q = static_cast<DnsQuery *>(arg);
  const ares_addrinfo_node *v6 = nullptr;
  for (const ares_addrinfo_node *n = result ? result->nodes : nullptr; n && status == ARES_SUCCESS;
       n = n->ai_next) {
    if (n->ai_family == AF_INET) {  // IPv4 first, as ESP32 does
      auto *a = reinterpret_cast<const sockaddr_in *>(n->ai_addr);
      q->ip = IPAddress(IPv4, reinterpret_cast<const uint8_t *>(&a->sin_addr));
      q->found = true;
      break;
    }
    if (n->ai_family == AF_INET6 && !v6)
      v6 = n;
  }
  if (!q->found && v6) {
    auto *a = reinterpret_cast<const sockaddr_in6 *>(v6->ai_addr);
    q->ip = IPAddress(IPv6, a->sin6_addr.s6_addr);
    q->found = true;
  }
  if (result)
    ares_freeaddrinfo(result);
}

void *resolverMain(void *arg) {
  auto *q = static_cast<DnsQuery *>(arg);
  ares_channel channel;
  ares_options opts{};
  opts.timeout = 2000;
  opts.tries = 2;
  std::string servers;
  {
    os::LockGuard g(mailLock());
    servers = dnsState().servers;
  }
  if (ares_init_options(&channel, &opts, ARES_OPT_TIMEOUTMS | ARES_OPT_TRIES) == ARES_SUCCESS) {
    if (!servers.empty())
      ares_set_servers_ports_csv(channel, servers.c_str());
    ares_addrinfo_hints hints{};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    ares_getaddrinfo(channel, q->host.c_str(), nullptr, &hints, onResult, q);
    for (;;) {
      ares_socket_t socks[ARES_GETSOCK_MAXNUM];
      int bits = ares_getsock(channel, socks, ARES_GETSOCK_MAXNUM);
      if (bits == 0)
        break;  // no socket left: the query finished
      pollfd fds[ARES_GETSOCK_MAXNUM];
      int n = 0;
      for (int i = 0; i < ARES_GETSOCK_MAXNUM; ++i) {
        short ev = (ARES_GETSOCK_READABLE(bits, i) ? POLLIN : 0) |
                   (ARES_GETSOCK_WRITABLE(bits, i) ? POLLOUT : 0);
        if (ev)
          fds[n++] = pollfd{socks[i], ev, 0};
      }
      timeval tv;
      timeval *t = ares_timeout(channel, nullptr, &tv);
      int ms = t ? int(t->tv_sec * 1000 + t->tv_usec / 1000) : 1000;
      ::poll(fds, nfds_t(n), ms);
      for (int i = 0; i < n; ++i)
        ares_process_fd(
            channel, (fds[i].revents & (POLLIN | POLLERR | POLLHUP)) ? fds[i].fd : ARES_SOCKET_BAD,
            (fds[i].revents & POLLOUT) ? fds[i].fd : ARES_SOCKET_BAD);
      if (n == 0)
        ares_process_fd(channel, ARES_SOCKET_BAD, ARES_SOCKET_BAD);
    }
    ares_destroy(channel);
  }
  {
    os::LockGuard g(mailLock());
    dnsState().finished.push_back(q);
  }
  wake();
  return nullptr;
}
}  // namespace

void deliverDns() {
  std::vector<DnsQuery *> list;
  {
    os::LockGuard g(mailLock());
    list.swap(dnsState().finished);
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
  static bool initialised = ares_library_init(ARES_LIB_INIT_ALL) == ARES_SUCCESS;
  if (!initialised)
    return nullptr;
  auto *q = new DnsQuery();
  q->host = host;
  q->owner = owner;
  pthread_t t;
  if (pthread_create(&t, nullptr, resolverMain, q) != 0) {
    delete q;
    return nullptr;
  }
  pthread_detach(t);
  return q;
}

void cancel(DnsQuery *q) {
  os::LockGuard g(mailLock());
  q->owner = nullptr;
}

bool setDnsServers(const char *csv) {
  if (!csv || !*csv || !dnsServerPortsValid(csv))
    return false;
  // Checked by parsing into a throwaway channel, so a bad list is refused now.
  ares_channel probe;
  if (ares_init_options(&probe, nullptr, 0) != ARES_SUCCESS)
    return false;
  bool ok = ares_set_servers_ports_csv(probe, csv) == ARES_SUCCESS;
  ares_destroy(probe);
  if (!ok)
    return false;
  os::LockGuard g(mailLock());
  dnsState().servers = csv;
  return true;
}

}  // namespace asynctcp::backend

#endif  // !defined(ESP_PLATFORM)
