// Asynchronous name resolution with c-ares, driven by the same epoll loop:
// c-ares tells us its sockets, we poll them, and feed readiness back.
// Host only (the epoll backend): the Arduino IDE and PlatformIO compile every file under src/.
#if !defined(ESP_PLATFORM)

#include <ares.h>
#include <netinet/in.h>

#include <cstring>
#include <string>
#include <unordered_map>

#include "backends/cares/server_list.h"
#include "backends/posix/poll_loop.h"
#include "backends/posix/sockaddr.h"
#include "core/ip_bytes.h"
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
      delete it->second;
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
  } else {
    e.data.ptr = it->second;
    epoll_ctl(loop().epfd, EPOLL_CTL_MOD, fd, &e);
  }
}

// Prefer IPv4, as ESP32 does: a dual-stack name then reaches v4-only servers.
bool pickAddress(const ares_addrinfo *result, IPAddress *out) {
  const ares_addrinfo_node *v6 = nullptr;
  for (const ares_addrinfo_node *n = result ? result->nodes : nullptr; n; n = n->ai_next) {
    if (n->ai_family == AF_INET) {
      auto *a = reinterpret_cast<const sockaddr_in *>(n->ai_addr);
      *out = IPAddress(IPv4, reinterpret_cast<const uint8_t *>(&a->sin_addr));
      return true;
    }
    if (n->ai_family == AF_INET6 && !v6)
      v6 = n;
  }
  if (!v6)
    return false;
  auto *a = reinterpret_cast<const sockaddr_in6 *>(v6->ai_addr);
  *out = makeIpv6(a->sin6_addr.s6_addr, uint8_t(a->sin6_scope_id));
  return true;
}

void resolvedCb(void *arg, int status, int, ares_addrinfo *result) {
  auto *q = static_cast<DnsQuery *>(arg);
  --g_active;
  q->done = true;
  q->found = status == ARES_SUCCESS && pickAddress(result, &q->ip);
  if (result)
    ares_freeaddrinfo(result);
  g_dns->finished.push_back(q);
}
}  // namespace

bool dnsInit() {
  if (!g_dns)
    g_dns = new DnsState();
  if (ares_library_init(ARES_LIB_INIT_ALL) != ARES_SUCCESS)
    return false;
  ares_options opts{};
  opts.sock_state_cb = sockStateCb;
  opts.timeout = 2000;  // ms per try: a dead server fails a lookup in seconds, not minutes
  opts.tries = 2;
  int mask = ARES_OPT_SOCK_STATE_CB | ARES_OPT_TIMEOUTMS | ARES_OPT_TRIES;
  return ares_init_options(&g_channel, &opts, mask) == ARES_SUCCESS;
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
  ares_addrinfo_hints hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  ++g_active;
  ares_getaddrinfo(g_channel, host, nullptr, &hints, resolvedCb, q);
  return q;
}

void cancel(DnsQuery *q) {
  q->owner = nullptr;
}

bool setDnsServers(const char *csv) {
  return csv && *csv && dnsServerPortsValid(csv) &&
         ares_set_servers_ports_csv(g_channel, csv) == ARES_SUCCESS;
}

}  // namespace asynctcp::backend

#endif  // !defined(ESP_PLATFORM)
