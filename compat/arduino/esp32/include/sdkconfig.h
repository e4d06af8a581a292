// sdkconfig.h of an ESP32 Arduino build, for the ESP32 mode on Linux. On ESP32 the
// FreeRTOS headers include it, so every sketch sees these values through Arduino.h. The
// values are arduino-esp32's defaults for a plain ESP32 board; libraries size tables and
// pools with them (CONFIG_LWIP_MAX_ACTIVE_TCP, for one), they set no limit on Linux.
// CONFIG_ASYNC_TCP_* are deliberately absent: the library was compiled with its own.
#pragma once

#define CONFIG_IDF_TARGET "esp32"
#define CONFIG_IDF_TARGET_ESP32 1
#define CONFIG_FREERTOS_HZ 1000  // one tick is one millisecond
#define CONFIG_FREERTOS_NUMBER_OF_CORES 2
#define CONFIG_FREERTOS_MAX_TASK_NAME_LEN 16
#define CONFIG_ARDUINO_RUNNING_CORE 1  // loopTask: the sketch's main thread here
#define CONFIG_ARDUINO_EVENT_RUNNING_CORE 1
#define CONFIG_ARDUINO_LOOP_STACK_SIZE 8192
#define CONFIG_LWIP_MAX_ACTIVE_TCP 16
#define CONFIG_LWIP_MAX_LISTENING_TCP 16
#define CONFIG_LWIP_MAX_SOCKETS 16
#define CONFIG_LOG_DEFAULT_LEVEL 1  // ESP_LOG_ERROR: esp_log_level_set() raises it
#define CONFIG_LOG_MAXIMUM_LEVEL 5  // every ESP_LOGx is compiled in
#define CONFIG_ESP_MAIN_TASK_STACK_SIZE 3584
