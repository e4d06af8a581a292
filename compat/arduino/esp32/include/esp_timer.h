// esp_timer_get_time() only: the microseconds since start, the clock ESP32 code reads for
// timestamps. The esp_timer callbacks (esp_timer_create, ...) are not provided.
#pragma once

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

int64_t esp_timer_get_time(void);  // micros() as a 64-bit count: it does not wrap

#ifdef __cplusplus
}
#endif
