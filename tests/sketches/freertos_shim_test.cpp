// The FreeRTOS shims of the Arduino layer's ESP32 mode, against FreeRTOS's documented
// behaviour: mutual exclusion, ownership, counts, FIFO order, timeouts in ticks, task
// lifetime. Timing bounds are loose: they catch a wait that never happens or never ends,
// not scheduling jitter.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <thread>
#include <vector>

#include "freertos/FreeRTOS.h"
#include "freertos/queue.h"
#include "freertos/semphr.h"
#include "freertos/task.h"

namespace {

using Clock = std::chrono::steady_clock;

long msSince(Clock::time_point t0) {
  return static_cast<long>(
      std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - t0).count());
}

TEST(FreeRtosMutex, ExcludesOtherThreads) {
  SemaphoreHandle_t mutex = xSemaphoreCreateMutex();
  ASSERT_NE(mutex, nullptr);
  int counter = 0;  // plain int: only the mutex protects it (TSan checks)
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&] {
      for (int i = 0; i < 2000; ++i) {
        ASSERT_EQ(xSemaphoreTake(mutex, portMAX_DELAY), pdTRUE);
        ++counter;
        ASSERT_EQ(xSemaphoreGive(mutex), pdTRUE);
      }
    });
  for (auto &t : threads)
    t.join();
  EXPECT_EQ(counter, 8000);
  vSemaphoreDelete(mutex);
}

TEST(FreeRtosMutex, OnlyTheHolderGivesIt) {
  SemaphoreHandle_t mutex = xSemaphoreCreateMutex();
  EXPECT_EQ(xSemaphoreGive(mutex), pdFALSE);  // not taken
  ASSERT_EQ(xSemaphoreTake(mutex, 0), pdTRUE);
  EXPECT_EQ(xSemaphoreGetMutexHolder(mutex), xTaskGetCurrentTaskHandle());
  BaseType_t otherGive = pdTRUE, otherTake = pdTRUE;
  std::thread([&] {
    otherGive = xSemaphoreGive(mutex);
    otherTake = xSemaphoreTake(mutex, pdMS_TO_TICKS(20));
  }).join();
  EXPECT_EQ(otherGive, pdFALSE);
  EXPECT_EQ(otherTake, pdFALSE);
  EXPECT_EQ(xSemaphoreGive(mutex), pdTRUE);
  EXPECT_EQ(xSemaphoreGetMutexHolder(mutex), nullptr);
  vSemaphoreDelete(mutex);
}

TEST(FreeRtosMutex, RecursiveMutexCountsTheHoldersTakes) {
  SemaphoreHandle_t mutex = xSemaphoreCreateRecursiveMutex();
  ASSERT_EQ(xSemaphoreTakeRecursive(mutex, 0), pdTRUE);
  ASSERT_EQ(xSemaphoreTakeRecursive(mutex, 0), pdTRUE);
  EXPECT_EQ(xSemaphoreGiveRecursive(mutex), pdTRUE);
  BaseType_t whileHeld = pdTRUE;
  std::thread([&] { whileHeld = xSemaphoreTakeRecursive(mutex, pdMS_TO_TICKS(20)); }).join();
  EXPECT_EQ(whileHeld, pdFALSE);  // still held once
  EXPECT_EQ(xSemaphoreGiveRecursive(mutex), pdTRUE);
  EXPECT_EQ(xSemaphoreGiveRecursive(mutex), pdFALSE);  // released: nothing left to give
  BaseType_t afterRelease = pdFALSE;
  std::thread([&] {
    afterRelease = xSemaphoreTakeRecursive(mutex, 0);
    xSemaphoreGiveRecursive(mutex);
  }).join();
  EXPECT_EQ(afterRelease, pdTRUE);
  vSemaphoreDelete(mutex);
}

