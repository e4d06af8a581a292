#include "packet/fuzz_netif.h"

#include <cstring>
#include <mutex>

extern "C" {
#include "lwip/ip.h"
#include "lwip/netif.h"
#include "lwip/pbuf.h"
}

#include "net/check.h"
#include "net/lwip_stack.h"

namespace fuzz::packet {

namespace {
struct netif g_netif;
std::mutex g_mutex;
std::vector<std::vector<uint8_t>> g_sent;  // guarded by g_mutex
uint64_t g_count = 0;

// lwIP's output, under its core lock, from whichever thread made the packet.
err_t output(struct netif *, struct pbuf *p, const ip4_addr_t *) {
  std::vector<uint8_t> bytes(p->tot_len);
  pbuf_copy_partial(p, bytes.data(), p->tot_len, 0);
  std::lock_guard<std::mutex> g(g_mutex);
  g_sent.push_back(std::move(bytes));
  ++g_count;
  return ERR_OK;
}

err_t init(struct netif *n) {
  n->name[0] = 'f';
  n->name[1] = 'z';
  n->mtu = 1500;
  n->output = output;
  return ERR_OK;
}
}  // namespace

void addNetif() {
  ip4_addr_t ip, mask, gw;
  ip4_addr_set_u32(&ip, PP_HTONL(kStackIp));
  IP4_ADDR(&mask, 255, 255, 255, 0);
  IP4_ADDR(&gw, 0, 0, 0, 0);
  lwip::CoreLock lock;
  FUZZ_REQUIRE(netif_add(&g_netif, &ip, &mask, &gw, nullptr, init, ip_input),
               "cannot add the fuzzer's netif");
  netif_set_link_up(&g_netif);
  netif_set_up(&g_netif);
}

void inject(const std::vector<uint8_t> &packet) {
  struct pbuf *p = pbuf_alloc(PBUF_RAW, u16_t(packet.size()), PBUF_RAM);
  FUZZ_REQUIRE(p, "pbuf_alloc failed");
  std::memcpy(p->payload, packet.data(), packet.size());
  lwip::CoreLock lock;
  if (ip_input(p, &g_netif) != ERR_OK)
    pbuf_free(p);
}

std::vector<std::vector<uint8_t>> takeSent() {
  std::lock_guard<std::mutex> g(g_mutex);
  std::vector<std::vector<uint8_t>> out;
  out.swap(g_sent);
  return out;
}

uint64_t packetsSent() {
  std::lock_guard<std::mutex> g(g_mutex);
  return g_count;
}

}  // namespace fuzz::packet
