// FreeRTOS (ESP-IDF) implementation of src/os/os.h: FreeRTOS mutexes and
// binary semaphores, esp_timer for the clock, and the service thread as a
// task pinned with xTaskCreatePinnedToCore, configured like the ESP32 AsyncTCP
// library (CONFIG_ASYNC_TCP_RUNNING_CORE, _STACK_SIZE, _PRIORITY).
// ESP32 only: the Arduino IDE compiles every file under src/, Linux builds skip this one.
#if defined(ESP_PLATFORM)

#include "os/os.h"

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <new>

#include "AsyncTCP.h"  // the CONFIG_ASYNC_TCP_* defaults
#include "esp_timer.h"
#include "freertos/FreeRTOS.h"
#include "freertos/semphr.h"
#include "freertos/task.h"

namespace asynctcp::os {

namespace {
using Handle = std::atomic<SemaphoreHandle_t>;
static_assert(sizeof(Handle) <= 64, "handle storage too small");

[[noreturn]] void outOfMemory(const char *what) {
  std::fprintf(stderr, "asynctcp: cannot create a FreeRTOS %s\n", what);
  std::abort();
}

// The primitives have no failure path in os.h; running out of heap while
// creating one leaves nothing sensible to do.
SemaphoreHandle_t createBinary() {
  SemaphoreHandle_t s = xSemaphoreCreateBinary();
  if (!s)
    outOfMemory("semaphore");
  return s;
}

Handle &slot(unsigned char *storage) {
  return *std::launder(reinterpret_cast<Handle *>(storage));
}

// Rounded up, so a short wait never becomes a zero-tick spin.
TickType_t toTicks(int64_t ms) {
  if (ms < 0)
    return portMAX_DELAY;
  uint64_t ticks = (uint64_t(ms) * configTICK_RATE_HZ + 999) / 1000;
  return ticks >= uint64_t(portMAX_DELAY) ? portMAX_DELAY - 1 : TickType_t(ticks);
}
}  // namespace

uint64_t nowUs() {
  return uint64_t(esp_timer_get_time());
}

uint64_t nowMs() {
  return nowUs() / 1000u;
}

// Created on first lock(): Signal and Notifier embed a Mutex they do not use
// here, and every cross-thread Service::call() builds a Signal.
Mutex::Mutex() {
  new (_storage) Handle(nullptr);
}

Mutex::~Mutex() {
  if (SemaphoreHandle_t m = slot(_storage).load(std::memory_order_acquire))
    vSemaphoreDelete(m);
  slot(_storage).~Handle();
}

void Mutex::lock() {
  Handle &h = slot(_storage);
  SemaphoreHandle_t m = h.load(std::memory_order_acquire);
  if (!m) {
    SemaphoreHandle_t fresh = xSemaphoreCreateMutex();
    if (!fresh)
      outOfMemory("mutex");
    if (h.compare_exchange_strong(m, fresh, std::memory_order_acq_rel))
      m = fresh;
    else
      vSemaphoreDelete(fresh);  // another task created it first
  }
  xSemaphoreTake(m, portMAX_DELAY);
}

void Mutex::unlock() {
  xSemaphoreGive(slot(_storage).load(std::memory_order_acquire));
}

Signal::Signal() {
  new (_cond) Handle(createBinary());
}

Signal::~Signal() {
  vSemaphoreDelete(slot(_cond).load());
  slot(_cond).~Handle();
}

void Signal::raise() {
  xSemaphoreGive(slot(_cond).load());
}

void Signal::wait() {
  while (xSemaphoreTake(slot(_cond).load(), portMAX_DELAY) != pdTRUE) {
  }
}

// A binary semaphore: notifications before the wait coalesce into one, as the
// POSIX flag does, and the wait consumes it.
Notifier::Notifier() {
  new (_cond) Handle(createBinary());
}

Notifier::~Notifier() {
  vSemaphoreDelete(slot(_cond).load());
  slot(_cond).~Handle();
}

void Notifier::notify() {
  xSemaphoreGive(slot(_cond).load());
}

void Notifier::wait(int64_t timeoutMs) {
  xSemaphoreTake(slot(_cond).load(), toTicks(timeoutMs));
}

namespace {
// Set by the task itself before it runs anything, so it knows itself even if
// it runs before xTaskCreatePinnedToCore() has returned to its creator.
std::atomic<TaskHandle_t> g_serviceTask{nullptr};

struct Start {
  void (*entry)(void *);
  void *arg;
};

void trampoline(void *p) {
  Start s = *static_cast<Start *>(p);
  delete static_cast<Start *>(p);
  g_serviceTask.store(xTaskGetCurrentTaskHandle(), std::memory_order_release);
  s.entry(s.arg);
  vTaskDelete(nullptr);  // a FreeRTOS task must never return
}
}  // namespace

bool startThread(const ThreadOptions &options, void (*entry)(void *), void *arg) {
  auto *start = new (std::nothrow) Start{entry, arg};
  if (!start)
    return false;
  // ESP-IDF counts task stacks in bytes.
  uint32_t stack = options.stackSize ? uint32_t(options.stackSize) : CONFIG_ASYNC_TCP_STACK_SIZE;
  BaseType_t core = options.core >= 0 ? BaseType_t(options.core) : BaseType_t(tskNO_AFFINITY);
  TaskHandle_t task = nullptr;
  if (xTaskCreatePinnedToCore(trampoline, options.name ? options.name : "async_tcp", stack, start,
                              CONFIG_ASYNC_TCP_PRIORITY, &task, core) != pdPASS) {
    delete start;
    return false;
  }
  return true;
}

bool onServiceThread() {
  TaskHandle_t service = g_serviceTask.load(std::memory_order_acquire);
  return service != nullptr && service == xTaskGetCurrentTaskHandle();
}

namespace {
// The task holding the core lock: only that task writes it (taking and letting go),
// so a task reading its own handle here is right without further ordering.
std::atomic<TaskHandle_t> g_coreHolder{nullptr};
}  // namespace

bool holdsCore() {
  return g_coreHolder.load(std::memory_order_relaxed) == xTaskGetCurrentTaskHandle();
}

void setHoldsCore(bool held) {
  g_coreHolder.store(held ? xTaskGetCurrentTaskHandle() : nullptr, std::memory_order_relaxed);
}

}  // namespace asynctcp::os

#endif  // defined(ESP_PLATFORM)
