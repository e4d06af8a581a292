// Name resolution for the lwIP backend on Linux. Debian's lwIP is built without
// LWIP_DNS, so names are resolved by the host with c-ares, in a short-lived
// resolver thread per query (the service thread never blocks); the result
// comes back to the service thread like any other event. On ESP32 this file is
// replaced by lwIP's dns_gethostbyname().
// Host only: the Arduino IDE compiles every file under src/, ESP32 builds skip this one.
#if !defined(ESP_PLATFORM)

#include <poll.h>
#include <pthread.h>

#include <cstring>
#include <string>
#include <vector>

#include "backends/cares/cares.h"
#include "backends/lwip/internal.h"

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
  DnsServerList servers;             // mail lock; empty = the system's
};
// Built on first use (a global constructor may start the stack before this file's dynamic
// initialisers would run), never destroyed: the resolver threads may outlive static destructors.
DnsState &dnsState() {
  static DnsState *d = new DnsState();
  return *d;
}

void onResult(void *arg, int status, int, ares_addrinfo *result) {
  auto *q = static_cast<DnsQuery *>(arg);
  q->found = cares::pick(status, result, &q->ip);
}

void *resolverMain(void *arg) {
  auto *q = static_cast<DnsQuery *>(arg);
  ares_channel channel;
  DnsServerList servers;
  {
    os::LockGuard g(mailLock());
    servers = dnsState().servers;
  }
  if (cares::open(&channel)) {
    if (!servers.empty())
      cares::setServers(channel, servers);
    cares::lookup(channel, q->host.c_str(), onResult, q);
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
  if (!cares::start())
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
  DnsServerList servers;
  if (!parseDnsServers(csv, &servers))
    return false;
  os::LockGuard g(mailLock());
  dnsState().servers = std::move(servers);
  return true;
}

}  // namespace asynctcp::backend

#endif  // !defined(ESP_PLATFORM)
