/* Declarations with ESP-IDF's FreeRTOS signatures, for scripts/cross-check only. */
#ifndef ESP32_CHECK_FREERTOS_H
#define ESP32_CHECK_FREERTOS_H

#include <stddef.h>
#include <stdint.h>

typedef uint32_t TickType_t;
typedef int BaseType_t;
typedef unsigned int UBaseType_t;
typedef uint8_t StackType_t; /* ESP-IDF counts stacks in bytes */

#define pdFALSE ((BaseType_t)0)
#define pdTRUE ((BaseType_t)1)
#define pdPASS (pdTRUE)
#define pdFAIL (pdFALSE)

#define portMAX_DELAY ((TickType_t)0xffffffffUL)
#include "sdkconfig.h"

#define configTICK_RATE_HZ CONFIG_FREERTOS_HZ
#define pdMS_TO_TICKS(ms) ((TickType_t)(((TickType_t)(ms) * (TickType_t)configTICK_RATE_HZ) / (TickType_t)1000U))
#define portTICK_PERIOD_MS ((TickType_t)1000 / configTICK_RATE_HZ)

#define tskNO_AFFINITY ((BaseType_t)0x7FFFFFFF)

#define configASSERT(x) ((void)(x))

#endif
