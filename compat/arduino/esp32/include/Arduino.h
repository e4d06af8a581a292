// Arduino.h in the ESP32 mode: the layer's Arduino.h plus what arduino-esp32's Arduino.h
// brings in on an ESP32 (FreeRTOS tasks, queues and semaphores, log_x, the core version).
// This directory comes first on the include path of an ESP32-mode target.
#pragma once

#include_next <Arduino.h>

#include "esp32-hal-log.h"
#include "esp_arduino_version.h"
#include "esp_timer.h"
#include "freertos/FreeRTOS.h"
#include "freertos/queue.h"
#include "freertos/semphr.h"
#include "freertos/task.h"

// arduino-esp32's delay() is vTaskDelay(): in a task it is where vTaskDelete from another
// task takes effect. On the sketch's main thread vTaskDelay() is the layer's delay(),
// which a stop request cuts short.
#define delay(ms) vTaskDelay(pdMS_TO_TICKS(ms))
