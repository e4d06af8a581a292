#include "lwip/pcb_pool_limit.h"

#include <dlfcn.h>

#include <atomic>

extern "C" {
#include "lwip/memp.h"
}

namespace {
std::atomic<int> g_limit{-1};
std::atomic<int> g_inUse{0};
std::atomic<uint64_t> g_refused{0};
std::atomic<uint64_t> g_calls{0};

using MallocFn = void *(*)(memp_t);
using FreeFn = void (*)(memp_t, void *);

MallocFn realMalloc() {
  static const auto fn = reinterpret_cast<MallocFn>(dlsym(RTLD_NEXT, "memp_malloc"));
  return fn;
}
FreeFn realFree() {
  static const auto fn = reinterpret_cast<FreeFn>(dlsym(RTLD_NEXT, "memp_free"));
  return fn;
}
}  // namespace

// lwIP calls both under its core lock; the counters are atomic all the same.
extern "C" void *memp_malloc(memp_t type) {
  g_calls.fetch_add(1, std::memory_order_relaxed);
  if (type != MEMP_TCP_PCB)
    return realMalloc()(type);
  const int limit = g_limit.load();
  if (limit >= 0 && g_inUse.load() >= limit) {
    g_refused.fetch_add(1);
    return nullptr;
  }
  void *p = realMalloc()(type);
  if (p)
    g_inUse.fetch_add(1);
  return p;
}

extern "C" void memp_free(memp_t type, void *mem) {
  if (type == MEMP_TCP_PCB && mem)
    g_inUse.fetch_sub(1);
  realFree()(type, mem);
}

namespace tst::lwip {

void limitTcpPcbs(int max) {
  g_limit = max;
}
int tcpPcbsInUse() {
  return g_inUse.load();
}
uint64_t tcpPcbRefusals() {
  return g_refused.load();
}
bool pcbPoolInterposed() {
  return g_calls.load() > 0;
}

}  // namespace tst::lwip
