// lwIP's values on a stack that is not lwIP: err_t numbers, tcp_state numbering,
// the leading fields of struct pbuf and ip6_addr_t. User code written against the
// ESP32 library compares errors and states with these names, so both stacks share them.
#pragma once

#include <cstdint>

#if defined(ESP_PLATFORM) && !defined(ASYNCTCP_LWIP_TYPES)
#define ASYNCTCP_LWIP_TYPES 1  // ESP-IDF and arduino-esp32: lwIP's own err_t, pbuf, tcp_state
#endif

#if defined(ASYNCTCP_LWIP_TYPES)
// The lwIP backend (and ESP32) take the real definitions.
extern "C" {
#include "lwip/err.h"
#include "lwip/ip6_addr.h"
#include "lwip/pbuf.h"
#include "lwip/tcpbase.h"
}
#else

typedef int8_t err_t;

// lwIP's err_enum_t (lwip/err.h), same numbers.
enum {
  ERR_OK = 0,
  ERR_MEM = -1,
  ERR_BUF = -2,
  ERR_TIMEOUT = -3,
  ERR_RTE = -4,
  ERR_INPROGRESS = -5,
  ERR_VAL = -6,
  ERR_WOULDBLOCK = -7,
  ERR_USE = -8,
  ERR_ALREADY = -9,
  ERR_ISCONN = -10,
  ERR_CONN = -11,
  ERR_IF = -12,
  ERR_ABRT = -13,
  ERR_RST = -14,
  ERR_CLSD = -15,
  ERR_ARG = -16,
};

// lwIP's enum tcp_state (lwip/tcpbase.h), same numbering.
enum tcp_state {
  CLOSED = 0,
  LISTEN = 1,
  SYN_SENT = 2,
  SYN_RCVD = 3,
  ESTABLISHED = 4,
  FIN_WAIT_1 = 5,
  FIN_WAIT_2 = 6,
  CLOSE_WAIT = 7,
  CLOSING = 8,
  LAST_ACK = 9,
  TIME_WAIT = 10
};

// The leading fields are lwIP's, so onPacket code that walks next/payload/len
// reads it unchanged. Release it with AsyncClient::ackPacket() (or pbuf_free()).
struct pbuf {
  struct pbuf *next;
  void *payload;
  uint16_t tot_len;
  uint16_t len;
  uint8_t type_internal;
  uint8_t flags;
  uint16_t ref;
  uint8_t if_idx;
};

extern "C" uint8_t pbuf_free(struct pbuf *p);

struct ip6_addr {
  uint32_t addr[4];
  uint8_t zone;
};
typedef struct ip6_addr ip6_addr_t;

#endif
