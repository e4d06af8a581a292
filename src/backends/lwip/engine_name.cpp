// The lwIP stack has one engine: nothing to choose (the posix backend's engine_choice.cpp).
// Host only: ESP32 builds have no engine choice in their API.
#if !defined(ESP_PLATFORM)

#include "backends/backend.h"

namespace asynctcp::backend {

const char *engineName() {
  return "lwip";
}

bool requestEngine(const char *) {
  return false;
}

}  // namespace asynctcp::backend

#endif  // !defined(ESP_PLATFORM)
