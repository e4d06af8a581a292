// async_tcp_log_e/w/i/d/v(format, ...), as ESP32Async/AsyncTCP defines them, for code
// that logs through them:
// - CONFIG_ASYNC_TCP_LOG_CUSTOM: the user's AsyncTCPLoggingCustom.h defines them;
// - CONFIG_ASYNC_TCP_DEBUG: every level to stderr, with function and line;
// - an Arduino core with esp32-hal-log.h (ESP32, or the Arduino layer's ESP32 mode):
//   its log_e ... log_v; ESP-IDF without Arduino: ESP_LOGx with the tag "async_tcp";
// - otherwise off: compiled away, but the format is still checked.
#pragma once

#if defined(CONFIG_ASYNC_TCP_LOG_CUSTOM)
#include <AsyncTCPLoggingCustom.h>

#elif defined(CONFIG_ASYNC_TCP_DEBUG)
#include <cstdio>
#define ASYNCTCP_LOG_STDERR(level, format, ...)                                          \
  std::fprintf(stderr, level " async_tcp %s() %d: " format "\n", __FUNCTION__, __LINE__, \
               ##__VA_ARGS__)
#define async_tcp_log_e(format, ...) ASYNCTCP_LOG_STDERR("E", format, ##__VA_ARGS__)
#define async_tcp_log_w(format, ...) ASYNCTCP_LOG_STDERR("W", format, ##__VA_ARGS__)
#define async_tcp_log_i(format, ...) ASYNCTCP_LOG_STDERR("I", format, ##__VA_ARGS__)
#define async_tcp_log_d(format, ...) ASYNCTCP_LOG_STDERR("D", format, ##__VA_ARGS__)
#define async_tcp_log_v(format, ...) ASYNCTCP_LOG_STDERR("V", format, ##__VA_ARGS__)

#elif defined(ARDUINO) && defined(__has_include) && __has_include(<esp32-hal-log.h>)
#include <esp32-hal-log.h>
#define async_tcp_log_e(format, ...) log_e(format, ##__VA_ARGS__)
#define async_tcp_log_w(format, ...) log_w(format, ##__VA_ARGS__)
#define async_tcp_log_i(format, ...) log_i(format, ##__VA_ARGS__)
#define async_tcp_log_d(format, ...) log_d(format, ##__VA_ARGS__)
#define async_tcp_log_v(format, ...) log_v(format, ##__VA_ARGS__)

#elif defined(ESP_PLATFORM)
#include <esp_log.h>
#define async_tcp_log_e(format, ...) \
  ESP_LOGE("async_tcp", "%s() %d: " format, __FUNCTION__, __LINE__, ##__VA_ARGS__)
#define async_tcp_log_w(format, ...) \
  ESP_LOGW("async_tcp", "%s() %d: " format, __FUNCTION__, __LINE__, ##__VA_ARGS__)
#define async_tcp_log_i(format, ...) \
  ESP_LOGI("async_tcp", "%s() %d: " format, __FUNCTION__, __LINE__, ##__VA_ARGS__)
#define async_tcp_log_d(format, ...) \
  ESP_LOGD("async_tcp", "%s() %d: " format, __FUNCTION__, __LINE__, ##__VA_ARGS__)
#define async_tcp_log_v(format, ...) \
  ESP_LOGV("async_tcp", "%s() %d: " format, __FUNCTION__, __LINE__, ##__VA_ARGS__)

#else
#include <cstdio>
#define ASYNCTCP_LOG_OFF(format, ...)     \
  do {                                    \
    if (false)                            \
      std::printf(format, ##__VA_ARGS__); \
  } while (false)
#define async_tcp_log_e(format, ...) ASYNCTCP_LOG_OFF(format, ##__VA_ARGS__)
#define async_tcp_log_w(format, ...) ASYNCTCP_LOG_OFF(format, ##__VA_ARGS__)
#define async_tcp_log_i(format, ...) ASYNCTCP_LOG_OFF(format, ##__VA_ARGS__)
#define async_tcp_log_d(format, ...) ASYNCTCP_LOG_OFF(format, ##__VA_ARGS__)
#define async_tcp_log_v(format, ...) ASYNCTCP_LOG_OFF(format, ##__VA_ARGS__)
#endif
