// Asynchronous name resolution with c-ares, driven by the same epoll loop:
// c-ares tells us its sockets, we poll them, and feed readiness back.
// Host only (the epoll backend): the Arduino IDE and PlatformIO compile every file under src/.
#if !defined(ESP_PLATFORM)

#include <cstring>
#include <string>
#include <unordered_map>

#include "backends/cares/cares.h"
#include "backends/posix/internal.h"
#include "os/os.h"

namespace asynctcp::backend {

struct DnsQuery {
  ClientImpl *owner = nullptr;
  bool done = false;
  bool found = false;
  IPAddress ip;
};

namespace {
// Built by dnsInit() on first use, never destroyed: the service thread may start from a
// global constructor before this file's dynamic initialisers run, and may still run while
// static destructors do. Only constant-initialised globals here.
struct DnsState {
  std::unordered_map<int, Pollable *> sockets;
  std::vector<DnsQuery *> finished;  // delivered from the loop
};
ares_channel g_channel = nullptr;
DnsState *g_dns = nullptr;
int g_active = 0;

void sockStateCb(void *, ares_socket_t fd, int readable, int writable) {
  auto it = g_dns->sockets.find(fd);
  if (!readable && !writable) {
    if (it != g_dns->sockets.end()) {
      pollDel(it->second);
      if (!onUring())
        delete it->second;  // io_uring frees it once its poll completed
      g_dns->sockets.erase(it);
    }
    return;
  }
  uint32_t ev = (readable ? EPOLLIN : 0u) | (writable ? EPOLLOUT : 0u);
  epoll_event e{};
  e.events = ev;
  if (it == g_dns->sockets.end()) {
    auto *p = new Pollable{Kind::Dns, fd};
    g_dns->sockets[fd] = p;
    pollAdd(p, ev);
  } else if (onUring()) {
    pollAdd(it->second, ev);  // io_uring: what c-ares wants now
  } else {
    e.data.ptr = it->second;
    epoll_ctl(loop().epfd, EPOLL_CTL_MOD, fd, &e);
  }
}

void resolvedCb(void *arg, int status, int, ares_addrinfo *result) {
  auto *q = static_cast<DnsQuery *>(arg);
  --g_active;
  q->done = true;
  q->found = cares::pick(status, result, &q->ip);
  g_dns->finished.push_back(q);
}
}  // namespace

bool dnsInit() {
  if (!g_dns)
    g_dns = new DnsState();
  return cares::open(&g_channel, sockStateCb);  // c-ares tells the loop its sockets
}

void dnsHandleEvents(Pollable *p, uint32_t ev) {
  ares_socket_t r = (ev & (EPOLLIN | EPOLLERR | EPOLLHUP)) ? p->fd : ARES_SOCKET_BAD;
  ares_socket_t w = (ev & EPOLLOUT) ? p->fd : ARES_SOCKET_BAD;
  ares_process_fd(g_channel, r, w);
}

int64_t dnsTimeoutMs() {
  if (!g_dns->finished.empty())
    return 0;
  if (g_active == 0)
    return -1;
  timeval tv;
  if (!ares_timeout(g_channel, nullptr, &tv))
    return -1;
  return int64_t(tv.tv_sec) * 1000 + (tv.tv_usec + 999) / 1000;
}

void dnsRun() {
  if (g_active)
    ares_process_fd(g_channel, ARES_SOCKET_BAD, ARES_SOCKET_BAD);  // timeouts
  if (g_dns->finished.empty())
    return;
  std::vector<DnsQuery *> list;
  list.swap(g_dns->finished);
  for (DnsQuery *q : list) {
    if (q->owner)
      events::resolved(q->owner, q->found ? &q->ip : nullptr);
    delete q;
  }
}

DnsQuery *resolve(const char *host, ClientImpl *owner) {
  auto *q = new DnsQuery();
  q->owner = owner;
  ++g_active;
  cares::lookup(g_channel, host, resolvedCb, q);
  return q;
}

void cancel(DnsQuery *q) {
  q->owner = nullptr;
}

bool setDnsServers(const char *csv) {
  DnsServerList servers;
  return parseDnsServers(csv, &servers) && cares::setServers(g_channel, servers);
}

}  // namespace asynctcp::backend

#endif  // !defined(ESP_PLATFORM)
