// arduino-esp32's log_e/w/i/d/v: "[  ms][E][file.cpp:42] function(): message" lines, kept
// or compiled out by CORE_DEBUG_LEVEL (0, none, by default, as in the Arduino IDE). A
// compiled-out call still "uses" its arguments (unevaluated, formats unchecked, as on
// ESP32), so a variable only logged raises no unused-variable warning. Lines go where
// ESP_LOGx lines go (esp_log.h).
#pragma once

#include <inttypes.h>
#include <stdint.h>

#include "esp_log.h"
#include "esp_timer.h"

#define ARDUHAL_LOG_LEVEL_NONE (0)
#define ARDUHAL_LOG_LEVEL_ERROR (1)
#define ARDUHAL_LOG_LEVEL_WARN (2)
#define ARDUHAL_LOG_LEVEL_INFO (3)
#define ARDUHAL_LOG_LEVEL_DEBUG (4)
#define ARDUHAL_LOG_LEVEL_VERBOSE (5)

#ifndef CORE_DEBUG_LEVEL
#define CORE_DEBUG_LEVEL ARDUHAL_LOG_LEVEL_NONE
#endif
#define ARDUHAL_LOG_LEVEL CORE_DEBUG_LEVEL

#ifdef __cplusplus
extern "C" {
#endif
int log_printf(const char *format, ...) __attribute__((format(printf, 1, 2)));
int log_discard(const char *format, ...);  // never called: see ARDUHAL_LOG_DISCARD
const char *pathToFileName(const char *path);
#ifdef __cplusplus
}
#endif

#define ARDUHAL_LOG_FORMAT(letter, format)                                                      \
  "[%6" PRIu32 "][" #letter "][%s:%u] %s(): " format "\r\n",                                    \
      (uint32_t)(esp_timer_get_time() / 1000ULL), pathToFileName(__FILE__), (unsigned)__LINE__, \
      __FUNCTION__
#define ARDUHAL_LOG_DISCARD(format, ...)  \
  do {                                    \
    if (0)                                \
      log_discard(format, ##__VA_ARGS__); \
  } while (0)

#if ARDUHAL_LOG_LEVEL >= ARDUHAL_LOG_LEVEL_ERROR
#define log_e(format, ...) log_printf(ARDUHAL_LOG_FORMAT(E, format), ##__VA_ARGS__)
#else
#define log_e(format, ...) ARDUHAL_LOG_DISCARD(format, ##__VA_ARGS__)
#endif
#if ARDUHAL_LOG_LEVEL >= ARDUHAL_LOG_LEVEL_WARN
#define log_w(format, ...) log_printf(ARDUHAL_LOG_FORMAT(W, format), ##__VA_ARGS__)
#else
#define log_w(format, ...) ARDUHAL_LOG_DISCARD(format, ##__VA_ARGS__)
#endif
#if ARDUHAL_LOG_LEVEL >= ARDUHAL_LOG_LEVEL_INFO
#define log_i(format, ...) log_printf(ARDUHAL_LOG_FORMAT(I, format), ##__VA_ARGS__)
#else
#define log_i(format, ...) ARDUHAL_LOG_DISCARD(format, ##__VA_ARGS__)
#endif
#if ARDUHAL_LOG_LEVEL >= ARDUHAL_LOG_LEVEL_DEBUG
#define log_d(format, ...) log_printf(ARDUHAL_LOG_FORMAT(D, format), ##__VA_ARGS__)
#else
#define log_d(format, ...) ARDUHAL_LOG_DISCARD(format, ##__VA_ARGS__)
#endif
#if ARDUHAL_LOG_LEVEL >= ARDUHAL_LOG_LEVEL_VERBOSE
#define log_v(format, ...) log_printf(ARDUHAL_LOG_FORMAT(V, format), ##__VA_ARGS__)
#else
#define log_v(format, ...) ARDUHAL_LOG_DISCARD(format, ##__VA_ARGS__)
#endif
// No interrupts on Linux: the ISR forms are the ordinary ones.
#define isr_log_e log_e
#define isr_log_w log_w
#define isr_log_i log_i
#define isr_log_d log_d
#define isr_log_v log_v
