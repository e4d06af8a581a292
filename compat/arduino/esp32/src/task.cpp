// FreeRTOS tasks on POSIX threads: creation, identity, deletion and delays.
#include <pthread.h>
#include <sched.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <Arduino.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "lifecycle.h"
#include "queue_definition.h"
#include "task_control.h"

namespace asynctcp::esp32 {
namespace {

// ESP32 tasks ask for 2-8 KiB; x86-64 frames, glibc's stdio and sanitizers need far more,
// so a task gets at least this much.
constexpr size_t kMinStackBytes = 256 * 1024;

thread_local tskTaskControlBlock *current = nullptr;

bool isMainThread() {
  return getpid() == static_cast<pid_t>(syscall(SYS_gettid));
}

// A thread the program started some other way becomes a task on first use. The sketch's
// main thread is Arduino's loopTask, on its core.
tskTaskControlBlock *adoptThread() {
  thread_local std::shared_ptr<tskTaskControlBlock> adopted = [] {
    auto task = std::make_shared<tskTaskControlBlock>();
    if (isMainThread()) {
      std::snprintf(task->name, sizeof task->name, "loopTask");
      task->core = CONFIG_ARDUINO_RUNNING_CORE;
      task->priority = 1;
    } else {
      pthread_getname_np(pthread_self(), task->name, sizeof task->name);
    }
    return task;
  }();
  return adopted.get();
}

// Runs when the task's thread ends, whether the function returned or the task was deleted
// (pthread_exit unwinds the task's frames): whoever waits in vTaskDelete may go on.
struct TaskEnd {
  std::shared_ptr<tskTaskControlBlock> task;
  ~TaskEnd() {
    std::lock_guard<std::mutex> hold(task->lock);
    task->ended = true;
    task->wake.notify_all();
  }
};

void *runTask(void *arg) {
  std::unique_ptr<std::shared_ptr<tskTaskControlBlock>> owned(
      static_cast<std::shared_ptr<tskTaskControlBlock> *>(arg));
  TaskEnd end{std::move(*owned)};
  owned.reset();
  tskTaskControlBlock *self = end.task.get();
  current = self;
  pthread_setname_np(pthread_self(), self->name);
  self->stack = paintOwnStack();
  if (!self->deleteRequested)
    self->code(self->parameters);
  return nullptr;
}

bool startThread(const std::shared_ptr<tskTaskControlBlock> &task, size_t stackBytes) {
  pthread_attr_t attr;
  if (pthread_attr_init(&attr) != 0)
    return false;
  pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
  pthread_attr_setstacksize(&attr, std::max(stackBytes, kMinStackBytes));
  auto *arg = new std::shared_ptr<tskTaskControlBlock>(task);
  pthread_t thread;
  const bool started = pthread_create(&thread, &attr, runTask, arg) == 0;
  pthread_attr_destroy(&attr);
  if (!started)
    delete arg;
  return started;
}

// Asks `task` to end and waits until it has (a created task) or until it has been told
// (a thread that was not created as a task: it ends at its next deletion point).
void deleteOther(tskTaskControlBlock *task) {
  const std::shared_ptr<tskTaskControlBlock> keep = task->shared_from_this();
  std::unique_lock<std::mutex> hold(task->lock);
  task->deleteRequested = true;
  if (task->blockedOn != nullptr)
    task->blockedOn->wakeEveryone();
  task->wake.notify_all();
  if (task->created)
    task->wake.wait(hold, [&] { return task->ended; });
}

// Waits `ticks` on the task's own condition, ending the task if it is deleted meanwhile.
void sleepTicks(tskTaskControlBlock *self, TickType_t ticks) {
  std::unique_lock<std::mutex> hold(self->lock);
  const bool deleted = self->wake.wait_for(hold, std::chrono::milliseconds(pdTICKS_TO_MS(ticks)),
                                           [&] { return self->deleteRequested.load(); });
  hold.unlock();
  if (deleted)
    endCurrentTask();
}

}  // namespace

TaskHandle_t currentTask() {
  return current != nullptr ? current : (current = adoptThread());
}

void endCurrentTask() {
  tskTaskControlBlock *self = currentTask();
  if (self->created)
    pthread_exit(nullptr);
  if (isMainThread()) {  // the sketch's loopTask deleted: nothing runs here any more
    {
      std::lock_guard<std::mutex> hold(self->lock);
      self->blockedOn = nullptr;
    }
    while (asynctcp::arduino::sleepUnlessStopped(60 * 60 * 1000)) {
    }
    asynctcp::arduino::exitNow(0);
  }
  std::fprintf(stderr, "vTaskDelete: thread '%s' was not created by xTaskCreate\n", self->name);
  std::abort();
}

void honourDeletion(TaskHandle_t self) {
  if (self->deleteRequested)
    endCurrentTask();
}

BlockedOn::BlockedOn(TaskHandle_t self, QueueDefinition *queue) : _self(self) {
  std::lock_guard<std::mutex> hold(self->lock);
  self->blockedOn = queue;
}

BlockedOn::~BlockedOn() {
  std::lock_guard<std::mutex> hold(_self->lock);
  _self->blockedOn = nullptr;
}

}  // namespace asynctcp::esp32

