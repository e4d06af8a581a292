#include "tap_link.h"

#include <sched.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

extern "C" {
#include "lwip/ip6_addr.h"
#include "lwip/mld6.h"
#include "lwip/netif.h"
#include "lwip/tcpip.h"
}

#include "asynctcp/lwip_host.h"

namespace tst::lwip {

IPAddress linuxIp4() {
  return IPAddress(10, 200, 0, 1);
}
IPAddress lwipIp4() {
  return IPAddress(10, 200, 0, 2);
}
IPAddress linuxIp6() {
  return IPAddress("fd00:200::1");
}
IPAddress lwipIp6() {
  return IPAddress("fd00:200::2");
}

namespace {

bool run(const std::string &cmd) {
  return std::system((cmd + " >/dev/null 2>&1").c_str()) == 0;
}

// addTapNetif() takes one IPv4 address; the IPv6 one is added here with lwIP's own
// calls. The address is made valid at once (no duplicate detection: nobody else is on
// the link), so lwIP does not join its solicited-node group by itself, as it does
// after DAD: without that group it would never see Linux's neighbour solicitations.
bool addLwipIp6() {
  ip4_addr_t v4;
  std::memcpy(&v4.addr, lwipIp4().raw4(), 4);
  ip6_addr_t v6;
  std::memcpy(v6.addr, lwipIp6().raw6(), 16);
  ip6_addr_clear_zone(&v6);
  LOCK_TCPIP_CORE();
  struct netif *tap = nullptr;
  struct netif *n;
  NETIF_FOREACH(n) {
    if (ip4_addr_cmp(netif_ip4_addr(n), &v4))
      tap = n;
  }
  bool ok = false;
  s8_t idx = -1;
  if (tap && netif_add_ip6_address(tap, &v6, &idx) == ERR_OK && idx >= 0) {
    netif_create_ip6_linklocal_address(tap, 1);
    netif_ip6_addr_set_state(tap, 0, IP6_ADDR_PREFERRED);
    netif_ip6_addr_set_state(tap, idx, IP6_ADDR_PREFERRED);
    for (s8_t i : {s8_t(0), idx}) {
      ip6_addr_t group;
      ip6_addr_set_solicitednode(&group, netif_ip6_addr(tap, i)->addr[3]);
      mld6_joingroup_netif(tap, &group);
    }
    ok = true;
  }
  UNLOCK_TCPIP_CORE();
  return ok;
}

}  // namespace

std::string makeTapLink(const char *device) {
  if (geteuid() != 0)
    return "needs root to create a network namespace and a TAP device";
  if (access("/dev/net/tun", R_OK | W_OK) != 0)
    return "/dev/net/tun is missing";
  if (unshare(CLONE_NEWNET) != 0)
    return std::string("unshare(CLONE_NEWNET) failed: ") + std::strerror(errno);
  const std::string dev = device;
  // nodad: the Linux address is usable at once instead of after a second of DAD.
  if (!run("ip link set lo up") || !run("ip tuntap add dev " + dev + " mode tap") ||
      !run("ip addr add " + linuxIp4().toString() + "/24 dev " + dev) ||
      !run("ip -6 addr add " + linuxIp6().toString() + "/64 dev " + dev + " nodad") ||
      !run("ip link set " + dev + " up"))
    return "could not create and configure the TAP device with iproute2";
  if (!asynctcp::lwip::addTapNetif(device, lwipIp4(), IPAddress(255, 255, 255, 0), linuxIp4()))
    return "lwIP could not open the TAP device";
  if (!addLwipIp6())
    return "could not give lwIP's TAP netif its IPv6 address";
  return "";
}

}  // namespace tst::lwip
