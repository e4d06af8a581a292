// FreeRTOS queues: bounded FIFOs of fixed-size items copied in and out, with waits in
// ticks (portMAX_DELAY: forever). Semaphores and mutexes are queues of empty items, as in
// FreeRTOS, so SemaphoreHandle_t and QueueHandle_t are the same type.
#pragma once

#include "freertos/FreeRTOS.h"
#include "freertos/task.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct QueueDefinition *QueueHandle_t;

#define queueSEND_TO_BACK ((BaseType_t)0)
#define queueSEND_TO_FRONT ((BaseType_t)1)
#define queueOVERWRITE ((BaseType_t)2)

#define queueQUEUE_TYPE_BASE ((uint8_t)0U)
#define queueQUEUE_TYPE_MUTEX ((uint8_t)1U)
#define queueQUEUE_TYPE_COUNTING_SEMAPHORE ((uint8_t)2U)
#define queueQUEUE_TYPE_BINARY_SEMAPHORE ((uint8_t)3U)
#define queueQUEUE_TYPE_RECURSIVE_MUTEX ((uint8_t)4U)

// NULL when length is 0 or memory is short.
QueueHandle_t xQueueGenericCreate(UBaseType_t length, UBaseType_t itemSize, uint8_t type);
#define xQueueCreate(length, itemSize) \
  xQueueGenericCreate((length), (itemSize), queueQUEUE_TYPE_BASE)
void vQueueDelete(QueueHandle_t queue);
BaseType_t xQueueGenericReset(QueueHandle_t queue, BaseType_t newQueue);
#define xQueueReset(queue) xQueueGenericReset((queue), pdFALSE)

// pdPASS, or errQUEUE_FULL when no room came up within `ticks`. queueOVERWRITE is for
// queues of length 1 (errQUEUE_FULL otherwise) and never waits.
BaseType_t xQueueGenericSend(QueueHandle_t queue, const void *item, TickType_t ticks,
                             BaseType_t position);
#define xQueueSend(q, item, ticks) xQueueGenericSend((q), (item), (ticks), queueSEND_TO_BACK)
#define xQueueSendToBack(q, item, ticks) xQueueGenericSend((q), (item), (ticks), queueSEND_TO_BACK)
#define xQueueSendToFront(q, item, ticks) \
  xQueueGenericSend((q), (item), (ticks), queueSEND_TO_FRONT)
#define xQueueOverwrite(q, item) xQueueGenericSend((q), (item), 0, queueOVERWRITE)
// pdPASS with the item copied out, or errQUEUE_EMPTY when none came within `ticks`.
BaseType_t xQueueReceive(QueueHandle_t queue, void *buffer, TickType_t ticks);
BaseType_t xQueuePeek(QueueHandle_t queue, void *buffer, TickType_t ticks);
UBaseType_t uxQueueMessagesWaiting(QueueHandle_t queue);
UBaseType_t uxQueueSpacesAvailable(QueueHandle_t queue);
#define uxQueueMessagesWaitingFromISR uxQueueMessagesWaiting
BaseType_t xQueueIsQueueEmptyFromISR(QueueHandle_t queue);
BaseType_t xQueueIsQueueFullFromISR(QueueHandle_t queue);

// Never wait. The "higher priority task woken" flag is never set: there are no priorities.
BaseType_t xQueueGenericSendFromISR(QueueHandle_t queue, const void *item,
                                    BaseType_t *higherPriorityTaskWoken, BaseType_t position);
#define xQueueSendFromISR(q, item, woken) \
  xQueueGenericSendFromISR((q), (item), (woken), queueSEND_TO_BACK)
#define xQueueSendToBackFromISR(q, item, woken) \
  xQueueGenericSendFromISR((q), (item), (woken), queueSEND_TO_BACK)
#define xQueueSendToFrontFromISR(q, item, woken) \
  xQueueGenericSendFromISR((q), (item), (woken), queueSEND_TO_FRONT)
#define xQueueOverwriteFromISR(q, item, woken) \
  xQueueGenericSendFromISR((q), (item), (woken), queueOVERWRITE)
BaseType_t xQueueReceiveFromISR(QueueHandle_t queue, void *buffer,
                                BaseType_t *higherPriorityTaskWoken);
BaseType_t xQueuePeekFromISR(QueueHandle_t queue, void *buffer);

// The semaphore side (semphr.h's macros use these, as in FreeRTOS).
QueueHandle_t xQueueCreateMutex(uint8_t type);
QueueHandle_t xQueueCreateCountingSemaphore(UBaseType_t maxCount, UBaseType_t initialCount);
BaseType_t xQueueSemaphoreTake(QueueHandle_t queue, TickType_t ticks);
BaseType_t xQueueGiveFromISR(QueueHandle_t queue, BaseType_t *higherPriorityTaskWoken);
BaseType_t xQueueTakeMutexRecursive(QueueHandle_t mutex, TickType_t ticks);
BaseType_t xQueueGiveMutexRecursive(QueueHandle_t mutex);
TaskHandle_t xQueueGetMutexHolder(QueueHandle_t mutex);

#ifdef __cplusplus
}
#endif