TEST(FreeRtosSemaphore, BinaryStartsEmptyAndTakeTimesOut) {
  SemaphoreHandle_t sem = xSemaphoreCreateBinary();
  const auto t0 = Clock::now();
  EXPECT_EQ(xSemaphoreTake(sem, pdMS_TO_TICKS(50)), pdFALSE);
  EXPECT_GE(msSince(t0), 45);
  EXPECT_EQ(xSemaphoreGive(sem), pdTRUE);
  EXPECT_EQ(xSemaphoreGive(sem), pdFALSE);  // binary: already given
  EXPECT_EQ(xSemaphoreTake(sem, 0), pdTRUE);
  EXPECT_EQ(xSemaphoreTake(sem, 0), pdFALSE);
  vSemaphoreDelete(sem);
}

TEST(FreeRtosSemaphore, GiveFromAnotherThreadWakesTheTaker) {
  SemaphoreHandle_t sem = xSemaphoreCreateBinary();
  std::thread giver([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(30));
    BaseType_t woken = pdFALSE;
    xSemaphoreGiveFromISR(sem, &woken);
  });
  const auto t0 = Clock::now();
  EXPECT_EQ(xSemaphoreTake(sem, portMAX_DELAY), pdTRUE);
  EXPECT_LT(msSince(t0), 3000);
  giver.join();
  vSemaphoreDelete(sem);
}

TEST(FreeRtosSemaphore, CountingKeepsItsCountWithinMax) {
  SemaphoreHandle_t sem = xSemaphoreCreateCounting(3, 1);
  EXPECT_EQ(uxSemaphoreGetCount(sem), 1u);
  EXPECT_EQ(xSemaphoreGive(sem), pdTRUE);
  EXPECT_EQ(xSemaphoreGive(sem), pdTRUE);
  EXPECT_EQ(xSemaphoreGive(sem), pdFALSE);  // at max
  EXPECT_EQ(uxSemaphoreGetCount(sem), 3u);
  for (int i = 0; i < 3; ++i)
    EXPECT_EQ(xSemaphoreTake(sem, 0), pdTRUE);
  EXPECT_EQ(xSemaphoreTake(sem, pdMS_TO_TICKS(10)), pdFALSE);
  vSemaphoreDelete(sem);
  EXPECT_EQ(xSemaphoreCreateCounting(2, 3), nullptr);  // initial above max
}

TEST(FreeRtosQueue, DeliversInFifoOrderAndFrontFirst) {
  QueueHandle_t q = xQueueCreate(4, sizeof(int));
  for (int v : {1, 2, 3})
    ASSERT_EQ(xQueueSend(q, &v, 0), pdPASS);
  const int urgent = 0;
  ASSERT_EQ(xQueueSendToFront(q, &urgent, 0), pdPASS);
  EXPECT_EQ(uxQueueMessagesWaiting(q), 4u);
  EXPECT_EQ(uxQueueSpacesAvailable(q), 0u);
  for (int want : {0, 1, 2, 3}) {
    int got = -1;
    ASSERT_EQ(xQueueReceive(q, &got, 0), pdPASS);
    EXPECT_EQ(got, want);
  }
  vQueueDelete(q);
}

TEST(FreeRtosQueue, FullQueueSendTimesOutEmptyReceiveTimesOut) {
  QueueHandle_t q = xQueueCreate(1, sizeof(uint32_t));
  const uint32_t v = 7;
  ASSERT_EQ(xQueueSendToBack(q, &v, 0), pdPASS);
  auto t0 = Clock::now();
  EXPECT_EQ(xQueueSend(q, &v, pdMS_TO_TICKS(40)), errQUEUE_FULL);
  EXPECT_GE(msSince(t0), 35);
  uint32_t out = 0;
  ASSERT_EQ(xQueueReceive(q, &out, 0), pdPASS);
  t0 = Clock::now();
  EXPECT_EQ(xQueueReceive(q, &out, pdMS_TO_TICKS(40)), errQUEUE_EMPTY);
  EXPECT_GE(msSince(t0), 35);
  vQueueDelete(q);
}

