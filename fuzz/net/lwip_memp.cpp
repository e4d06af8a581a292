#include "net/lwip_memp.h"

#include <dlfcn.h>

#include <atomic>
#include <cstdio>

extern "C" {
#include "lwip/mem.h"
}

namespace {
std::atomic<long> g_inUse[MEMP_MAX + 1];

template <class Fn>
Fn next(const char *name) {
  return reinterpret_cast<Fn>(dlsym(RTLD_NEXT, name));
}
using MempMalloc = void *(*)(memp_t);
using MempFree = void (*)(memp_t, void *);
using MemMalloc = void *(*)(mem_size_t);
using MemFree = void (*)(void *);

// Debian's memp_malloc() is mem_malloc() underneath (MEMP_MEM_MALLOC): a block counted in
// its pool is not counted again as a mem block.
thread_local bool t_inMemp = false;
struct InMemp {
  InMemp() { t_inMemp = true; }
  ~InMemp() { t_inMemp = false; }
};
}  // namespace

// lwIP calls these under its core lock; the counters are atomic all the same.
extern "C" void *memp_malloc(memp_t type) {
  static const auto real = next<MempMalloc>("memp_malloc");
  InMemp in;
  void *p = real(type);
  if (p)
    g_inUse[type].fetch_add(1, std::memory_order_relaxed);
  return p;
}

extern "C" void memp_free(memp_t type, void *mem) {
  static const auto real = next<MempFree>("memp_free");
  if (mem)
    g_inUse[type].fetch_sub(1, std::memory_order_relaxed);
  InMemp in;
  real(type, mem);
}

extern "C" void *mem_malloc(mem_size_t size) {
  static const auto real = next<MemMalloc>("mem_malloc");
  void *p = real(size);
  if (p && !t_inMemp)
    g_inUse[MEMP_MAX].fetch_add(1, std::memory_order_relaxed);
  return p;
}

extern "C" void mem_free(void *mem) {
  static const auto real = next<MemFree>("mem_free");
  if (mem && !t_inMemp)
    g_inUse[MEMP_MAX].fetch_sub(1, std::memory_order_relaxed);
  real(mem);
}

namespace fuzz::lwip {

bool MempSnapshot::within(const MempSnapshot &baseline) const {
  for (int i = 0; i <= MEMP_MAX; ++i)
    if (inUse[i] > baseline.inUse[i])
      return false;
  return true;
}

void MempSnapshot::lower(const MempSnapshot &o) {
  for (int i = 0; i <= MEMP_MAX; ++i)
    if (o.inUse[i] < inUse[i])
      inUse[i] = o.inUse[i];
}

std::string MempSnapshot::diff(const MempSnapshot &baseline) const {
  std::string s;
  for (int i = 0; i <= MEMP_MAX; ++i) {
    if (inUse[i] <= baseline.inUse[i])
      continue;
    char line[96];
    std::snprintf(line, sizeof line, " %s%d: %ld (was %ld)", i == MEMP_MAX ? "mem" : "memp#",
                  i == MEMP_MAX ? 0 : i, inUse[i], baseline.inUse[i]);
    s += line;
  }
  return s;
}

MempSnapshot mempSnapshot() {
  MempSnapshot s;
  for (int i = 0; i <= MEMP_MAX; ++i)
    s.inUse[i] = g_inUse[i].load(std::memory_order_relaxed);
  return s;
}

long tcpPcbsInUse() {
  return g_inUse[MEMP_TCP_PCB].load(std::memory_order_relaxed);
}

}  // namespace fuzz::lwip
