// The FreeRTOS tick and the ESP32 microsecond clock, on the Arduino layer's clock:
// xTaskGetTickCount() and millis() agree, as they do on an ESP32 at 1000 Hz.
#include <Arduino.h>

#include "esp_timer.h"
#include "freertos/task.h"

static_assert(sizeof(unsigned long) == 8, "micros() must not wrap for esp_timer_get_time()");

extern "C" {

TickType_t xTaskGetTickCount(void) {
  return pdMS_TO_TICKS(static_cast<uint64_t>(millis()));  // wraps at 32 bits, as on ESP32
}

TickType_t xTaskGetTickCountFromISR(void) {
  return xTaskGetTickCount();
}

int64_t esp_timer_get_time(void) {
  return static_cast<int64_t>(micros());
}

}  // extern "C"
