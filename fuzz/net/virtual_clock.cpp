#include "net/virtual_clock.h"

#include <atomic>

// The library's own clock functions (os/os.h), by their mangled names.
extern "C" uint64_t __real__ZN8asynctcp2os5nowUsEv();

namespace fuzz::clock {

namespace {
std::atomic<uint64_t> g_offsetUs{0};
}

uint64_t nowUs() {
  return __real__ZN8asynctcp2os5nowUsEv() + g_offsetUs.load(std::memory_order_relaxed);
}

void advanceMs(uint64_t ms) {
  g_offsetUs.fetch_add(ms * 1000, std::memory_order_relaxed);
}

uint64_t jumpedUs() {
  return g_offsetUs.load(std::memory_order_relaxed);
}

}  // namespace fuzz::clock

// asynctcp::os::nowUs() and nowMs(), as every caller outside os_posix.cpp sees them.
extern "C" uint64_t __wrap__ZN8asynctcp2os5nowUsEv() {
  return fuzz::clock::nowUs();
}
extern "C" uint64_t __wrap__ZN8asynctcp2os5nowMsEv() {
  return fuzz::clock::nowUs() / 1000;
}
