// onPacket on lwIP hands lwIP's own pbufs; this is only for bytes that did not
// come from lwIP (kept so the core has one way to build a packet).
extern "C" {
#include "lwip/pbuf.h"
}

#include <cstring>

#include "backends/lwip/internal.h"

namespace asynctcp::backend {

struct pbuf *allocPacket(const void *data, size_t len) {
  if (len > 0xFFFF)
    return nullptr;
  struct pbuf *p = pbuf_alloc(PBUF_RAW, u16_t(len), PBUF_RAM);
  if (p)
    std::memcpy(p->payload, data, len);
  return p;
}

}  // namespace asynctcp::backend
