// Bringing lwIP up on Linux: its tcpip thread, and an in-process loopback
// netif so 127.0.0.1 and ::1 work between AsyncClients and AsyncServers of
// this process (Debian's lwIP has no loop interface of its own).
extern "C" {
#include "lwip/ip6_addr.h"
#include "lwip/netif.h"
#include "lwip/tcpip.h"
#include "netif/tapif.h"
}

#include <fcntl.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>

#include "asynctcp/lwip_host.h"
#include "backends/lwip/mailbox.h"

namespace asynctcp::backend {

namespace {
struct netif g_loop;

err_t loopOutput4(struct netif *n, struct pbuf *p, const ip4_addr_t *) {
  return netif_loop_output(n, p);
}
err_t loopOutput6(struct netif *n, struct pbuf *p, const ip6_addr_t *) {
  return netif_loop_output(n, p);
}

err_t loopInit(struct netif *n) {
  n->name[0] = 'l';
  n->name[1] = 'o';
  n->mtu = 1500;
  n->output = loopOutput4;
  n->output_ip6 = loopOutput6;
  return ERR_OK;
}

void tcpipReady(void *arg) { static_cast<os::Signal *>(arg)->raise(); }
}  // namespace

bool startStack() {
  os::Signal ready;
  tcpip_init(tcpipReady, &ready);
  ready.wait();
  CoreLock lock;
  ip4_addr_t ip, mask, gw;
  IP4_ADDR(&ip, 127, 0, 0, 1);
  IP4_ADDR(&mask, 255, 0, 0, 0);
  IP4_ADDR(&gw, 0, 0, 0, 0);
  if (!netif_add(&g_loop, &ip, &mask, &gw, nullptr, loopInit, tcpip_input)) return false;
  ip6_addr_t lo6;
  IP6_ADDR(&lo6, 0, 0, 0, PP_HTONL(1));
  s8_t idx = -1;
  if (netif_add_ip6_address(&g_loop, &lo6, &idx) == ERR_OK && idx >= 0)
    netif_ip6_addr_set_state(&g_loop, idx, IP6_ADDR_VALID);
  netif_set_default(&g_loop);
  netif_set_link_up(&g_loop);
  netif_set_up(&g_loop);
  return true;
}

}  // namespace asynctcp::backend

namespace asynctcp::lwip {

bool addTapNetif(const char *device, const IPAddress &ip, const IPAddress &netmask,
                 const IPAddress &gateway, bool makeDefault) {
  if (!device || !*device || ip.type() != IPv4 || !backend::init()) return false;
  // lwIP's tapif_init() exits the process when the device cannot be opened: check first.
  int probe = ::open("/dev/net/tun", O_RDWR | O_CLOEXEC);
  if (probe < 0) return false;
  ::close(probe);
  // tapif_init() opens the device named here instead of creating and configuring tap0.
  setenv("PRECONFIGURED_TAPIF", device, 1);
  auto *n = new struct netif();
  ip4_addr_t a, m, g;
  std::memcpy(&a.addr, ip.raw4(), 4);
  std::memcpy(&m.addr, netmask.raw4(), 4);
  std::memcpy(&g.addr, gateway.raw4(), 4);
  backend::CoreLock lock;
  if (!netif_add(n, &a, &m, &g, nullptr, tapif_init, tcpip_input)) {
    delete n;
    return false;
  }
  if (makeDefault) netif_set_default(n);
  netif_set_link_up(n);
  netif_set_up(n);
  return true;
}

}  // namespace asynctcp::lwip
