// FreeRTOS semaphores and mutexes: queues of empty items (FreeRTOS's own design). A mutex
// has an owner: only the task that took it may give it (pdFAIL otherwise); a recursive
// mutex counts the owner's takes. Priority inheritance has no meaning here.
#pragma once

#include "freertos/queue.h"

typedef QueueHandle_t SemaphoreHandle_t;

#define semGIVE_BLOCK_TIME ((TickType_t)0U)

#define xSemaphoreCreateBinary() \
  xQueueGenericCreate((UBaseType_t)1, 0, queueQUEUE_TYPE_BINARY_SEMAPHORE)
#define xSemaphoreCreateMutex() xQueueCreateMutex(queueQUEUE_TYPE_MUTEX)
#define xSemaphoreCreateRecursiveMutex() xQueueCreateMutex(queueQUEUE_TYPE_RECURSIVE_MUTEX)
#define xSemaphoreCreateCounting(maxCount, initialCount) \
  xQueueCreateCountingSemaphore((maxCount), (initialCount))
#define vSemaphoreDelete(sem) vQueueDelete((QueueHandle_t)(sem))

#define xSemaphoreTake(sem, ticks) xQueueSemaphoreTake((sem), (ticks))
#define xSemaphoreGive(sem) \
  xQueueGenericSend((QueueHandle_t)(sem), NULL, semGIVE_BLOCK_TIME, queueSEND_TO_BACK)
#define xSemaphoreTakeRecursive(mutex, ticks) xQueueTakeMutexRecursive((mutex), (ticks))
#define xSemaphoreGiveRecursive(mutex) xQueueGiveMutexRecursive((mutex))
#define xSemaphoreTakeFromISR(sem, woken) xQueueReceiveFromISR((QueueHandle_t)(sem), NULL, (woken))
#define xSemaphoreGiveFromISR(sem, woken) xQueueGiveFromISR((QueueHandle_t)(sem), (woken))
#define uxSemaphoreGetCount(sem) uxQueueMessagesWaiting((QueueHandle_t)(sem))
#define xSemaphoreGetMutexHolder(mutex) xQueueGetMutexHolder((mutex))
