#include "net/lwip_stack.h"

#include <condition_variable>
#include <cstdio>
#include <mutex>

extern "C" {
#include "lwip/netif.h"
#include "lwip/priv/tcp_priv.h"
#include "lwip/tcpip.h"
#include "lwip/timeouts.h"
}

#include "net/check.h"

namespace fuzz::lwip {

CoreLock::CoreLock() {
  LOCK_TCPIP_CORE();
}
CoreLock::~CoreLock() {
  UNLOCK_TCPIP_CORE();
}

namespace {
struct Flag {
  std::mutex m;
  std::condition_variable cv;
  bool raised = false;
};

void raise(void *arg) {
  auto *f = static_cast<Flag *>(arg);
  std::lock_guard<std::mutex> g(f->m);
  f->raised = true;
  f->cv.notify_one();
}
}  // namespace

void tcpipBarrier() {
  Flag f;
  FUZZ_REQUIRE(tcpip_callback(raise, &f) == ERR_OK, "tcpip_callback failed");
  std::unique_lock<std::mutex> lock(f.m);
  bool ok = f.cv.wait_for(lock, std::chrono::seconds(20), [&] { return f.raised; });
  FUZZ_REQUIRE(ok, "the tcpip thread stopped taking messages");
}

void runDueTimers() {
  CoreLock lock;
  sys_check_timeouts();
}

void abortLeftoverPcbs(const std::function<void(struct tcp_pcb *)> &check) {
  CoreLock lock;
  for (struct tcp_pcb **list : {&tcp_active_pcbs, &tcp_tw_pcbs}) {
    // tcp_abort unlinks the pcb: start from the head again each time.
    while (struct tcp_pcb *pcb = *list) {
      check(pcb);
      tcp_arg(pcb, nullptr);
      tcp_err(pcb, nullptr);
      tcp_abort(pcb);
    }
  }
}

std::string describeStack() {
  CoreLock lock;
  auto count = [](struct tcp_pcb *pcb) {
    int n = 0;
    for (; pcb; pcb = pcb->next)
      ++n;
    return n;
  };
  char line[160];
  std::snprintf(line, sizeof line, "pcbs: %d active, %d time-wait, %d bound;",
                count(tcp_active_pcbs), count(tcp_tw_pcbs), count(tcp_bound_pcbs));
  std::string s = line;
  struct netif *n;
  NETIF_FOREACH(n) {
    int queued = 0;
    for (struct pbuf *p = n->loop_first; p; p = p->next)
      ++queued;
    std::snprintf(line, sizeof line, " netif %c%c%u: %d looped packets queued;", n->name[0],
                  n->name[1], unsigned(n->num), queued);
    s += line;
  }
  return s;
}

}  // namespace fuzz::lwip