TEST(FreeRtosQueue, PeekLeavesTheItemAndOverwriteReplacesIt) {
  QueueHandle_t q = xQueueCreate(1, sizeof(int));
  int v = 5, out = 0;
  ASSERT_EQ(xQueueOverwrite(q, &v), pdPASS);
  v = 6;
  ASSERT_EQ(xQueueOverwrite(q, &v), pdPASS);
  ASSERT_EQ(xQueuePeek(q, &out, 0), pdPASS);
  EXPECT_EQ(out, 6);
  EXPECT_EQ(uxQueueMessagesWaiting(q), 1u);
  EXPECT_EQ(xQueueReset(q), pdPASS);
  EXPECT_EQ(xQueuePeek(q, &out, 0), errQUEUE_EMPTY);
  vQueueDelete(q);
  EXPECT_EQ(xQueueCreate(0, sizeof(int)), nullptr);
}

TEST(FreeRtosQueue, BlockedSenderProceedsWhenRoomComesUp) {
  QueueHandle_t q = xQueueCreate(2, sizeof(int));
  std::thread producer([&] {
    for (int i = 0; i < 100; ++i)
      xQueueSend(q, &i, portMAX_DELAY);
  });
  for (int want = 0; want < 100; ++want) {
    int got = -1;
    ASSERT_EQ(xQueueReceive(q, &got, pdMS_TO_TICKS(5000)), pdPASS);
    ASSERT_EQ(got, want);
  }
  producer.join();
  vQueueDelete(q);
}

struct Shared {
  QueueHandle_t queue;
  SemaphoreHandle_t done;
  TaskHandle_t seenSelf = nullptr;
  UBaseType_t watermark = 0;
};

void reportAndEnd(void *arg) {
  auto *s = static_cast<Shared *>(arg);
  s->seenSelf = xTaskGetCurrentTaskHandle();
  s->watermark = uxTaskGetStackHighWaterMark(nullptr);
  xSemaphoreGive(s->done);
  vTaskDelete(nullptr);
}

TEST(FreeRtosTask, RunsWithItsParameterAndDeletesItself) {
  Shared s{nullptr, xSemaphoreCreateBinary()};
  TaskHandle_t handle = nullptr;
  ASSERT_EQ(xTaskCreate(reportAndEnd, "reporter", 4096, &s, 1, &handle), pdPASS);
  ASSERT_EQ(xSemaphoreTake(s.done, pdMS_TO_TICKS(5000)), pdTRUE);
  EXPECT_EQ(s.seenSelf, handle);
  EXPECT_GT(s.watermark, 4096u);  // at least the requested stack, almost all unused
  vSemaphoreDelete(s.done);
}

void delayForever(void *) {
  for (;;)
    vTaskDelay(pdMS_TO_TICKS(1000));
}

TEST(FreeRtosTask, NameCoreAndPriorityAreKept) {
  SemaphoreHandle_t never = xSemaphoreCreateBinary();
  TaskHandle_t handle = nullptr;
  ASSERT_EQ(
      xTaskCreatePinnedToCore(
          [](void *arg) { xSemaphoreTake(static_cast<SemaphoreHandle_t>(arg), portMAX_DELAY); },
          "pinnedWorker", 4096, never, 3, &handle, 1),
      pdPASS);
  EXPECT_STREQ(pcTaskGetName(handle), "pinnedWorker");
  EXPECT_EQ(xTaskGetCoreID(handle), 1);
  EXPECT_EQ(uxTaskPriorityGet(handle), 3u);
  vTaskDelete(handle);  // returns once the task has ended: `never` is free to go
  vSemaphoreDelete(never);
  EXPECT_EQ(xTaskCreatePinnedToCore(delayForever, "bad", 4096, nullptr, 1, nullptr, 2),
            errCOULD_NOT_ALLOCATE_REQUIRED_MEMORY);
}

void receiveForever(void *arg) {
  auto *s = static_cast<Shared *>(arg);
  int item;
  for (;;)
    xQueueReceive(s->queue, &item, portMAX_DELAY);
}

