/* arduino-esp32's log macros (cores/esp32/esp32-hal-log.h), for scripts/cross-check only. */
#ifndef ESP32_CHECK_ESP32_HAL_LOG_H
#define ESP32_CHECK_ESP32_HAL_LOG_H

#ifdef __cplusplus
extern "C" {
#endif
int log_printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
#ifdef __cplusplus
}
#endif

#define log_e(format, ...) log_printf("[E] " format "\r\n", ##__VA_ARGS__)
#define log_w(format, ...) log_printf("[W] " format "\r\n", ##__VA_ARGS__)
#define log_i(format, ...) log_printf("[I] " format "\r\n", ##__VA_ARGS__)
#define log_d(format, ...) log_printf("[D] " format "\r\n", ##__VA_ARGS__)
#define log_v(format, ...) log_printf("[V] " format "\r\n", ##__VA_ARGS__)

#endif
