// lwIP's netifs on Linux: the tcpip thread, an in-process loopback netif so
// 127.0.0.1 and ::1 work between AsyncClients and AsyncServers of this process
// (Debian's lwIP has no loop interface of its own), and TAP netifs: addTapNetif()
// or the ASYNCTCP_LWIP_TAP environment variable.
//
// The TAP netif is our own rather than Debian's contrib tapif: that one receives
// each frame into a PBUF_POOL pbuf, and liblwip 2.1.3 as Debian ships it sizes
// the pool elements for the default TCP_MSS of 536 (616 bytes) while
// pbuf_alloc() fills them as if TCP_MSS were 1460, so every received frame over
// 592 bytes overran the heap. Frames here go into PBUF_RAM pbufs of their size.
// Host only: the Arduino IDE compiles every file under src/, ESP32 builds skip this one.
#if !defined(ESP_PLATFORM)

extern "C" {
#include "lwip/netif.h"
#include "lwip/etharp.h"
#include "lwip/ethip6.h"
#include "lwip/ip6_addr.h"
#include "lwip/mld6.h"
#include "lwip/pbuf.h"
#include "lwip/tcpip.h"
}

#include <fcntl.h>
#include <linux/if.h>
#include <linux/if_tun.h>
#include <pthread.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "asynctcp/lwip_host.h"
#include "backends/lwip/internal.h"

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

void tcpipReady(void *arg) {
  static_cast<os::Signal *>(arg)->raise();
}

// ---- TAP ----
constexpr size_t kMaxFrame = 1514;  // MTU 1500 + Ethernet header; no VLAN tags on a TAP

struct TapDevice {
  int fd = -1;
  uint8_t mac[ETH_HWADDR_LEN] = {};
  struct netif netif {};
};

// tcpip thread (lwIP sends under the core lock). A write to a TAP hands the frame
// to the kernel and does not block.
err_t tapOutput(struct netif *n, struct pbuf *p) {
  auto *tap = static_cast<TapDevice *>(n->state);
  uint8_t frame[kMaxFrame];
  if (p->tot_len > sizeof frame)
    return ERR_BUF;
  u16_t len = pbuf_copy_partial(p, frame, p->tot_len, 0);
  ssize_t r;
  do {
    r = ::write(tap->fd, frame, len);
  } while (r < 0 && errno == EINTR);
  return r == ssize_t(len) ? ERR_OK : ERR_IF;
}

err_t tapInit(struct netif *n) {
  auto *tap = static_cast<TapDevice *>(n->state);
  n->name[0] = 't';
  n->name[1] = 'p';
  n->mtu = 1500;
  n->output = etharp_output;
  n->output_ip6 = ethip6_output;
  n->linkoutput = tapOutput;
  n->hwaddr_len = ETH_HWADDR_LEN;
  std::memcpy(n->hwaddr, tap->mac, ETH_HWADDR_LEN);
  n->flags = NETIF_FLAG_BROADCAST | NETIF_FLAG_ETHARP | NETIF_FLAG_ETHERNET | NETIF_FLAG_IGMP |
             NETIF_FLAG_MLD6;
  return ERR_OK;
}

// The device's reader thread: one frame per read(), handed to the tcpip thread.
void *tapReader(void *arg) {
  auto *tap = static_cast<TapDevice *>(arg);
  uint8_t frame[kMaxFrame + 64];
  for (;;) {
    ssize_t r = ::read(tap->fd, frame, sizeof frame);
    if (r < 0 && errno == EINTR)
      continue;
    if (r <= 0)
      return nullptr;  // the device is gone
    if (size_t(r) > kMaxFrame)
      continue;
    struct pbuf *p = pbuf_alloc(PBUF_RAW, u16_t(r), PBUF_RAM);
    if (!p)
      continue;  // out of memory: dropped, TCP retransmits
    pbuf_take(p, frame, u16_t(r));
    // A full tcpip mailbox refuses the frame (ERR_MEM). Dropping it would lose RSTs for
    // good (nothing resends them): wait for room instead, and let the device's own queue
    // hold what arrives meanwhile.
    err_t e;
    unsigned waitUs = 20;
    while ((e = tap->netif.input(p, &tap->netif)) == ERR_MEM) {
      ::usleep(waitUs);
      waitUs = std::min(waitUs * 2, 1000u);
    }
    if (e != ERR_OK)
      pbuf_free(p);
  }
}

