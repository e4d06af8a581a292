// ESP-IDF critical sections (portMUX_TYPE): a spinlock the holder may take again. On
// ESP32 it also masks interrupts on the core; Linux has none to mask, so it is the lock.
#include <sched.h>

#include <atomic>

#include "freertos/FreeRTOS.h"

namespace {

// Small, non-zero and never portMUX_FREE_VAL: fits the 32-bit owner field.
uint32_t threadToken() {
  static std::atomic<uint32_t> next{1};
  thread_local const uint32_t token = next.fetch_add(1);
  return token;
}

}  // namespace

extern "C" {

void vPortCPUInitializeMutex(portMUX_TYPE *mux) {
  __atomic_store_n(&mux->owner, portMUX_FREE_VAL, __ATOMIC_RELEASE);
  mux->count = 0;
}

void vPortEnterCritical(portMUX_TYPE *mux) {
  const uint32_t me = threadToken();
  if (__atomic_load_n(&mux->owner, __ATOMIC_ACQUIRE) == me) {
    ++mux->count;  // nested: only the holder gets here
    return;
  }
  uint32_t expected = portMUX_FREE_VAL;
  // The holder may be preempted on Linux: yield instead of burning its time slice.
  while (!__atomic_compare_exchange_n(&mux->owner, &expected, me, false, __ATOMIC_ACQUIRE,
                                      __ATOMIC_RELAXED)) {
    expected = portMUX_FREE_VAL;
    sched_yield();
  }
  mux->count = 1;
}

void vPortExitCritical(portMUX_TYPE *mux) {
  configASSERT(__atomic_load_n(&mux->owner, __ATOMIC_RELAXED) == threadToken());
  if (--mux->count == 0)
    __atomic_store_n(&mux->owner, portMUX_FREE_VAL, __ATOMIC_RELEASE);
}

}  // extern "C"
