#include "net/lwip_stack.h"

#include <dlfcn.h>
#include <time.h>

#include <condition_variable>
#include <cstdio>
#include <mutex>

extern "C" {
#include "lwip/netif.h"
#include "lwip/priv/tcp_priv.h"
#include "lwip/sys.h"
#include "lwip/tcpip.h"
#include "lwip/timeouts.h"
}

#include "net/check.h"
#include "net/prof.h"
#include "net/virtual_clock.h"

namespace fuzz::lwip {

namespace {
thread_local int t_coreDepth = 0;  // CoreLocks this thread holds (nested ones are free)
}  // namespace

CoreLock::CoreLock() {
  if (t_coreDepth++ == 0)
    LOCK_TCPIP_CORE();
}
CoreLock::~CoreLock() {
  if (--t_coreDepth == 0)
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

namespace {
// The tcpip thread's mailbox, seen through sys_mbox_post/trypost and sys_arch_mbox_fetch
// (interposed below: liblwip calls them through its PLT). Guarded by g_mboxMutex.
std::mutex g_mboxMutex;
uint64_t g_postsBegun = 0, g_postsDone = 0;  // messages posted (a post under way counts)
uint64_t g_fetched = 0;                      // messages the fetching thread took
bool g_fetching = false;                     // inside sys_arch_mbox_fetch
int64_t g_fetchDeadlineNs = -1;              // when that fetch times out (-1: never)
uint64_t g_fetchJumpedUs = 0;                // the virtual clock's jumps when it began
uint64_t g_timersRunAtJumpUs = 0;            // the jumps when runDueTimers() last ran

int64_t monoNs() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return int64_t(ts.tv_sec) * 1000000000 + ts.tv_nsec;
}

template <class Fn>
Fn nextFn(const char *name) {
  return reinterpret_cast<Fn>(dlsym(RTLD_NEXT, name));
}
}  // namespace

// The tcpip thread waits for its next message with every message posted so far taken and
// handled (it fetches again only once it handled the last one), its timeout not up, and
// either the clocks have not moved since it began or the timers due since have been run
// (runDueTimers(), after every jump: what they sent was posted, and counts above): a
// barrier through it would find nothing to do.
bool tcpipIdle() {
  const uint64_t jumped = clock::jumpedUs();
  std::lock_guard<std::mutex> g(g_mboxMutex);
  return g_fetching && g_postsBegun == g_postsDone && g_postsDone == g_fetched &&
         (g_fetchDeadlineNs < 0 || monoNs() < g_fetchDeadlineNs) &&
         (g_fetchJumpedUs == jumped || g_timersRunAtJumpUs == jumped);
}

void tcpipBarrier() {
  if (tcpipIdle()) {
    FUZZ_PROF("tcpipBarrier.skipped");
    return;
  }
  FUZZ_PROF("tcpipBarrier");
  Flag f;
  FUZZ_REQUIRE(tcpip_callback(raise, &f) == ERR_OK, "tcpip_callback failed");
  std::unique_lock<std::mutex> lock(f.m);
  bool ok = f.cv.wait_for(lock, std::chrono::seconds(20), [&] { return f.raised; });
  FUZZ_REQUIRE(ok, "the tcpip thread stopped taking messages");
}

void runDueTimers() {
  FUZZ_PROF("runDueTimers");
  const uint64_t jumped = clock::jumpedUs();
  {
    CoreLock lock;
    sys_check_timeouts();
  }
  std::lock_guard<std::mutex> g(g_mboxMutex);
  g_timersRunAtJumpUs = jumped;
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

extern "C" void sys_mbox_post(sys_mbox_t *mbox, void *msg) {
  static const auto real = fuzz::lwip::nextFn<void (*)(sys_mbox_t *, void *)>("sys_mbox_post");
  {
    std::lock_guard<std::mutex> g(fuzz::lwip::g_mboxMutex);
    ++fuzz::lwip::g_postsBegun;
  }
  real(mbox, msg);
  std::lock_guard<std::mutex> g(fuzz::lwip::g_mboxMutex);
  ++fuzz::lwip::g_postsDone;
}

extern "C" err_t sys_mbox_trypost(sys_mbox_t *mbox, void *msg) {
  static const auto real = fuzz::lwip::nextFn<err_t (*)(sys_mbox_t *, void *)>("sys_mbox_trypost");
  {
    std::lock_guard<std::mutex> g(fuzz::lwip::g_mboxMutex);
    ++fuzz::lwip::g_postsBegun;
  }
  const err_t err = real(mbox, msg);
  std::lock_guard<std::mutex> g(fuzz::lwip::g_mboxMutex);
  if (err == ERR_OK)
    ++fuzz::lwip::g_postsDone;
  else
    --fuzz::lwip::g_postsBegun;
  return err;
}

extern "C" u32_t sys_arch_mbox_fetch(sys_mbox_t *mbox, void **msg, u32_t timeout) {
  static const auto real =
      fuzz::lwip::nextFn<u32_t (*)(sys_mbox_t *, void **, u32_t)>("sys_arch_mbox_fetch");
  {
    std::lock_guard<std::mutex> g(fuzz::lwip::g_mboxMutex);
    fuzz::lwip::g_fetching = true;
    fuzz::lwip::g_fetchDeadlineNs =
        timeout ? fuzz::lwip::monoNs() + int64_t(timeout) * 1000000 : -1;
    fuzz::lwip::g_fetchJumpedUs = fuzz::clock::jumpedUs();
  }
  const u32_t r = real(mbox, msg, timeout);
  std::lock_guard<std::mutex> g(fuzz::lwip::g_mboxMutex);
  fuzz::lwip::g_fetching = false;
  if (r != SYS_ARCH_TIMEOUT)
    ++fuzz::lwip::g_fetched;
  return r;
}
