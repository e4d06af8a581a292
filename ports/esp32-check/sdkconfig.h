/* What ESP-IDF's generated sdkconfig.h holds for the options the library reads, at their
 * defaults (Kconfig in the repository root, and lwIP's core locking, which it needs).
 * scripts/cross-check force-includes it, as the component's build does the real one. */
#ifndef ESP32_CHECK_SDKCONFIG_H
#define ESP32_CHECK_SDKCONFIG_H

#define CONFIG_ASYNC_TCP_RUNNING_CORE -1
#define CONFIG_ASYNC_TCP_STACK_SIZE 16384
#define CONFIG_ASYNC_TCP_PRIORITY 10
#define CONFIG_ASYNC_TCP_QUEUE_SIZE 128
#define CONFIG_ASYNC_TCP_MAX_ACK_TIME 5000
#define CONFIG_LWIP_TCPIP_CORE_LOCKING 1
#define CONFIG_FREERTOS_HZ 100

#endif
