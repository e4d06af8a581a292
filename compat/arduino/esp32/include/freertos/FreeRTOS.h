// FreeRTOS for ESP32 code on Linux: the ESP-IDF flavour of the FreeRTOS API (stacks in
// bytes, tasks pinned to cores, portMUX critical sections) over POSIX threads. One tick
// is one millisecond. What is here has FreeRTOS's semantics; what is not here (software
// timers, event groups, stream buffers, static allocation) does not compile.
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "sdkconfig.h"

#define configTICK_RATE_HZ CONFIG_FREERTOS_HZ
#define configMAX_PRIORITIES 25
#define configMINIMAL_STACK_SIZE 768
#define configMAX_TASK_NAME_LEN CONFIG_FREERTOS_MAX_TASK_NAME_LEN
#define configNUMBER_OF_CORES CONFIG_FREERTOS_NUMBER_OF_CORES
#define configUSE_MUTEXES 1
#define configUSE_RECURSIVE_MUTEXES 1
#define configUSE_COUNTING_SEMAPHORES 1
#define configUSE_TASK_NOTIFICATIONS 1

#define pdFALSE ((BaseType_t)0)
#define pdTRUE ((BaseType_t)1)
#define pdPASS pdTRUE
#define pdFAIL pdFALSE
#define errQUEUE_EMPTY ((BaseType_t)0)
#define errQUEUE_FULL ((BaseType_t)0)
#define errCOULD_NOT_ALLOCATE_REQUIRED_MEMORY (-1)

#define pdMS_TO_TICKS(ms) \
  ((TickType_t)(((uint64_t)(ms) * (uint64_t)configTICK_RATE_HZ) / (uint64_t)1000U))
#define pdTICKS_TO_MS(ticks) \
  ((TickType_t)(((uint64_t)(ticks) * (uint64_t)1000U) / (uint64_t)configTICK_RATE_HZ))

#include "freertos/portmacro.h"

#ifdef __cplusplus
extern "C" {
#endif
// FreeRTOS's configASSERT: a failed one ends the program (ESP-IDF aborts too).
void vAssertCalled(const char *file, int line, const char *expression);
#ifdef __cplusplus
}
#endif
#define configASSERT(x) ((x) ? (void)0 : vAssertCalled(__FILE__, __LINE__, #x))