int openTap(const char *device) {
  int fd = ::open("/dev/net/tun", O_RDWR | O_CLOEXEC);
  if (fd < 0)
    return -1;
  ifreq ifr{};
  ifr.ifr_flags = IFF_TAP | IFF_NO_PI;
  std::memcpy(ifr.ifr_name, device, std::min<size_t>(std::strlen(device), IFNAMSIZ - 1));
  if (::ioctl(fd, TUNSETIFF, &ifr) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

// Gives the TAP netif an IPv6 address (and its link-local one), valid at once: there is
// no duplicate detection on a link we made. Without DAD lwIP never joins the
// solicited-node groups by itself, and without them it would not see Linux's neighbour
// solicitations, so they are joined here. Core lock held.
bool addIp6(struct netif *n, const IPAddress &ip6) {
  ip6_addr_t a;
  std::memcpy(a.addr, ip6.raw6(), 16);
  ip6_addr_clear_zone(&a);
  s8_t idx = -1;
  if (netif_add_ip6_address(n, &a, &idx) != ERR_OK || idx < 0)
    return false;
  netif_create_ip6_linklocal_address(n, 1);
  netif_ip6_addr_set_state(n, 0, IP6_ADDR_PREFERRED);
  netif_ip6_addr_set_state(n, idx, IP6_ADDR_PREFERRED);
  for (s8_t i : {s8_t(0), idx}) {
    ip6_addr_t group;
    ip6_addr_set_solicitednode(&group, netif_ip6_addr(n, i)->addr[3]);
    mld6_joingroup_netif(n, &group);
  }
  return true;
}

// The stack must be running (init() done, or called from startStack()).
bool addTap(const char *device, const IPAddress &ip, const IPAddress &netmask,
            const IPAddress &gateway, bool makeDefault, const IPAddress &ip6) {
  if (!device || !*device || ip.type() != IPv4)
    return false;
  int fd = openTap(device);
  if (fd < 0)
    return false;
  auto *tap = new TapDevice();  // lives as long as the process: lwIP keeps the netif
  tap->fd = fd;
  // A locally administered MAC made from the address, so two netifs never share one.
  const uint8_t mac[ETH_HWADDR_LEN] = {0x02, 0x00, ip[0], ip[1], ip[2], ip[3]};
  std::memcpy(tap->mac, mac, sizeof mac);
  ip4_addr_t a, m, g;
  std::memcpy(&a.addr, ip.raw4(), 4);
  std::memcpy(&m.addr, netmask.raw4(), 4);
  std::memcpy(&g.addr, gateway.raw4(), 4);
  {
    CoreLock lock{CoreLock::NetifSetup{}};
    if (!netif_add(&tap->netif, &a, &m, &g, tap, tapInit, tcpip_input)) {
      ::close(fd);
      delete tap;
      return false;
    }
    if (ip6.type() == IPv6 && !addIp6(&tap->netif, ip6)) {
      netif_remove(&tap->netif);
      ::close(fd);
      delete tap;
      return false;
    }
    if (makeDefault)
      netif_set_default(&tap->netif);
    netif_set_link_up(&tap->netif);
    netif_set_up(&tap->netif);
  }
  pthread_t reader;
  if (pthread_create(&reader, nullptr, tapReader, tap) != 0)
    return false;
  pthread_detach(reader);
  return true;
}

// ASYNCTCP_LWIP_TAP="DEVICE IPV4/PREFIX [GATEWAY [IPV6]]" puts any program of the lwIP
// build on a TAP device without a line of code, so the same examples serve both stacks.
// A setting that does not work is said on stderr: the program still has its loopback.
void tapFromEnvironment() {
  const char *spec = std::getenv("ASYNCTCP_LWIP_TAP");
  if (!spec || !*spec)
    return;
  char device[IFNAMSIZ] = {}, cidr[64] = {}, gw[64] = {}, v6[64] = {};
  int fields = std::sscanf(spec, "%15s %63s %63s %63s", device, cidr, gw, v6);
  unsigned prefix = 24;
  IPAddress ip, gateway, ip6;
  char *slash = std::strchr(cidr, '/');
  if (slash) {
    *slash = '\0';
    prefix = unsigned(std::strtoul(slash + 1, nullptr, 10));
  }
  const bool ok = fields >= 2 && ip.fromString(cidr) && ip.type() == IPv4 && prefix <= 32 &&
                  (fields < 3 || gateway.fromString(gw)) && (fields < 4 || ip6.fromString(v6));
  if (!ok) {
    std::fprintf(stderr,
                 "asynctcp: ASYNCTCP_LWIP_TAP=\"%s\" is not \"DEVICE IPV4/PREFIX [GATEWAY "
                 "[IPV6]]\"\n",
                 spec);
    return;
  }
  const uint32_t bits = prefix == 0 ? 0 : 0xffffffffu << (32 - prefix);
  const IPAddress mask(uint8_t(bits >> 24), uint8_t(bits >> 16), uint8_t(bits >> 8), uint8_t(bits));
  if (!addTap(device, ip, mask, gateway, true, ip6))
    std::fprintf(stderr, "asynctcp: ASYNCTCP_LWIP_TAP: cannot use TAP device %s: %s\n", device,
                 errno ? std::strerror(errno) : "lwIP refused the netif");
}
}  // namespace

bool startStack() {
  os::Signal ready;
  tcpip_init(tcpipReady, &ready);
  ready.wait();
  {
    CoreLock lock{CoreLock::NetifSetup{}};
    ip4_addr_t ip, mask, gw;
    IP4_ADDR(&ip, 127, 0, 0, 1);
    IP4_ADDR(&mask, 255, 0, 0, 0);
    IP4_ADDR(&gw, 0, 0, 0, 0);
    if (!netif_add(&g_loop, &ip, &mask, &gw, nullptr, loopInit, tcpip_input))
      return false;
    ip6_addr_t lo6;
    IP6_ADDR(&lo6, 0, 0, 0, PP_HTONL(1));
    s8_t idx = -1;
    if (netif_add_ip6_address(&g_loop, &lo6, &idx) == ERR_OK && idx >= 0)
      netif_ip6_addr_set_state(&g_loop, idx, IP6_ADDR_VALID);
    netif_set_default(&g_loop);
    netif_set_link_up(&g_loop);
    netif_set_up(&g_loop);
  }
  tapFromEnvironment();
  return true;
}

}  // namespace asynctcp::backend

namespace asynctcp::lwip {

bool addTapNetif(const char *device, const IPAddress &ip, const IPAddress &netmask,
                 const IPAddress &gateway, bool makeDefault, const IPAddress &ip6) {
  return backend::init() && backend::addTap(device, ip, netmask, gateway, makeDefault, ip6);
}

}  // namespace asynctcp::lwip

#endif  // !defined(ESP_PLATFORM)
