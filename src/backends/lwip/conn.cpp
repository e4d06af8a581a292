// Connections on lwIP's raw TCP API. The static callbacks run in the tcpip
// thread and only record into the mailbox; everything else runs on the service
// thread and calls lwIP under the core lock.
#include <algorithm>

#include "backends/lwip/internal.h"
#include "backends/lwip/ip_convert.h"

extern "C" {
#include "lwip/priv/tcp_priv.h"  // tcp_process_refused_data
}

namespace asynctcp::backend {

namespace {
// ---- tcpip thread ----

// lwIP 2.1.3 answers every segment without data with an ACK while its receive
// window is exactly zero (tcp_receive()'s acceptability test lacks RFC 793's
// zero-window case). When both pcbs of a connection inside this stack (127.0.0.1,
// or our own TAP address) sit at zero window, they then ping-pong ACKs forever
// inside one netif_poll() that holds the core lock, so the service thread can
// never reopen a window: a deadlock, seen when the service thread lags behind a
// loopback transfer. A window that reaches zero gets one byte lent: acceptance
// then works as the RFC says, while lwIP's silly-window avoidance still announces
// zero. A persist probe may land in the lent byte; consumed() pays the loan back.
void lendWindowByte(Conn *c, struct tcp_pcb *pcb) {
  if (pcb->rcv_wnd != 0)
    return;
  tcp_recved(pcb, 1);
  ++c->lent;
}

err_t s_recv(void *arg, struct tcp_pcb *pcb, struct pbuf *p, err_t err) {
  auto *c = static_cast<Conn *>(arg);
  if (!c) {
    if (p)
      pbuf_free(p);
    return ERR_OK;
  }
  if (p)
    lendWindowByte(c, pcb);
  if (!p) {  // the peer's FIN
    post(c, [c] { c->finPending = true; });
    return ERR_OK;
  }
  if (err != ERR_OK || !rxBudgetTake(c))
    return ERR_MEM;  // lwIP keeps it (refused_data) and hands it over again later
  post(c, [c, p] {
    if (c->rx)
      pbuf_cat(c->rx, p);
    else
      c->rx = p;
    ++c->rxCount;
  });
  return ERR_OK;
}

err_t s_sent(void *arg, struct tcp_pcb *, u16_t len) {
  auto *c = static_cast<Conn *>(arg);
  if (!c)
    return ERR_OK;
  post(c, [c, len] { c->sentPending += len; });  // coalesced: one SENT per delivery
  return ERR_OK;
}

// lwIP has already freed the pcb when it calls this: forget it before anything else.
void s_err(void *arg, err_t err) {
  auto *c = static_cast<Conn *>(arg);
  if (!c)
    return;
  c->pcb = nullptr;
  // The service thread frees c once it has delivered the error: see post().
  post(c, [c, err] {
    c->errPending = true;
    c->err = err;
  });
}

err_t s_connected(void *arg, struct tcp_pcb *pcb, err_t) {
  auto *c = static_cast<Conn *>(arg);
  if (!c)
    return ERR_OK;
  auto *ends = new Endpoints(endpointsOf(pcb));
  post(c, [c, ends] {
    c->born = ends;
    c->connectedPending = true;
  });
  return ERR_OK;
}

// ---- service thread ----

void detachCallbacks(struct tcp_pcb *pcb) {
  tcp_arg(pcb, nullptr);
  tcp_recv(pcb, nullptr);
  tcp_sent(pcb, nullptr);
  tcp_err(pcb, nullptr);
}

struct Taken {
  bool connected, fin, err;
  err_t errCode;
  struct pbuf *rx;
  uint32_t rxCount, sent;
  Endpoints *born;
};

Taken take(Conn *c) {
  os::LockGuard g(mailLock());
  Taken t{c->connectedPending, c->finPending,  c->errPending, c->err, c->rx,
          c->rxCount,          c->sentPending, c->born};
  c->born = nullptr;
  c->connectedPending = c->finPending = c->errPending = false;
  c->rx = nullptr;
  c->rxCount = 0;
  c->sentPending = 0;
  return t;
}

bool alive(Conn *c) {
  return !c->released && c->owner;
}

// Whether the pcb still takes data. CLOSE_WAIT too: the peer's FIN may reach lwIP
// while the service thread is still delivering the data before it, and the
// answer to that data (a reply, or a flow-controlled echo) must still go out.
bool sendable(const struct tcp_pcb *pcb) {
  return pcb && (pcb->state == ESTABLISHED || pcb->state == CLOSE_WAIT);
}
}  // namespace

void installCallbacks(Conn *c) {
  tcp_arg(c->pcb, c);
  tcp_recv(c->pcb, s_recv);
  tcp_sent(c->pcb, s_sent);
  tcp_err(c->pcb, s_err);
}

void freeConn(Conn *c) {
  forgetRefused(c);
  Taken t = take(c);
  if (t.rx) {
    rxBudgetGive(t.rxCount);
    pbuf_free(t.rx);
  }
  delete t.born;  // a connect that completed as the connection went away
  delete c;
}

void deliver(Conn *c) {
  c->delivering = true;  // a close() inside a callback must not free it under us
  Taken t = take(c);
  if (t.rx)
    rxBudgetGive(t.rxCount);
  if (!alive(c)) {
    if (t.rx)
      pbuf_free(t.rx);
    delete t.born;
    c->delivering = false;
    if (c->released && !isQueued(c))
      freeConn(c);
    return;
  }
  if (t.connected)
    events::connected(c->owner, *t.born);
  delete t.born;
  if (t.rx) {
    if (alive(c))
      events::receivedPackets(c->owner, t.rx);
    else
      pbuf_free(t.rx);
  }
  if (t.sent && alive(c)) {
    c->acked += t.sent;
    events::acked(c->owner, t.sent);
  }
  if (t.fin && alive(c))
    events::finReceived(c->owner);
  if (t.err && alive(c)) {
    ClientImpl *owner = c->owner;
    c->owner = nullptr;
    c->released = true;
    events::failed(owner, t.errCode, 0);
  }
  c->delivering = false;
  if (c->released && !isQueued(c))
    freeConn(c);
}

// lwIP retries refused data only from its 250 ms timer (or when the peer sends again,
// which it will not while its window is full): alone, a connection whose data met a
// full queue would wait that long with the service thread idle. So once the queue has
// room, the service thread asks lwIP for it at once, oldest refusal first.
void redeliverRefused() {
  if (!anyRefused() || !nextRefused())
    return;  // nothing refused, or no room yet: no need for the core lock
  CoreLock lock;
  while (Conn *c = nextRefused()) {
    if (!c->pcb || !c->pcb->refused_data) {
      forgetRefused(c);  // closed, or lwIP's own retry got it through
      continue;
    }
    tcp_process_refused_data(c->pcb);  // calls s_recv, which takes it or refuses again
    if (stillRefused(c))
      return;  // the queue is full again
  }
}

ConnectResult connect(const IPAddress &ip, uint16_t port, ClientImpl *owner,
                      const ConnOptions &options) {
  ip_addr_t addr = toLwip(ip);
  CoreLock lock;
  struct tcp_pcb *pcb = tcp_new_ip_type(IP_GET_TYPE(&addr));
  if (!pcb)
    return {nullptr, ERR_MEM, 0};
  auto *c = new Conn();
  c->pcb = pcb;
  c->owner = owner;
  if (options.noDelay)
    tcp_nagle_disable(pcb);  // lwIP's send budget is TCP_SND_BUF and its acks always prompt
  installCallbacks(c);
  err_t err = tcp_connect(pcb, &addr, port, s_connected);
  if (err != ERR_OK) {
    detachCallbacks(pcb);
    tcp_abort(pcb);
    delete c;
    return {nullptr, err, 0};
  }
  return {c, ERR_OK, 0};
}

void adopt(Conn *c, ClientImpl *owner, const ConnOptions &options) {
  c->owner = owner;
  if (options.noDelay)
    setNoDelay(c, true);
}

size_t inFlight(Conn *c) {
  return size_t(c->added - c->acked);
}

void setSendBudget(Conn *, size_t) {}  // lwIP's is TCP_SND_BUF, fixed when lwIP is built
void setAckEvents(Conn *, bool) {}     // lwIP's sent callback is always prompt
bool refreshAcks(Conn *) {
  return false;
}

size_t space(Conn *c) {
  CoreLock lock;
  if (!sendable(c->pcb))
    return 0;
  return tcp_sndbuf(c->pcb);
}

size_t add(Conn *c, const char *data, size_t size, uint8_t flags, bool pushNow) {
  CoreLock lock;
  if (!sendable(c->pcb))
    return 0;
  size_t n = std::min<size_t>(size, tcp_sndbuf(c->pcb));
  if (!n)
    return 0;
  u8_t f = ((flags & ASYNC_WRITE_FLAG_COPY) ? TCP_WRITE_FLAG_COPY : 0) |
           ((flags & ASYNC_WRITE_FLAG_MORE) ? TCP_WRITE_FLAG_MORE : 0);
  if (tcp_write(c->pcb, data, u16_t(n), f) != ERR_OK)
    return 0;  // the segment queue is full
  c->added += n;
  if (pushNow)
    tcp_output(c->pcb);
  return n;
}

err_t send(Conn *c) {
  CoreLock lock;
  if (!c->pcb)
    return ERR_CONN;
  return tcp_output(c->pcb);
}

void consumed(Conn *c, size_t len) {
  CoreLock lock;
  if (!c->pcb)
    return;
  size_t repaid = std::min<size_t>(len, c->lent);  // see lendWindowByte()
  c->lent -= uint32_t(repaid);
  len -= repaid;
  while (len) {  // tcp_recved takes 16 bits at a time
    u16_t n = u16_t(std::min<size_t>(len, 0xFFFF));
    tcp_recved(c->pcb, n);
    len -= n;
  }
}

void close(Conn *c) {
  c->owner = nullptr;
  c->released = true;
  {
    CoreLock lock;
    if (c->pcb) {
      detachCallbacks(c->pcb);
      // lwIP sends what is queued, then FIN; it owns the pcb from here on.
      if (tcp_close(c->pcb) != ERR_OK)
        tcp_abort(c->pcb);
      c->pcb = nullptr;
    }
  }
  if (!c->delivering && !isQueued(c))
    freeConn(c);
}

void abort(Conn *c) {
  c->owner = nullptr;
  c->released = true;
  {
    CoreLock lock;
    if (c->pcb) {
      detachCallbacks(c->pcb);  // tcp_abort calls the err callback: not for us
      tcp_abort(c->pcb);
      c->pcb = nullptr;
    }
  }
  if (!c->delivering && !isQueued(c))
    freeConn(c);
}

void setNoDelay(Conn *c, bool on) {
  CoreLock lock;
  if (!c->pcb)
    return;
  if (on)
    tcp_nagle_disable(c->pcb);
  else
    tcp_nagle_enable(c->pcb);
}

bool getNoDelay(Conn *c) {
  CoreLock lock;
  return c->pcb && tcp_nagle_disabled(c->pcb);
}

void setKeepAlive(Conn *c, uint32_t ms, uint8_t count) {
  CoreLock lock;
  if (!c->pcb)
    return;
  if (!ms) {
    ip_reset_option(c->pcb, SOF_KEEPALIVE);
    return;
  }
  ip_set_option(c->pcb, SOF_KEEPALIVE);
  c->pcb->keep_idle = ms;
  c->pcb->keep_intvl = ms;
  c->pcb->keep_cnt = count ? count : 1;
}

uint16_t mss(Conn *c) {
  CoreLock lock;
  return c->pcb ? tcp_mss(c->pcb) : 0;
}

}  // namespace asynctcp::backend
