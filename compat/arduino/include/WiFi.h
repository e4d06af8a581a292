// WiFi on Linux: the host is already on its network, so begin() "connects" at once
// and the addresses are the host's (the first non-loopback IPv4 interface that is up,
// else 127.0.0.1); a soft-AP is the same network. No radio, scanning or WiFi events are
// emulated.
#pragma once

#include <cstdint>

#include "Arduino.h"

typedef enum {
  WL_NO_SHIELD = 255,
  WL_IDLE_STATUS = 0,
  WL_NO_SSID_AVAIL = 1,
  WL_SCAN_COMPLETED = 2,
  WL_CONNECTED = 3,
  WL_CONNECT_FAILED = 4,
  WL_CONNECTION_LOST = 5,
  WL_DISCONNECTED = 6
} wl_status_t;

typedef enum {
  WIFI_MODE_NULL = 0,
  WIFI_MODE_STA,
  WIFI_MODE_AP,
  WIFI_MODE_APSTA,
  WIFI_MODE_MAX
} wifi_mode_t;

#define WIFI_OFF WIFI_MODE_NULL
#define WIFI_STA WIFI_MODE_STA
#define WIFI_AP WIFI_MODE_AP
#define WIFI_AP_STA WIFI_MODE_APSTA

class WiFiClass {
public:
  wl_status_t begin(const char *ssid, const char *passphrase = nullptr, int32_t channel = 0,
                    const uint8_t *bssid = nullptr, bool connect = true);
  wl_status_t begin();
  bool disconnect(bool wifioff = false, bool eraseap = false);
  bool reconnect();
  wl_status_t status() { return _connected ? WL_CONNECTED : WL_IDLE_STATUS; }
  bool isConnected() { return _connected; }

  bool mode(wifi_mode_t m);
  wifi_mode_t getMode() { return _mode; }
  bool setSleep(bool enabled);
  bool getSleep() { return _sleep; }
  bool setAutoReconnect(bool on);
  bool getAutoReconnect() { return _autoReconnect; }
  bool setHostname(const char *name);
  const char *getHostname();

  IPAddress localIP();
  IPAddress subnetMask();
  IPAddress gatewayIP();  // the default route's gateway, 0.0.0.0 if none
  String macAddress();    // of the interface localIP() is on; zeros for loopback
  uint8_t *macAddress(uint8_t *mac);
  String SSID() { return String(_ssid); }
  int8_t RSSI() { return 0; }             // no radio
  void persistent(bool on) { (void)on; }  // nothing is stored in flash here

  // Soft-AP: there is no radio to open a network with, so as for begin() the host's
  // network stands in: softAP() switches the AP mode on and softAPIP() is localIP(),
  // where the host's clients reach the sketch.
  bool softAP(const char *ssid, const char *passphrase = nullptr, int channel = 1,
              int ssidHidden = 0, int maxConnection = 4, bool ftmResponder = false);
  bool softAP(const String &ssid, const String &passphrase = String(), int channel = 1,
              int ssidHidden = 0, int maxConnection = 4, bool ftmResponder = false) {
    return softAP(ssid.c_str(), passphrase.c_str(), channel, ssidHidden, maxConnection,
                  ftmResponder);
  }
  bool softAPdisconnect(bool wifioff = false);
  IPAddress softAPIP() { return _apOn ? localIP() : IPAddress(); }
  String softAPSSID() { return String(_apOn ? _apSsid : ""); }

private:
  bool _connected = false;
  bool _sleep = true;
  bool _autoReconnect = true;
  wifi_mode_t _mode = WIFI_MODE_NULL;
  char _ssid[33] = {};
  bool _apOn = false;
  char _apSsid[33] = {};
};

extern WiFiClass WiFi;
