#include "net/lwip_leaks.h"

#include <chrono>

#include "net/check.h"
#include "net/lwip_memp.h"
#include "net/lwip_stack.h"
#include "net/service_barrier.h"

namespace fuzz::lwip {

namespace {
bool g_haveBaseline = false;
MempSnapshot g_baseline;
}  // namespace

void checkNoLeaks() {
  abortLeftoverPcbs([](struct tcp_pcb *pcb) {
    FUZZ_REQUIRE(!pcb->callback_arg || pcb->state == SYN_RCVD,
                 "a pcb still has a callback argument once every client is deleted (state %d)",
                 int(pcb->state));
  });
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(2);
  for (;;) {
    tcpipBarrier();
    serviceBarrier();
    MempSnapshot now = mempSnapshot();
    now.inUse[MEMP_SYS_TIMEOUT] = 0;  // lwIP's TCP timer stays armed a while after the last pcb
    if (!g_haveBaseline) {
      g_baseline = now;
      g_haveBaseline = true;
    }
    if (now.within(g_baseline)) {
      g_baseline.lower(now);
      return;
    }
    FUZZ_REQUIRE(std::chrono::steady_clock::now() < deadline, "lwIP memory leaked:%s; %s",
                 now.diff(g_baseline).c_str(), describeStack().c_str());
  }
}

}  // namespace fuzz::lwip
