// The peers of the lwIP build: raw lwIP pcbs on the library's own stack, reaching the
// library's clients and server through its loopback netif. The fuzzer's thread drives
// them under lwIP's core lock; their callbacks run in the tcpip thread under the same
// lock, which guards everything here. Not reading means keeping the pbufs without
// tcp_recved(): the window closes as it would for a slow reader.
#include <cinttypes>
#include <cstdint>
#include <cstdlib>

extern "C" {
#include "lwip/tcp.h"
}

#include "api/peer.h"
#include "api/program.h"
#include "net/check.h"
#include "net/lwip_leaks.h"
#include "net/lwip_stack.h"
#include "net/lwip_workarounds.h"
#include "net/pattern.h"

namespace fuzz::api::peer {

namespace {
constexpr int kMaxRounds = 2000;  // bounds a hang only
constexpr uint16_t kClosedPort = 9;

struct Peer {
  struct tcp_pcb *pcb = nullptr;
  State st;
  struct pbuf *held = nullptr;  // received while not reading
};

Peer g_peers[kSlots];
struct tcp_pcb *g_listeners[kSlots];
uint16_t g_ports[kSlots];
bool g_expect[kSlots];  // the slot's listener takes the next connection
uint64_t g_activity = 0;
uint64_t g_loopOutputs = 0;

ip_addr_t loopback() {
  ip_addr_t a;
  IP_ADDR4(&a, 127, 0, 0, 1);
  return a;
}

void consume(Peer &p, struct pbuf *chain) {
  for (struct pbuf *q = chain; q; q = q->next) {
    FUZZ_REQUIRE(matchesPattern(q->payload, q->len, p.st.rx),
                 "the peer read bytes lost, repeated or reordered at %" PRIu64, p.st.rx);
    p.st.rx += q->len;
  }
  if (p.pcb)
    tcp_recved(p.pcb, chain->tot_len);
  g_activity += chain->tot_len;
  pbuf_free(chain);
}

err_t onRecv(void *arg, struct tcp_pcb *, struct pbuf *chain, err_t) {
  auto &p = *static_cast<Peer *>(arg);
  ++g_activity;
  if (!chain) {
    p.st.gotEof = true;
    return ERR_OK;
  }
  if (!p.st.reading) {
    if (p.held)
      pbuf_cat(p.held, chain);
    else
      p.held = chain;
    return ERR_OK;
  }
  consume(p, chain);
  return ERR_OK;
}

// lwIP has freed the pcb.
void onErr(void *arg, err_t) {
  auto &p = *static_cast<Peer *>(arg);
  p.pcb = nullptr;
  p.st.present = false;
  p.st.gotRst = true;
  ++g_activity;
}

err_t onConnected(void *arg, struct tcp_pcb *, err_t) {
  static_cast<Peer *>(arg)->st.present = true;
  ++g_activity;
  return ERR_OK;
}

void adopt(Peer &p, struct tcp_pcb *pcb) {
  p.pcb = pcb;
  tcp_arg(pcb, &p);
  tcp_recv(pcb, onRecv);
  tcp_err(pcb, onErr);
  tcp_nagle_disable(pcb);
}

err_t onAccept(void *arg, struct tcp_pcb *pcb, err_t err) {
  const int slot = int(reinterpret_cast<intptr_t>(arg));
  if (err != ERR_OK || !pcb)
    return ERR_VAL;
  Peer &p = g_peers[slot];
  if (!g_expect[slot] || p.pcb) {
    tcp_abort(pcb);
    return ERR_ABRT;
  }
  g_expect[slot] = false;
  p = Peer();
  adopt(p, pcb);
  p.st.present = true;
  ++g_activity;
  return ERR_OK;
}

// Core lock held.
void drop(Peer &p) {
  if (p.pcb) {
    tcp_arg(p.pcb, nullptr);
    tcp_recv(p.pcb, nullptr);
    tcp_err(p.pcb, nullptr);
    tcp_abort(p.pcb);
  }
  if (p.held)
    pbuf_free(p.held);
  p = Peer();
}

template <class Done>
bool waitStack(Done done) {
  for (int round = 0; round < kMaxRounds; ++round) {
    {
      lwip::CoreLock lock;
      if (done())
        return true;
    }
    lwip::tcpipBarrier();
  }
  return false;
}
}  // namespace

void init() {
  std::atexit(lwip::reportWorkarounds);
  lwip::CoreLock lock;
  const ip_addr_t lo = loopback();
  for (int i = 0; i < kSlots; ++i) {
    struct tcp_pcb *pcb = tcp_new_ip_type(IPADDR_TYPE_V4);
    FUZZ_REQUIRE(pcb && tcp_bind(pcb, &lo, 0) == ERR_OK, "peer listener: bind");
    g_listeners[i] = tcp_listen(pcb);
    FUZZ_REQUIRE(g_listeners[i], "peer listener: listen");
    g_ports[i] = g_listeners[i]->local_port;
    tcp_arg(g_listeners[i], reinterpret_cast<void *>(intptr_t(i)));
    tcp_accept(g_listeners[i], onAccept);
  }
}

IPAddress serverAddress() {
  return IPAddress(127, 0, 0, 1);
}

IPAddress peerAddress() {
  return IPAddress(127, 0, 0, 1);
}

uint16_t listenPort(int slot) {
  return g_ports[slot];
}

uint16_t closedPort() {
  return kClosedPort;
}

void forget(int slot) {
  lwip::CoreLock lock;
  drop(g_peers[slot]);
  g_expect[slot] = true;  // before the client connects: the SYN may be answered at once
}

bool accept(int slot, uint8_t) {
  return waitStack([&] { return g_peers[slot].pcb != nullptr; });
}

bool connect(int slot, uint16_t serverPort, uint8_t, const std::function<void(uint16_t)> &bound) {
  Peer &p = g_peers[slot];
  {
    lwip::CoreLock lock;
    g_expect[slot] = false;
    struct tcp_pcb *pcb = tcp_new_ip_type(IPADDR_TYPE_V4);
    if (!pcb)
      return false;
    adopt(p, pcb);
    const ip_addr_t lo = loopback();
    if (tcp_bind(pcb, &lo, 0) != ERR_OK) {
      drop(p);
      return false;
    }
    bound(pcb->local_port);  // the SYN cannot be answered before the core lock is let go
    if (tcp_connect(pcb, &lo, serverPort, onConnected) != ERR_OK) {
      drop(p);
      return false;
    }
  }
  return waitStack([&] { return p.st.present || !p.pcb; }) && p.st.present;
}

size_t send(int slot, size_t len) {
  lwip::CoreLock lock;
  Peer &p = g_peers[slot];
  if (!p.st.present || p.st.finSent || !len)
    return 0;
  size_t n = len < tcp_sndbuf(p.pcb) ? len : tcp_sndbuf(p.pcb);
  if (!n || tcp_write(p.pcb, patternAt(p.st.tx), u16_t(n), TCP_WRITE_FLAG_COPY) != ERR_OK)
    return 0;
  tcp_output(p.pcb);
  p.st.tx += n;
  g_activity += n;
  return n;
}

void setReading(int slot, bool on) {
  lwip::CoreLock lock;
  Peer &p = g_peers[slot];
  p.st.reading = on;
  if (on && p.held) {
    struct pbuf *chain = p.held;
    p.held = nullptr;
    consume(p, chain);
  }
}

void fin(int slot) {
  lwip::CoreLock lock;
  Peer &p = g_peers[slot];
  if (!p.st.present || p.st.finSent)
    return;
  if (tcp_shutdown(p.pcb, 0, 1) == ERR_OK)
    p.st.finSent = true;
  ++g_activity;
}

void rst(int slot) {
  lwip::CoreLock lock;
  Peer &p = g_peers[slot];
  if (!p.st.present)
    return;
  State st = p.st;
  st.ackable = st.rx + (p.held ? p.held->tot_len : 0);
  drop(p);
  p.st = st;
  p.st.present = false;
  p.st.rstSent = true;
  ++g_activity;
}

State state(int slot) {
  lwip::CoreLock lock;
  return g_peers[slot].st;
}

State stateUnlocked(int slot) {
  return g_peers[slot].st;
}

uint64_t pump() {
  lwip::CoreLock lock;
  return g_activity + g_loopOutputs;
}

void stackBarrier() {
  lwip::tcpipBarrier();
}

void stackTimers() {
  lwip::runDueTimers();
  // The timers' keep-alives and window probes, and the peers' answers, cross the loopback
  // netif before the clocks may jump again, as they would before lwIP's next tick.
  lwip::tcpipBarrier();
  lwip::tcpipBarrier();
}

bool stackRunsOnRealTime() {
  // lwIP's run on the virtual clock (sys_now)
  return false;
}

bool stackGivesUp() {
  return true;
}

uint64_t ackDelayMs() {
  return 260;  // lwIP's delayed ACK goes out on its 250 ms fast timer
}

bool moreHoldsData() {
  return false;  // lwIP's TCP_WRITE_FLAG_MORE only leaves PSH off
}

void resetAll() {
  lwip::CoreLock lock;
  for (int i = 0; i < kSlots; ++i) {
    drop(g_peers[i]);
    g_expect[i] = false;
  }
}

void checkNoLeaks() {
  lwip::checkNoLeaks();
}

}  // namespace fuzz::api::peer

// The library's loopback netif sends through netif_loop_output (wrapped at link time):
// every packet queued counts as activity, so settling waits for it.
extern "C" err_t __real_netif_loop_output(struct netif *netif, struct pbuf *p);
extern "C" err_t __wrap_netif_loop_output(struct netif *netif, struct pbuf *p) {
  ++fuzz::api::peer::g_loopOutputs;  // core lock held, as for every output
  return __real_netif_loop_output(netif, p);
}
