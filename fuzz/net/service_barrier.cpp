#include "net/service_barrier.h"

#include <chrono>
#include <condition_variable>
#include <mutex>

#include "backends/backend.h"
#include "net/check.h"

extern "C" void __real__ZN8asynctcp6events14releaseForWaitEv();
extern "C" void __real__ZN8asynctcp6events16acquireAfterWaitEv();

namespace fuzz {

namespace {
std::mutex g_mutex;
std::condition_variable g_passEnded;
uint64_t g_passes = 0;  // passes ended (waits entered), guarded by g_mutex
bool g_inWait = false;  // between releaseForWait and acquireAfterWait
}  // namespace

void serviceBarrier() {
  std::unique_lock<std::mutex> lock(g_mutex);
  // Waiting: the next pass begins after this call. Mid-pass: the one after it does.
  const uint64_t target = g_passes + (g_inWait ? 1 : 2);
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (g_passes < target) {
    // Woken again after each slice: a pass under way may have drained the first wake-up
    // before it waited again.
    asynctcp::backend::wake();
    g_passEnded.wait_for(lock, std::chrono::milliseconds(2));
    FUZZ_REQUIRE(std::chrono::steady_clock::now() < deadline,
                 "the service thread stopped looping (stuck in a callback or a lock?)");
  }
}

}  // namespace fuzz

// asynctcp::events::releaseForWait() and acquireAfterWait(), around every wait of the loop.
extern "C" void __wrap__ZN8asynctcp6events14releaseForWaitEv() {
  {
    std::lock_guard<std::mutex> lock(fuzz::g_mutex);
    ++fuzz::g_passes;
    fuzz::g_inWait = true;
  }
  fuzz::g_passEnded.notify_all();
  __real__ZN8asynctcp6events14releaseForWaitEv();
}

extern "C" void __wrap__ZN8asynctcp6events16acquireAfterWaitEv() {
  __real__ZN8asynctcp6events16acquireAfterWaitEv();
  std::lock_guard<std::mutex> lock(fuzz::g_mutex);
  fuzz::g_inWait = false;
}
