// FreeRTOS queues, semaphores and mutexes over one ring buffer with a lock and two
// conditions. Blocking calls are deletion points: vTaskDelete wakes a task waiting here.
#include <chrono>
#include <cstring>
#include <new>

#include "queue_definition.h"
#include "task_control.h"

namespace asynctcp::esp32 {
namespace {

enum class Wait { Ready, TimedOut, Deleted };

// Waits on `cond` until ready() holds, `ticks` pass or the calling task is deleted.
template <class Ready>
Wait waitFor(std::unique_lock<std::mutex> &hold, std::condition_variable &cond, TickType_t ticks,
             TaskHandle_t self, Ready ready) {
  auto done = [&] { return self->deleteRequested || ready(); };
  if (ticks == portMAX_DELAY)
    cond.wait(hold, done);
  else if (ticks != 0)
    cond.wait_for(hold, std::chrono::milliseconds(pdTICKS_TO_MS(ticks)), done);
  if (self->deleteRequested)
    return Wait::Deleted;
  return ready() ? Wait::Ready : Wait::TimedOut;
}

// A blocking call on `queue`: the task is findable by vTaskDelete while it waits, and
// ends (outside the queue's lock) if it was deleted.
template <class Body>
BaseType_t blockingCall(QueueDefinition *queue, TickType_t ticks, Body body) {
  configASSERT(queue != nullptr);
  TaskHandle_t self = currentTask();
  honourDeletion(self);
  BlockedOn blocked(self, ticks != 0 ? queue : nullptr);
  std::unique_lock<std::mutex> hold(queue->lock);
  Wait outcome = Wait::Ready;
  const BaseType_t result = body(hold, self, outcome);
  hold.unlock();
  if (outcome == Wait::Deleted)
    endCurrentTask();
  return result;
}

void copyIn(QueueDefinition &q, const void *item, BaseType_t position) {
  if (position == queueSEND_TO_FRONT)
    q.head = (q.head + q.length - 1) % q.length;
  const UBaseType_t slot = position == queueSEND_TO_FRONT ? q.head : (q.head + q.count) % q.length;
  if (q.itemSize > 0)
    std::memcpy(&q.items[size_t(slot) * q.itemSize], item, q.itemSize);
  ++q.count;
  q.readable.notify_one();
}

void copyOut(QueueDefinition &q, void *buffer, bool remove) {
  if (q.itemSize > 0 && buffer != nullptr)
    std::memcpy(buffer, &q.items[size_t(q.head) * q.itemSize], q.itemSize);
  if (!remove)
    return;
  q.head = (q.head + 1) % q.length;
  --q.count;
  q.writable.notify_one();
}

// A mutex gives only from its holder; a recursive one releases at its last give.
BaseType_t giveMutex(QueueDefinition &q, TaskHandle_t self) {
  if (q.holder != self)
    return pdFAIL;
  if (--q.depth > 0)
    return pdPASS;
  q.holder = nullptr;
  q.count = 1;
  q.readable.notify_one();
  return pdPASS;
}

BaseType_t send(QueueDefinition &q, const void *item, BaseType_t position, TaskHandle_t self,
                std::unique_lock<std::mutex> &hold, TickType_t ticks, Wait &outcome) {
  if (q.isMutex())
    return giveMutex(q, self);
  if (position == queueOVERWRITE) {
    if (q.length != 1)
      return errQUEUE_FULL;
    q.count = 0;
    copyIn(q, item, queueSEND_TO_BACK);
    return pdPASS;
  }
  outcome = waitFor(hold, q.writable, ticks, self, [&] { return q.count < q.length; });
  if (outcome != Wait::Ready)
    return errQUEUE_FULL;
  copyIn(q, item, position);
  return pdPASS;
}

BaseType_t takeMutex(QueueDefinition &q, TaskHandle_t self, std::unique_lock<std::mutex> &hold,
                     TickType_t ticks, Wait &outcome) {
  if (q.type == queueQUEUE_TYPE_RECURSIVE_MUTEX && q.holder == self) {
    ++q.depth;
    return pdPASS;
  }
  outcome = waitFor(hold, q.readable, ticks, self, [&] { return q.count > 0; });
  if (outcome != Wait::Ready)
    return pdFAIL;
  q.count = 0;
  q.holder = self;
  q.depth = 1;
  return pdPASS;
}

BaseType_t receive(QueueDefinition &q, void *buffer, bool remove, TaskHandle_t self,
                   std::unique_lock<std::mutex> &hold, TickType_t ticks, Wait &outcome) {
  if (q.isMutex())
    return remove ? takeMutex(q, self, hold, ticks, outcome) : pdFAIL;
  outcome = waitFor(hold, q.readable, ticks, self, [&] { return q.count > 0; });
  if (outcome != Wait::Ready)
    return errQUEUE_EMPTY;
  copyOut(q, buffer, remove);
  if (!remove)
    q.readable.notify_one();  // a peek leaves the item for the next waiter
  return pdPASS;
}

}  // namespace
}  // namespace asynctcp::esp32

