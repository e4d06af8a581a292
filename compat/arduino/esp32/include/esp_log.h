// ESP-IDF logging: ESP_LOGE/W/I/D/V(tag, format, ...) write "E (ms) tag: message" lines,
// filtered at compile time by LOG_LOCAL_LEVEL and at run time per tag
// (esp_log_level_set; "*" sets the default and forgets every tag's own level). Lines go to
// stdout, where Serial writes (the same UART on ESP32), or to esp_log_set_vprintf's sink.
#pragma once

#include <inttypes.h>
#include <stdarg.h>
#include <stdint.h>

#include "sdkconfig.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum {
  ESP_LOG_NONE = 0,
  ESP_LOG_ERROR,
  ESP_LOG_WARN,
  ESP_LOG_INFO,
  ESP_LOG_DEBUG,
  ESP_LOG_VERBOSE,
} esp_log_level_t;

typedef int (*vprintf_like_t)(const char *, va_list);

void esp_log_level_set(const char *tag, esp_log_level_t level);
esp_log_level_t esp_log_level_get(const char *tag);
// Replaces where log lines go (default: vprintf to stdout); returns the previous sink.
vprintf_like_t esp_log_set_vprintf(vprintf_like_t func);
uint32_t esp_log_timestamp(void);  // milliseconds, millis()
// Writes if `level` passes the tag's run-time level.
void esp_log_write(esp_log_level_t level, const char *tag, const char *format, ...)
    __attribute__((format(printf, 3, 4)));
void esp_log_writev(esp_log_level_t level, const char *tag, const char *format, va_list args);

#ifdef __cplusplus
}
#endif

#ifndef LOG_LOCAL_LEVEL
#define LOG_LOCAL_LEVEL CONFIG_LOG_MAXIMUM_LEVEL
#endif

#define LOG_FORMAT(letter, format) #letter " (%" PRIu32 ") %s: " format "\n"

#define ESP_LOG_AT(level, letter, tag, format, ...)                                         \
  do {                                                                                      \
    if (LOG_LOCAL_LEVEL >= (level))                                                         \
      esp_log_write((level), (tag), LOG_FORMAT(letter, format), esp_log_timestamp(), (tag), \
                    ##__VA_ARGS__);                                                         \
  } while (0)

#define ESP_LOGE(tag, format, ...) ESP_LOG_AT(ESP_LOG_ERROR, E, tag, format, ##__VA_ARGS__)
#define ESP_LOGW(tag, format, ...) ESP_LOG_AT(ESP_LOG_WARN, W, tag, format, ##__VA_ARGS__)
#define ESP_LOGI(tag, format, ...) ESP_LOG_AT(ESP_LOG_INFO, I, tag, format, ##__VA_ARGS__)
#define ESP_LOGD(tag, format, ...) ESP_LOG_AT(ESP_LOG_DEBUG, D, tag, format, ##__VA_ARGS__)
#define ESP_LOGV(tag, format, ...) ESP_LOG_AT(ESP_LOG_VERBOSE, V, tag, format, ##__VA_ARGS__)
// Early and DRAM logs exist on ESP32 for start-up code and ISRs; here they are the same.
#define ESP_EARLY_LOGE ESP_LOGE
#define ESP_EARLY_LOGW ESP_LOGW
#define ESP_EARLY_LOGI ESP_LOGI
#define ESP_EARLY_LOGD ESP_LOGD
#define ESP_EARLY_LOGV ESP_LOGV
#define ESP_DRAM_LOGE ESP_LOGE
#define ESP_DRAM_LOGW ESP_LOGW
#define ESP_DRAM_LOGI ESP_LOGI
#define ESP_DRAM_LOGD ESP_LOGD
#define ESP_DRAM_LOGV ESP_LOGV
