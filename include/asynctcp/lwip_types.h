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
#include "lwip/ip_addr.h"
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

// lwIP's ip4_addr_t and dual-stack ip_addr_t, same layout, for connect(ip_addr_t, port),
// AsyncServer(ip_addr_t, port) and getRemoteAddress4(); with the macros ESP32 code uses
// to fill and read them (lwip/ip_addr.h, lwip/ip4_addr.h).
struct ip4_addr {
  uint32_t addr;  // network byte order
};
typedef struct ip4_addr ip4_addr_t;

enum lwip_ip_addr_type { IPADDR_TYPE_V4 = 0U, IPADDR_TYPE_V6 = 6U, IPADDR_TYPE_ANY = 46U };

typedef struct ip_addr {
  union {
    ip6_addr_t ip6;
    ip4_addr_t ip4;
  } u_addr;
  uint8_t type;  // lwip_ip_addr_type
} ip_addr_t;

#define IP_GET_TYPE(ipaddr) ((ipaddr)->type)
#define IP_SET_TYPE_VAL(ipaddr, iptype) \
  do {                                  \
    (ipaddr).type = (iptype);           \
  } while (0)
#define IP_SET_TYPE(ipaddr, iptype) IP_SET_TYPE_VAL(*(ipaddr), iptype)
#define IP_IS_V4_VAL(ipaddr) ((ipaddr).type == IPADDR_TYPE_V4)
#define IP_IS_V6_VAL(ipaddr) ((ipaddr).type == IPADDR_TYPE_V6)
#define IP_IS_V4(ipaddr) (((ipaddr) == nullptr) || IP_IS_V4_VAL(*(ipaddr)))
#define IP_IS_V6(ipaddr) (((ipaddr) != nullptr) && IP_IS_V6_VAL(*(ipaddr)))
#define ip_2_ip4(ipaddr) (&((ipaddr)->u_addr.ip4))
#define ip_2_ip6(ipaddr) (&((ipaddr)->u_addr.ip6))
#define ip6_addr_clear_zone(ip6addr) ((ip6addr)->zone = 0)
#define ip4_addr_get_u32(src_ipaddr) ((src_ipaddr)->addr)
#define ip4_addr_set_u32(dest_ipaddr, src_u32) ((dest_ipaddr)->addr = (src_u32))
#define IP4_ADDR(ipaddr, a, b, c, d) ((ipaddr)->addr = asynctcp_ip4_u32(a, b, c, d))
#define IP_ADDR4(ipaddr, a, b, c, d)            \
  do {                                          \
    *(ipaddr) = ip_addr_t{};                    \
    IP4_ADDR(ip_2_ip4(ipaddr), a, b, c, d);     \
    IP_SET_TYPE_VAL(*(ipaddr), IPADDR_TYPE_V4); \
  } while (0)
#define IPADDR4_INIT(u32val) \
  { {{{u32val, 0, 0, 0}, 0}}, IPADDR_TYPE_V4 }
#define IPADDR4_INIT_BYTES(a, b, c, d) IPADDR4_INIT(asynctcp_ip4_u32(a, b, c, d))

// The network-order uint32_t of a.b.c.d, whatever the host's byte order.
constexpr uint32_t asynctcp_ip4_u32(uint32_t a, uint32_t b, uint32_t c, uint32_t d) {
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
  return ((a & 0xff) << 24) | ((b & 0xff) << 16) | ((c & 0xff) << 8) | (d & 0xff);
#else
  return ((d & 0xff) << 24) | ((c & 0xff) << 16) | ((b & 0xff) << 8) | (a & 0xff);
#endif
}

#endif