using asynctcp::esp32::currentTask;

extern "C" {

BaseType_t xTaskCreatePinnedToCore(TaskFunction_t code, const char *name, uint32_t stackDepth,
                                   void *parameters, UBaseType_t priority, TaskHandle_t *created,
                                   BaseType_t coreId) {
  if (code == nullptr || (coreId != tskNO_AFFINITY && (coreId < 0 || coreId >= portNUM_PROCESSORS)))
    return errCOULD_NOT_ALLOCATE_REQUIRED_MEMORY;
  auto task = std::make_shared<tskTaskControlBlock>();
  std::snprintf(task->name, sizeof task->name, "%s", name != nullptr ? name : "");
  task->priority = std::min<UBaseType_t>(priority, configMAX_PRIORITIES - 1);
  task->core = coreId;
  task->created = true;
  task->code = code;
  task->parameters = parameters;
  if (created != nullptr)
    *created = task.get();  // before the thread starts: the task may read it at once
  if (!asynctcp::esp32::startThread(task, stackDepth)) {
    if (created != nullptr)
      *created = nullptr;
    return errCOULD_NOT_ALLOCATE_REQUIRED_MEMORY;
  }
  return pdPASS;
}

void vTaskDelete(TaskHandle_t task) {
  if (task == nullptr || task == currentTask())
    asynctcp::esp32::endCurrentTask();
  asynctcp::esp32::deleteOther(task);
}

void vTaskDelay(TickType_t ticks) {
  tskTaskControlBlock *self = currentTask();
  asynctcp::esp32::honourDeletion(self);
  if (ticks == 0) {
    sched_yield();
  } else if (!self->created && asynctcp::esp32::isMainThread()) {
    (delay)(pdTICKS_TO_MS(ticks));  // Arduino's: a stop request cuts it short
  } else {
    asynctcp::esp32::sleepTicks(self, ticks);
  }
  asynctcp::esp32::honourDeletion(self);
}

BaseType_t xTaskDelayUntil(TickType_t *previousWake, TickType_t increment) {
  const TickType_t elapsed = xTaskGetTickCount() - *previousWake;  // wraps like FreeRTOS
  *previousWake += increment;
  if (elapsed >= increment) {
    asynctcp::esp32::honourDeletion(currentTask());
    return pdFALSE;
  }
  vTaskDelay(increment - elapsed);
  return pdTRUE;
}

TaskHandle_t xTaskGetCurrentTaskHandle(void) {
  return currentTask();
}

UBaseType_t uxTaskGetStackHighWaterMark(TaskHandle_t task) {
  tskTaskControlBlock *t = task != nullptr ? task : currentTask();
  if (t->stack.painted > 0)
    return static_cast<UBaseType_t>(asynctcp::esp32::untouchedBytes(t->stack));
  return t == currentTask() ? static_cast<UBaseType_t>(asynctcp::esp32::freeBelowCurrentFrame())
                            : 0;
}

char *pcTaskGetName(TaskHandle_t task) {
  return (task != nullptr ? task : currentTask())->name;
}

UBaseType_t uxTaskPriorityGet(TaskHandle_t task) {
  return (task != nullptr ? task : currentTask())->priority;
}

void vTaskPrioritySet(TaskHandle_t task, UBaseType_t priority) {
  (task != nullptr ? task : currentTask())->priority =
      std::min<UBaseType_t>(priority, configMAX_PRIORITIES - 1);
}

BaseType_t xTaskGetCoreID(TaskHandle_t task) {
  return (task != nullptr ? task : currentTask())->core;
}

BaseType_t xPortGetCoreID(void) {
  const BaseType_t core = currentTask()->core;
  return core == tskNO_AFFINITY ? 0 : core;
}

void vPortYield(void) {
  tskTaskControlBlock *self = currentTask();
  asynctcp::esp32::honourDeletion(self);
  sched_yield();
}

void vPortYieldFromISR(BaseType_t higherPriorityTaskWoken) {
  if (higherPriorityTaskWoken)
    sched_yield();
}

void vAssertCalled(const char *file, int line, const char *expression) {
  std::fprintf(stderr, "assert failed: %s:%d (%s)\n", file, line, expression);
  std::abort();
}

}  // extern "C"
