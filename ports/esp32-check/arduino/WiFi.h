// Stand-in for arduino-esp32 3.x libraries/WiFi/src/WiFi.h: the station calls a sketch
// makes before it serves or connects (declarations only, see ../README.md).
#pragma once

#include "Arduino.h"

typedef enum {
  WL_NO_SHIELD = 255,
  WL_STOPPED = 254,
  WL_IDLE_STATUS = 0,
  WL_NO_SSID_AVAIL = 1,
  WL_SCAN_COMPLETED = 2,
  WL_CONNECTED = 3,
  WL_CONNECT_FAILED = 4,
  WL_CONNECTION_LOST = 5,
  WL_DISCONNECTED = 6
} wl_status_t;

class WiFiClass {
public:
  wl_status_t begin(const char *ssid, const char *passphrase = nullptr, int32_t channel = 0,
                    const uint8_t *bssid = nullptr, bool connect = true);
  wl_status_t status();
  bool enableIPv6(bool en = true);
  IPAddress localIP();
  IPAddress subnetMask();
  IPAddress gatewayIP();
  IPAddress linkLocalIPv6();
  IPAddress globalIPv6();
};

extern WiFiClass WiFi;
