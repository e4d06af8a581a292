// The lwIP backend's startStack() on ESP-IDF. There the application owns the
// network stack: esp_netif_init() starts lwIP's tcpip thread (ESP-IDF allows
// one call, made by the application or by arduino-esp32's WiFi/ETH), and
// Wi-Fi or Ethernet add the netifs. The Linux build's netif.cpp, which starts
// lwIP itself and adds a loopback netif, has no place here.
// ESP32 only: the Arduino IDE compiles every file under src/, Linux builds skip this one.
#if defined(ESP_PLATFORM)

extern "C" {
#include "lwip/tcpip.h"
}

#include "backends/lwip/internal.h"

// The backend calls lwIP's raw API from the service task under
// LOCK_TCPIP_CORE(); without core locking that macro is empty and every call
// would race the tcpip thread.
#if !LWIP_TCPIP_CORE_LOCKING
#error "AsyncTCP needs CONFIG_LWIP_TCPIP_CORE_LOCKING=y (menuconfig: Component config > LWIP)"
#endif

namespace asynctcp::backend {

bool startStack() {
  return true;
}

}  // namespace asynctcp::backend

#endif  // defined(ESP_PLATFORM)