TEST(FreeRtosTask, DeletingABlockedTaskEndsItBeforeReturning) {
  Shared s{xQueueCreate(1, sizeof(int)), nullptr};
  TaskHandle_t handle = nullptr;
  ASSERT_EQ(xTaskCreate(receiveForever, "receiver", 4096, &s, 1, &handle), pdPASS);
  vTaskDelay(pdMS_TO_TICKS(20));
  const auto t0 = Clock::now();
  vTaskDelete(handle);
  EXPECT_LT(msSince(t0), 3000);
  // The task has ended: it no longer takes what is sent.
  const int v = 1;
  ASSERT_EQ(xQueueSend(s.queue, &v, 0), pdPASS);
  vTaskDelay(pdMS_TO_TICKS(20));
  EXPECT_EQ(uxQueueMessagesWaiting(s.queue), 1u);
  vQueueDelete(s.queue);  // safe now: nothing waits on it
}

TEST(FreeRtosTask, DeletingADelayingTaskCutsItsDelayShort) {
  TaskHandle_t handle = nullptr;
  ASSERT_EQ(xTaskCreate(delayForever, "sleeper", 4096, nullptr, 1, &handle), pdPASS);
  vTaskDelay(pdMS_TO_TICKS(20));
  const auto t0 = Clock::now();
  vTaskDelete(handle);
  EXPECT_LT(msSince(t0), 500);
}

TEST(FreeRtosTask, DelayAndTickCountAgree) {
  const TickType_t before = xTaskGetTickCount();
  const auto t0 = Clock::now();
  vTaskDelay(pdMS_TO_TICKS(50));
  const long elapsed = msSince(t0);
  EXPECT_GE(elapsed, 45);
  EXPECT_LT(elapsed, 2000);
  const TickType_t ticks = xTaskGetTickCount() - before;
  EXPECT_GE(ticks, pdMS_TO_TICKS(45));
  EXPECT_LE(ticks, pdMS_TO_TICKS(elapsed + 5));
  EXPECT_EQ(portTICK_PERIOD_MS, 1u);
}

TEST(FreeRtosTask, DelayUntilKeepsAPeriod) {
  TickType_t wake = xTaskGetTickCount();
  const auto t0 = Clock::now();
  for (int i = 0; i < 5; ++i)
    xTaskDelayUntil(&wake, pdMS_TO_TICKS(20));
  EXPECT_GE(msSince(t0), 95);
  EXPECT_EQ(xTaskDelayUntil(&wake, 0), pdFALSE);  // already due
}

TEST(FreeRtosTask, NotificationsWakeTheWaitingTask) {
  struct Notified {
    TaskHandle_t waiter = nullptr;
    uint32_t taken = 0;
    SemaphoreHandle_t done = xSemaphoreCreateBinary();
  } n;
  ASSERT_EQ(xTaskCreate(
                [](void *arg) {
                  auto *p = static_cast<Notified *>(arg);
                  p->taken = ulTaskNotifyTake(pdTRUE, portMAX_DELAY);
                  xSemaphoreGive(p->done);
                  vTaskDelete(nullptr);
                },
                "notified", 4096, &n, 1, &n.waiter),
            pdPASS);
  xTaskNotifyGive(n.waiter);
  ASSERT_EQ(xSemaphoreTake(n.done, pdMS_TO_TICKS(5000)), pdTRUE);
  EXPECT_EQ(n.taken, 1u);
  EXPECT_EQ(ulTaskNotifyTake(pdTRUE, pdMS_TO_TICKS(10)), 0u);  // none for this thread
  vSemaphoreDelete(n.done);
}

TEST(FreeRtosCritical, ExcludesAndNests) {
  static portMUX_TYPE mux = portMUX_INITIALIZER_UNLOCKED;
  long counter = 0;
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&] {
      for (int i = 0; i < 5000; ++i) {
        portENTER_CRITICAL(&mux);
        taskENTER_CRITICAL(&mux);  // nested by the holder
        ++counter;
        taskEXIT_CRITICAL(&mux);
        portEXIT_CRITICAL(&mux);
      }
    });
  for (auto &t : threads)
    t.join();
  EXPECT_EQ(counter, 20000);
  EXPECT_EQ(mux.owner, portMUX_FREE_VAL);
}

TEST(FreeRtosCritical, YieldAndCoreIdsStayInTheEsp32Range) {
  taskYIELD();
  const BaseType_t core = xPortGetCoreID();
  EXPECT_GE(core, 0);
  EXPECT_LT(core, portNUM_PROCESSORS);
}

}  // namespace