using asynctcp::esp32::blockingCall;
using asynctcp::esp32::Wait;

extern "C" {

QueueHandle_t xQueueGenericCreate(UBaseType_t length, UBaseType_t itemSize, uint8_t type) {
  if (length == 0)
    return nullptr;
  return new (std::nothrow) QueueDefinition(length, itemSize, type);
}

QueueHandle_t xQueueCreateMutex(uint8_t type) {
  QueueDefinition *q = xQueueGenericCreate(1, 0, type);
  if (q != nullptr)
    q->count = 1;  // free
  return q;
}

QueueHandle_t xQueueCreateCountingSemaphore(UBaseType_t maxCount, UBaseType_t initialCount) {
  if (initialCount > maxCount)
    return nullptr;
  QueueDefinition *q = xQueueGenericCreate(maxCount, 0, queueQUEUE_TYPE_COUNTING_SEMAPHORE);
  if (q != nullptr)
    q->count = initialCount;
  return q;
}

void vQueueDelete(QueueHandle_t queue) {
  delete queue;
}

BaseType_t xQueueGenericReset(QueueHandle_t queue, BaseType_t) {
  configASSERT(queue != nullptr);
  std::lock_guard<std::mutex> hold(queue->lock);
  queue->head = 0;
  queue->count = 0;
  queue->writable.notify_all();
  return pdPASS;
}

BaseType_t xQueueGenericSend(QueueHandle_t queue, const void *item, TickType_t ticks,
                             BaseType_t position) {
  return blockingCall(queue, ticks, [&](auto &hold, TaskHandle_t self, Wait &outcome) {
    return asynctcp::esp32::send(*queue, item, position, self, hold, ticks, outcome);
  });
}

BaseType_t xQueueReceive(QueueHandle_t queue, void *buffer, TickType_t ticks) {
  return blockingCall(queue, ticks, [&](auto &hold, TaskHandle_t self, Wait &outcome) {
    return asynctcp::esp32::receive(*queue, buffer, true, self, hold, ticks, outcome);
  });
}

BaseType_t xQueuePeek(QueueHandle_t queue, void *buffer, TickType_t ticks) {
  return blockingCall(queue, ticks, [&](auto &hold, TaskHandle_t self, Wait &outcome) {
    return asynctcp::esp32::receive(*queue, buffer, false, self, hold, ticks, outcome);
  });
}

BaseType_t xQueueSemaphoreTake(QueueHandle_t queue, TickType_t ticks) {
  return xQueueReceive(queue, nullptr, ticks);
}

// Taking a recursive mutex again and giving it back count in both forms (see semphr.h).
BaseType_t xQueueTakeMutexRecursive(QueueHandle_t mutex, TickType_t ticks) {
  return xQueueReceive(mutex, nullptr, ticks);
}

BaseType_t xQueueGiveMutexRecursive(QueueHandle_t mutex) {
  return xQueueGenericSend(mutex, nullptr, 0, queueSEND_TO_BACK);
}

TaskHandle_t xQueueGetMutexHolder(QueueHandle_t mutex) {
  configASSERT(mutex != nullptr);
  std::lock_guard<std::mutex> hold(mutex->lock);
  return mutex->holder;
}

UBaseType_t uxQueueMessagesWaiting(QueueHandle_t queue) {
  configASSERT(queue != nullptr);
  std::lock_guard<std::mutex> hold(queue->lock);
  return queue->count;
}

UBaseType_t uxQueueSpacesAvailable(QueueHandle_t queue) {
  configASSERT(queue != nullptr);
  std::lock_guard<std::mutex> hold(queue->lock);
  return queue->length - queue->count;
}

BaseType_t xQueueIsQueueEmptyFromISR(QueueHandle_t queue) {
  return uxQueueMessagesWaiting(queue) == 0 ? pdTRUE : pdFALSE;
}

BaseType_t xQueueIsQueueFullFromISR(QueueHandle_t queue) {
  return uxQueueSpacesAvailable(queue) == 0 ? pdTRUE : pdFALSE;
}

BaseType_t xQueueGenericSendFromISR(QueueHandle_t queue, const void *item, BaseType_t *,
                                    BaseType_t position) {
  return xQueueGenericSend(queue, item, 0, position);
}

BaseType_t xQueueGiveFromISR(QueueHandle_t queue, BaseType_t *) {
  return xQueueGenericSend(queue, nullptr, 0, queueSEND_TO_BACK);
}

BaseType_t xQueueReceiveFromISR(QueueHandle_t queue, void *buffer, BaseType_t *) {
  return xQueueReceive(queue, buffer, 0);
}

BaseType_t xQueuePeekFromISR(QueueHandle_t queue, void *buffer) {
  return xQueuePeek(queue, buffer, 0);
}

}  // extern "C"
