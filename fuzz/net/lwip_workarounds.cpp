#include "net/lwip_workarounds.h"

#include <dlfcn.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>

extern "C" {
#include "lwip/priv/tcp_priv.h"
#include "lwip/prot/tcp.h"
}

namespace {
std::atomic<uint64_t> g_stalePersist{0};
std::atomic<uint64_t> g_doubleFin{0};
const bool g_strict = std::getenv("FUZZ_LWIP_STRICT") != nullptr;

template <class Fn>
Fn real(const char *name) {
  return reinterpret_cast<Fn>(dlsym(RTLD_NEXT, name));
}
}  // namespace

// lwIP's slow timer, under its core lock: stale persist timers stopped, then lwIP's own.
extern "C" void tcp_slowtmr(void) {
  static const auto slowtmr = real<void (*)(void)>("tcp_slowtmr");
  if (!g_strict) {
    for (struct tcp_pcb *pcb = tcp_active_pcbs; pcb; pcb = pcb->next) {
      if (pcb->persist_backoff > 0 && pcb->unsent == nullptr) {
        pcb->persist_backoff = 0;
        g_stalePersist.fetch_add(1, std::memory_order_relaxed);
      }
    }
  }
  slowtmr();
}

// lwIP's split of the unsent head: a FIN left on the head as well as on the remainder
// (only a split makes two unsent segments carry FIN) is taken off the head.
extern "C" err_t tcp_split_unsent_seg(struct tcp_pcb *pcb, u16_t split) {
  static const auto splitSeg = real<err_t (*)(struct tcp_pcb *, u16_t)>("tcp_split_unsent_seg");
  const err_t err = splitSeg(pcb, split);
  struct tcp_seg *head = pcb->unsent;
  if (!g_strict && err == ERR_OK && head && head->next && (TCPH_FLAGS(head->tcphdr) & TCP_FIN) &&
      (TCPH_FLAGS(head->next->tcphdr) & TCP_FIN)) {
    TCPH_UNSET_FLAG(head->tcphdr, TCP_FIN);
    g_doubleFin.fetch_add(1, std::memory_order_relaxed);
  }
  return err;
}

namespace fuzz::lwip {

bool strict() {
  return g_strict;
}

void reportWorkarounds() {
  std::fprintf(stderr,
               "known lwIP bugs stepped around: %llu stale persist timers stopped, %llu "
               "doubled FINs taken off\n",
               (unsigned long long)g_stalePersist.load(), (unsigned long long)g_doubleFin.load());
}

}  // namespace fuzz::lwip
