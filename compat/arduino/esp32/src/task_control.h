// What the FreeRTOS shims know about a task: its identity, how another task deletes it,
// and its notification value. Every thread has one: tasks get theirs from
// xTaskCreatePinnedToCore, other threads (the sketch's loop(), async_tcp, a test's
// threads) on first use.
#pragma once

#include <atomic>
#include <condition_variable>
#include <memory>
#include <mutex>

#include "freertos/task.h"
#include "stack_watermark.h"

struct QueueDefinition;

struct tskTaskControlBlock : std::enable_shared_from_this<tskTaskControlBlock> {
  char name[configMAX_TASK_NAME_LEN] = {};
  std::atomic<UBaseType_t> priority{0};
  BaseType_t core = tskNO_AFFINITY;
  bool created = false;  // by xTaskCreate; other threads are never ended by vTaskDelete
  TaskFunction_t code = nullptr;
  void *parameters = nullptr;
  asynctcp::esp32::StackRegion stack;  // painted at start, for the high-water mark

  std::atomic<bool> deleteRequested{false};
  std::mutex lock;  // guards what follows
  // Wakes vTaskDelay and notification waits (for a deletion too) and whoever waits for
  // the task to end.
  std::condition_variable wake;
  QueueDefinition *blockedOn = nullptr;  // the queue it waits on, so a deletion can wake it
  bool ended = false;
  uint32_t notifyValue = 0;
  bool notifyPending = false;
};

namespace asynctcp::esp32 {

TaskHandle_t currentTask();
// The calling task ends here: a created task's thread exits (its C++ frames unwind); the
// sketch's main thread parks until the sketch is stopped; any other thread aborts, since
// ending a thread the program did not create as a task would break its owner.
[[noreturn]] void endCurrentTask();
// A deletion point: ends the calling task if vTaskDelete asked for it.
void honourDeletion(TaskHandle_t self);

// Records, for the lifetime of a blocking queue call, which queue the task waits on. Made
// before the queue's lock is taken: vTaskDelete holds the task's lock, then the queue's.
class BlockedOn {
public:
  BlockedOn(TaskHandle_t self, QueueDefinition *queue);
  ~BlockedOn();
  BlockedOn(const BlockedOn &) = delete;
  BlockedOn &operator=(const BlockedOn &) = delete;

private:
  TaskHandle_t _self;
};

}  // namespace asynctcp::esp32
