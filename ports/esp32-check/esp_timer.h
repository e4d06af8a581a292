/* Declarations with ESP-IDF's esp_timer signatures, for scripts/cross-check only. */
#ifndef ESP32_CHECK_ESP_TIMER_H
#define ESP32_CHECK_ESP_TIMER_H

#include <stdint.h>

#include "esp_err.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Microseconds since boot. */
int64_t esp_timer_get_time(void);

#ifdef __cplusplus
}
#endif

#endif
