/* lwIP OS types for scripts/cross-check: FreeRTOS handles, as ESP-IDF's port uses. */
#ifndef ESP32_CHECK_ARCH_SYS_ARCH_H
#define ESP32_CHECK_ARCH_SYS_ARCH_H

#include "freertos/FreeRTOS.h"
#include "freertos/queue.h"
#include "freertos/semphr.h"
#include "freertos/task.h"

typedef SemaphoreHandle_t sys_sem_t;
typedef SemaphoreHandle_t sys_mutex_t;
typedef TaskHandle_t sys_thread_t;
typedef QueueHandle_t sys_mbox_t;
typedef int sys_prot_t;

#define sys_mbox_valid(x) (*(x) != NULL)
#define sys_mbox_set_invalid(x) (*(x) = NULL)
#define sys_sem_valid(x) (*(x) != NULL)
#define sys_sem_set_invalid(x) (*(x) = NULL)
#define sys_mutex_valid(x) (*(x) != NULL)
#define sys_mutex_set_invalid(x) (*(x) = NULL)

#endif
