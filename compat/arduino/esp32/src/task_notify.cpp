// Direct-to-task notifications: one 32-bit value and a pending flag per task, under the
// task's lock. Waiting for one is a deletion point.
#include <chrono>

#include "task_control.h"

namespace asynctcp::esp32 {
namespace {

// Applies `action` as FreeRTOS does; false only for eSetValueWithoutOverwrite on a value
// not yet taken.
bool apply(tskTaskControlBlock &t, uint32_t value, eNotifyAction action) {
  switch (action) {
    case eSetBits:
      t.notifyValue |= value;
      break;
    case eIncrement:
      ++t.notifyValue;
      break;
    case eSetValueWithOverwrite:
      t.notifyValue = value;
      break;
    case eSetValueWithoutOverwrite:
      if (t.notifyPending)
        return false;
      t.notifyValue = value;
      break;
    case eNoAction:
      break;
  }
  t.notifyPending = true;
  return true;
}

// Waits for a notification on the caller's own task; false on timeout.
bool waitForNotification(tskTaskControlBlock *self, std::unique_lock<std::mutex> &hold,
                         TickType_t ticks) {
  auto done = [&] { return self->deleteRequested || self->notifyPending; };
  if (ticks == portMAX_DELAY)
    self->wake.wait(hold, done);
  else if (ticks != 0)
    self->wake.wait_for(hold, std::chrono::milliseconds(pdTICKS_TO_MS(ticks)), done);
  if (self->deleteRequested) {
    hold.unlock();
    endCurrentTask();
  }
  return self->notifyPending;
}

}  // namespace
}  // namespace asynctcp::esp32

extern "C" {

BaseType_t xTaskNotifyAndQuery(TaskHandle_t task, uint32_t value, eNotifyAction action,
                               uint32_t *previousValue) {
  configASSERT(task != nullptr);
  std::lock_guard<std::mutex> hold(task->lock);
  if (previousValue != nullptr)
    *previousValue = task->notifyValue;
  if (!asynctcp::esp32::apply(*task, value, action))
    return pdFAIL;
  task->wake.notify_all();
  return pdPASS;
}

BaseType_t xTaskNotify(TaskHandle_t task, uint32_t value, eNotifyAction action) {
  return xTaskNotifyAndQuery(task, value, action, nullptr);
}

BaseType_t xTaskNotifyFromISR(TaskHandle_t task, uint32_t value, eNotifyAction action,
                              BaseType_t *) {
  return xTaskNotify(task, value, action);
}

void vTaskNotifyGiveFromISR(TaskHandle_t task, BaseType_t *) {
  xTaskNotify(task, 0, eIncrement);
}

BaseType_t xTaskNotifyWait(uint32_t clearOnEntry, uint32_t clearOnExit, uint32_t *value,
                           TickType_t ticks) {
  tskTaskControlBlock *self = asynctcp::esp32::currentTask();
  asynctcp::esp32::honourDeletion(self);
  std::unique_lock<std::mutex> hold(self->lock);
  if (!self->notifyPending)
    self->notifyValue &= ~clearOnEntry;
  const bool notified = asynctcp::esp32::waitForNotification(self, hold, ticks);
  if (value != nullptr)
    *value = self->notifyValue;
  if (!notified)
    return pdFALSE;
  self->notifyValue &= ~clearOnExit;
  self->notifyPending = false;
  return pdTRUE;
}

// The notification value as a counting semaphore: returns it as it was before taking.
uint32_t ulTaskNotifyTake(BaseType_t clearOnExit, TickType_t ticks) {
  tskTaskControlBlock *self = asynctcp::esp32::currentTask();
  asynctcp::esp32::honourDeletion(self);
  std::unique_lock<std::mutex> hold(self->lock);
  auto counted = [&] { return self->deleteRequested || self->notifyValue != 0; };
  if (ticks == portMAX_DELAY)
    self->wake.wait(hold, counted);
  else if (ticks != 0)
    self->wake.wait_for(hold, std::chrono::milliseconds(pdTICKS_TO_MS(ticks)), counted);
  if (self->deleteRequested) {
    hold.unlock();
    asynctcp::esp32::endCurrentTask();
  }
  const uint32_t value = self->notifyValue;
  if (value != 0)
    self->notifyValue = clearOnExit ? 0 : value - 1;
  self->notifyPending = false;
  return value;
}

}  // extern "C"
