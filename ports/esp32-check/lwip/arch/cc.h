/* lwIP compiler/platform glue for scripts/cross-check (a 32-bit little-endian target with
 * newlib, as ESP32 is). */
#ifndef ESP32_CHECK_ARCH_CC_H
#define ESP32_CHECK_ARCH_CC_H

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/time.h>

#ifndef BYTE_ORDER
#define BYTE_ORDER LITTLE_ENDIAN
#endif

#define LWIP_PLATFORM_DIAG(x) \
  do {                        \
    printf x;                 \
  } while (0)
#define LWIP_PLATFORM_ASSERT(x) \
  do {                          \
    abort();                    \
  } while (0)

#endif
