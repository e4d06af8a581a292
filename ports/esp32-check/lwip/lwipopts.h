/* lwIP options for scripts/cross-check: the ESP-IDF defaults the library depends on.
 * ESP-IDF generates its own lwipopts.h from menuconfig; these mirror its defaults. */
#ifndef ESP32_CHECK_LWIPOPTS_H
#define ESP32_CHECK_LWIPOPTS_H

#include <stdlib.h>

#include "sdkconfig.h"

#define NO_SYS 0
#define MEM_ALIGNMENT 4
#define MEM_LIBC_MALLOC 1

#define LWIP_IPV4 1
#define LWIP_IPV6 1
#define LWIP_TCP 1
#define LWIP_UDP 1
#define LWIP_DNS 1
#define DNS_MAX_SERVERS 3
#define LWIP_NETCONN 1
#define LWIP_SOCKET 1
#define LWIP_COMPAT_SOCKETS 1
#define LWIP_POSIX_SOCKETS_IO_NAMES 0
#define LWIP_TIMEVAL_PRIVATE 0
#define LWIP_ERRNO_STDINCLUDE 1

/* The backend calls the raw API from the service task under LOCK_TCPIP_CORE(); ESP-IDF
 * has it as CONFIG_LWIP_TCPIP_CORE_LOCKING. */
#ifdef CONFIG_LWIP_TCPIP_CORE_LOCKING
#define LWIP_TCPIP_CORE_LOCKING 1
#else
#define LWIP_TCPIP_CORE_LOCKING 0
#endif

#define TCP_MSS 1440
#define TCP_SND_BUF (4 * TCP_MSS)
#define TCP_WND (4 * TCP_MSS)
#define LWIP_TCP_KEEPALIVE 1
#define LWIP_SO_RCVBUF 1

#define LWIP_RAND() ((u32_t)rand())

#endif
