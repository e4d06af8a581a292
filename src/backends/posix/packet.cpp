// struct pbuf for onPacket on this stack: one allocation, payload behind the header.
// Host only (the epoll backend): the Arduino IDE and PlatformIO compile every file under src/.
#if !defined(ESP_PLATFORM)

#include <cstdlib>
#include <cstring>

#include "backends/posix/internal.h"

namespace asynctcp::backend {

struct pbuf *allocPacket(const void *data, size_t len) {
  if (len > 0xFFFF)
    return nullptr;  // pbuf lengths are 16-bit; the core splits
  auto *p = static_cast<struct pbuf *>(std::malloc(sizeof(struct pbuf) + len));
  if (!p)
    return nullptr;
  std::memset(p, 0, sizeof(*p));
  p->payload = p + 1;
  std::memcpy(p->payload, data, len);
  p->tot_len = p->len = uint16_t(len);
  p->ref = 1;
  return p;
}

}  // namespace asynctcp::backend

extern "C" uint8_t pbuf_free(struct pbuf *p) {
  if (!p)
    return 0;
  std::free(p);
  return 1;
}

#endif  // !defined(ESP_PLATFORM)
