// The port layer of FreeRTOS on Linux: base types, ticks, yielding and the ESP-IDF
// critical sections (portMUX_TYPE spinlocks). Plain C, so C sources of a library can
// include it too.
#pragma once

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef int BaseType_t;  // ESP-IDF's portBASE_TYPE is int
typedef unsigned int UBaseType_t;
typedef uint32_t TickType_t;
typedef uint8_t StackType_t;  // ESP-IDF counts stacks in bytes, not words
#define portBASE_TYPE int
#define portSTACK_TYPE uint8_t

#define portMAX_DELAY ((TickType_t)0xffffffffUL)  // wait forever
#define portTICK_PERIOD_MS ((TickType_t)1000 / configTICK_RATE_HZ)
#define portNUM_PROCESSORS 2  // the ESP32's two cores; core ids are 0 and 1
#define portBYTE_ALIGNMENT 16

// No interrupts on Linux: a "FromISR" call is an ordinary non-blocking call from a thread.
#define portYIELD() vPortYield()
#define portYIELD_FROM_ISR(...) vPortYieldFromISR(__VA_ARGS__ + 0)
#define portEND_SWITCHING_ISR(woken) vPortYieldFromISR(woken)
#define xPortInIsrContext() (pdFALSE)
#define xPortCanYield() (pdTRUE)
void vPortYield(void);
void vPortYieldFromISR(BaseType_t higherPriorityTaskWoken);
// The core the calling task belongs to, 0 or 1 (see README: a notional core on Linux).
BaseType_t xPortGetCoreID(void);

// ESP-IDF's spinlock: a lock that the owning thread may take again (it counts), held for
// a few instructions. Taking it spins, yielding the CPU, since the holder may be preempted
// on Linux. Constant-initialised, so a global one is usable from any constructor.
typedef struct {
  uint32_t owner;  // portMUX_FREE_VAL or the holder's thread id
  uint32_t count;  // nesting depth of the holder
} portMUX_TYPE;
#define portMUX_FREE_VAL 0xB33FFFFFu
#define portMUX_INITIALIZER_UNLOCKED \
  { portMUX_FREE_VAL, 0 }
#define portMUX_INITIALIZE(mux) vPortCPUInitializeMutex(mux)
#define spinlock_t portMUX_TYPE
#define SPINLOCK_INITIALIZER portMUX_INITIALIZER_UNLOCKED

void vPortCPUInitializeMutex(portMUX_TYPE *mux);
void vPortEnterCritical(portMUX_TYPE *mux);
void vPortExitCritical(portMUX_TYPE *mux);

#define portENTER_CRITICAL(mux) vPortEnterCritical(mux)
#define portEXIT_CRITICAL(mux) vPortExitCritical(mux)
#define portENTER_CRITICAL_ISR(mux) vPortEnterCritical(mux)
#define portEXIT_CRITICAL_ISR(mux) vPortExitCritical(mux)
#define portENTER_CRITICAL_SAFE(mux) vPortEnterCritical(mux)
#define portEXIT_CRITICAL_SAFE(mux) vPortExitCritical(mux)
#define taskENTER_CRITICAL(mux) vPortEnterCritical(mux)
#define taskEXIT_CRITICAL(mux) vPortExitCritical(mux)
#define taskENTER_CRITICAL_ISR(mux) vPortEnterCritical(mux)
#define taskEXIT_CRITICAL_ISR(mux) vPortExitCritical(mux)

#ifdef __cplusplus
}
#endif
