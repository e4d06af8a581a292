#include "WiFi.h"

#include <arpa/inet.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <string>

WiFiClass WiFi;

namespace {

struct HostInterface {
  std::string name;  // empty: none found, loopback stands in
  uint32_t addr = 0;
  uint32_t mask = 0;
};

// The first interface that is up, not loopback and has an IPv4 address.
HostInterface hostInterface() {
  HostInterface found;
  ifaddrs *list = nullptr;
  if (getifaddrs(&list) != 0)
    return found;
  for (ifaddrs *i = list; i != nullptr; i = i->ifa_next) {
    if (i->ifa_addr == nullptr || i->ifa_addr->sa_family != AF_INET)
      continue;
    if ((i->ifa_flags & IFF_UP) == 0 || (i->ifa_flags & IFF_LOOPBACK) != 0)
      continue;
    found.name = i->ifa_name;
    found.addr = reinterpret_cast<sockaddr_in *>(i->ifa_addr)->sin_addr.s_addr;
    if (i->ifa_netmask != nullptr)
      found.mask = reinterpret_cast<sockaddr_in *>(i->ifa_netmask)->sin_addr.s_addr;
    break;
  }
  freeifaddrs(list);
  return found;
}

}  // namespace

wl_status_t WiFiClass::begin(const char *ssid, const char *passphrase, int32_t channel,
                             const uint8_t *bssid, bool connect) {
  (void)passphrase;
  (void)channel;
  (void)bssid;
  if (ssid != nullptr)
    std::snprintf(_ssid, sizeof _ssid, "%s", ssid);
  if (_mode == WIFI_MODE_NULL)
    _mode = WIFI_MODE_STA;  // as on ESP32, begin() switches the station on
  _connected = connect;
  return status();
}

wl_status_t WiFiClass::begin() {
  return begin(nullptr);
}

bool WiFiClass::disconnect(bool wifioff, bool eraseap) {
  (void)eraseap;
  _connected = false;
  if (wifioff)
    _mode = WIFI_MODE_NULL;
  return true;
}

bool WiFiClass::reconnect() {
  _connected = true;
  return true;
}

bool WiFiClass::softAP(const char *ssid, const char *passphrase, int channel, int ssidHidden,
                       int maxConnection, bool ftmResponder) {
  (void)channel;
  (void)ssidHidden;
  (void)maxConnection;
  (void)ftmResponder;
  // ESP32 refuses an empty SSID and a WPA2 passphrase shorter than 8 characters.
  if (ssid == nullptr || ssid[0] == 0 || std::strlen(ssid) > 32)
    return false;
  if (passphrase != nullptr && passphrase[0] != 0 && std::strlen(passphrase) < 8)
    return false;
  std::snprintf(_apSsid, sizeof _apSsid, "%s", ssid);
  _apOn = true;
  _mode = _mode == WIFI_MODE_STA || _mode == WIFI_MODE_APSTA ? WIFI_MODE_APSTA : WIFI_MODE_AP;
  return true;
}

bool WiFiClass::softAPdisconnect(bool wifioff) {
  _apOn = false;
  _apSsid[0] = 0;
  if (wifioff)
    _mode = _mode == WIFI_MODE_APSTA ? WIFI_MODE_STA : WIFI_MODE_NULL;
  return true;
}

bool WiFiClass::mode(wifi_mode_t m) {
  _mode = m;
  return true;
}

bool WiFiClass::setSleep(bool enabled) {
  _sleep = enabled;
  return true;
}

bool WiFiClass::setAutoReconnect(bool on) {
  _autoReconnect = on;
  return true;
}

bool WiFiClass::setHostname(const char *name) {
  (void)name;
  return false;  // renaming the host is not the sketch's business on Linux
}

const char *WiFiClass::getHostname() {
  static const std::string name = [] {
    char buf[256] = {};
    gethostname(buf, sizeof buf - 1);
    return std::string(buf);
  }();
  return name.c_str();
}

IPAddress WiFiClass::localIP() {
  const HostInterface i = hostInterface();
  return i.name.empty() ? IPAddress(127, 0, 0, 1) : IPAddress(i.addr);
}

IPAddress WiFiClass::subnetMask() {
  const HostInterface i = hostInterface();
  return i.name.empty() ? IPAddress(255, 0, 0, 0) : IPAddress(i.mask);
}

IPAddress WiFiClass::gatewayIP() {
  // /proc/net/route: the default route has destination 0; the gateway is in hex, network order.
  FILE *f = std::fopen("/proc/net/route", "r");
  if (f == nullptr)
    return IPAddress();
  char line[256];
  uint32_t gateway = 0;
  while (std::fgets(line, sizeof line, f) != nullptr) {
    char iface[64];
    unsigned dest = 0, gw = 0;
    if (std::sscanf(line, "%63s %x %x", iface, &dest, &gw) == 3 && dest == 0 && gw != 0) {
      gateway = gw;
      break;
    }
  }
  std::fclose(f);
  return IPAddress(gateway);
}

uint8_t *WiFiClass::macAddress(uint8_t *mac) {
  std::memset(mac, 0, 6);
  const HostInterface i = hostInterface();
  if (i.name.empty())
    return mac;
  FILE *f = std::fopen(("/sys/class/net/" + i.name + "/address").c_str(), "r");
  if (f == nullptr)
    return mac;
  unsigned b[6];
  if (std::fscanf(f, "%x:%x:%x:%x:%x:%x", &b[0], &b[1], &b[2], &b[3], &b[4], &b[5]) == 6)
    for (int k = 0; k < 6; ++k)
      mac[k] = static_cast<uint8_t>(b[k]);
  std::fclose(f);
  return mac;
}

String WiFiClass::macAddress() {
  uint8_t m[6];
  macAddress(m);
  char text[18];
  std::snprintf(text, sizeof text, "%02X:%02X:%02X:%02X:%02X:%02X", m[0], m[1], m[2], m[3], m[4],
                m[5]);
  return String(text);
}
