// FreeRTOS tasks as POSIX threads. A task runs its function on a thread of its own with
// at least the requested stack (in bytes, as in ESP-IDF) and ends with vTaskDelete(NULL)
// or by returning. Priorities are recorded and not applied (Linux schedules the threads);
// a core id is recorded and not applied (see README). Threads not created here (the
// sketch's loop(), the async_tcp thread) are tasks too, for the handle, delays and locks.
#pragma once

#include "freertos/FreeRTOS.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct tskTaskControlBlock *TaskHandle_t;
typedef void (*TaskFunction_t)(void *);

#define tskIDLE_PRIORITY ((UBaseType_t)0U)
#define tskNO_AFFINITY ((BaseType_t)0x7FFFFFFF)

// pdPASS, or errCOULD_NOT_ALLOCATE_REQUIRED_MEMORY when no thread could be started or the
// core is neither 0, 1 nor tskNO_AFFINITY. *created is set before the task first runs.
BaseType_t xTaskCreatePinnedToCore(TaskFunction_t code, const char *name, uint32_t stackDepth,
                                   void *parameters, UBaseType_t priority, TaskHandle_t *created,
                                   BaseType_t coreId);
static inline BaseType_t xTaskCreate(TaskFunction_t code, const char *name, uint32_t stackDepth,
                                     void *parameters, UBaseType_t priority,
                                     TaskHandle_t *created) {
  return xTaskCreatePinnedToCore(code, name, stackDepth, parameters, priority, created,
                                 tskNO_AFFINITY);
}

// NULL or the caller's own handle: the calling task ends here. Another task: it ends at
// its next blocking FreeRTOS call (every wait, vTaskDelay, taskYIELD), at once if it is
// blocked in one; the call returns when it has ended, as FreeRTOS's does.
void vTaskDelete(TaskHandle_t task);
void vTaskDelay(TickType_t ticks);
// Sleeps until *previousWake + increment and advances *previousWake by increment; pdFALSE
// when that time had already passed (no sleep).
BaseType_t xTaskDelayUntil(TickType_t *previousWake, TickType_t increment);
#define vTaskDelayUntil(previousWake, increment) ((void)xTaskDelayUntil(previousWake, increment))
#define taskYIELD() vPortYield()

TickType_t xTaskGetTickCount(void);
TickType_t xTaskGetTickCountFromISR(void);
TaskHandle_t xTaskGetCurrentTaskHandle(void);
// The fewest bytes of stack that have been free since the task started (NULL: the caller).
// For threads not created by xTaskCreate: the bytes free below the current frame.
UBaseType_t uxTaskGetStackHighWaterMark(TaskHandle_t task);
char *pcTaskGetName(TaskHandle_t task);
#define pcTaskGetTaskName pcTaskGetName
UBaseType_t uxTaskPriorityGet(TaskHandle_t task);
void vTaskPrioritySet(TaskHandle_t task, UBaseType_t priority);
BaseType_t xTaskGetCoreID(TaskHandle_t task);  // the recorded core, or tskNO_AFFINITY
#define xTaskGetAffinity xTaskGetCoreID

// Direct-to-task notifications: a 32-bit value per task that others set and it waits on.
typedef enum {
  eNoAction = 0,
  eSetBits,
  eIncrement,
  eSetValueWithOverwrite,
  eSetValueWithoutOverwrite,
} eNotifyAction;

BaseType_t xTaskNotify(TaskHandle_t task, uint32_t value, eNotifyAction action);
BaseType_t xTaskNotifyAndQuery(TaskHandle_t task, uint32_t value, eNotifyAction action,
                               uint32_t *previousValue);
BaseType_t xTaskNotifyWait(uint32_t clearOnEntry, uint32_t clearOnExit, uint32_t *value,
                           TickType_t ticks);
#define xTaskNotifyGive(task) xTaskNotify((task), 0, eIncrement)
uint32_t ulTaskNotifyTake(BaseType_t clearOnExit, TickType_t ticks);
BaseType_t xTaskNotifyFromISR(TaskHandle_t task, uint32_t value, eNotifyAction action,
                              BaseType_t *higherPriorityTaskWoken);
void vTaskNotifyGiveFromISR(TaskHandle_t task, BaseType_t *higherPriorityTaskWoken);

#ifdef __cplusplus
}
#endif
