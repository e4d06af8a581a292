// Listening pcbs. Accepted pcbs get their callbacks in the tcpip thread (so no
// event is missed) and reach the core through the listener's mailbox.
#include "backends/lwip/internal.h"
#include "backends/lwip/ip_convert.h"

namespace asynctcp::backend {

namespace {
constexpr u8_t kBacklog = 255;

// tcpip thread.
err_t s_accept(void *arg, struct tcp_pcb *pcb, err_t err) {
  auto *l = static_cast<Listener *>(arg);
  if (!l || err != ERR_OK || !pcb)
    return ERR_VAL;
  bool full;
  {
    os::LockGuard g(mailLock());
    full = l->accepted.size() >= CONFIG_ASYNC_TCP_QUEUE_SIZE;
  }
  if (full) {
    // Overload: refuse this one cleanly (RST) rather than queue without bound.
    noteAcceptRefused();
    tcp_abort(pcb);
    return ERR_ABRT;
  }
  auto *c = new Conn();
  c->pcb = pcb;
  installCallbacks(c);
  Listener::Accepted a{c, endpointsOf(pcb)};
  post(l, [l, &a] { l->accepted.push_back(std::move(a)); });
  return ERR_OK;
}

std::vector<Listener::Accepted> takeAccepted(Listener *l) {
  os::LockGuard g(mailLock());
  std::vector<Listener::Accepted> v;
  v.swap(l->accepted);
  return v;
}
}  // namespace

void deliver(Listener *l) {
  std::vector<Listener::Accepted> list = takeAccepted(l);
  l->delivering = true;
  for (const Listener::Accepted &a : list) {
    if (l->released || !l->owner)
      abort(a.conn);
    else
      events::accepted(l->owner, a.conn, a.ends);
  }
  l->delivering = false;
  if (l->released && !isQueued(l))
    delete l;
}

ListenResult listen(const IPAddress &ip, bool anyAddress, uint16_t port, ServerImpl *owner) {
  ip_addr_t addr = toLwip(ip);
  CoreLock lock;
  struct tcp_pcb *pcb =
      tcp_new_ip_type(anyAddress ? u8_t(IPADDR_TYPE_ANY) : u8_t(IP_GET_TYPE(&addr)));
  if (!pcb)
    return {nullptr, ERR_MEM, 0};
  ip_set_option(pcb, SOF_REUSEADDR);  // TIME_WAIT must not block a restart; tcp_listen still
                                      // refuses a second listener on the port
  err_t err = tcp_bind(pcb, anyAddress ? IP_ANY_TYPE : &addr, port);
  if (err != ERR_OK) {
    tcp_close(pcb);
    return {nullptr, err, 0};
  }
  struct tcp_pcb *lpcb = tcp_listen_with_backlog_and_err(pcb, kBacklog, &err);
  if (!lpcb) {
    tcp_close(pcb);
    return {nullptr, err, 0};
  }
  auto *l = new Listener();
  l->pcb = lpcb;
  l->owner = owner;
  l->port = lpcb->local_port;
  tcp_arg(lpcb, l);
  tcp_accept(lpcb, s_accept);
  return {l, ERR_OK, 0};
}

uint16_t listenerPort(Listener *l) {
  return l->port;
}

void closeListener(Listener *l) {
  l->owner = nullptr;
  l->released = true;
  {
    CoreLock lock;
    if (l->pcb) {
      tcp_arg(l->pcb, nullptr);
      tcp_accept(l->pcb, nullptr);
      tcp_close(l->pcb);
      l->pcb = nullptr;
    }
  }
  if (l->delivering || isQueued(l))
    return;
  for (const Listener::Accepted &a : takeAccepted(l))
    abort(a.conn);
  delete l;
}

}  // namespace asynctcp::backend
