// Stand-in for arduino-esp32 3.x (3.0.0 and later releases) cores/esp32/IPAddress.h:
// the class AsyncTCP.h takes when ARDUINO is defined. Its public signatures, storage
// (16 bytes, type, zone) and the INADDR_NONE object, whose name lwIP's <lwip/inet.h>
// defines as a macro: included before this header, that breaks the build, as on ESP32.
// Declarations only (see ../README.md). Unlike the library's own IPAddress it has no
// raw4(), raw6(), isV4(), isV6() or isAny(), and IPv4/IPv6 are 0/1, not 4/6.
#pragma once

#include <stdint.h>

#include "Printable.h"
#include "WString.h"
#include "esp_netif_ip_addr.h"
#include "lwip/ip_addr.h"

#define IPADDRESS_V4_BYTES_INDEX 12
#define IPADDRESS_V4_DWORD_INDEX 3

enum IPType { IPv4, IPv6 };

class IPAddress : public Printable {
public:
  IPAddress();  // 0.0.0.0
  IPAddress(IPType ip_type);
  IPAddress(uint8_t first_octet, uint8_t second_octet, uint8_t third_octet, uint8_t fourth_octet);
  IPAddress(uint8_t o1, uint8_t o2, uint8_t o3, uint8_t o4, uint8_t o5, uint8_t o6, uint8_t o7,
            uint8_t o8, uint8_t o9, uint8_t o10, uint8_t o11, uint8_t o12, uint8_t o13, uint8_t o14,
            uint8_t o15, uint8_t o16, uint8_t z = 0);
  IPAddress(uint32_t address);        // v4, the 4 bytes in memory order
  IPAddress(const uint8_t *address);  // v4
  IPAddress(IPType ip_type, const uint8_t *address, uint8_t z = 0);  // 4 or 16 bytes
  IPAddress(const char *address);
  IPAddress(const IPAddress &address);

  bool fromString(const char *address);
  bool fromString(const String &address) { return fromString(address.c_str()); }

  // v4 only: 0 for a v6 address.
  operator uint32_t() const { return _type == IPv4 ? _address.dword[IPADDRESS_V4_DWORD_INDEX] : 0; }

  bool operator==(const IPAddress &addr) const;
  bool operator!=(const IPAddress &addr) const { return !(*this == addr); }
  bool operator==(const uint8_t *addr) const;  // v4 only

  // v4: the 4 bytes of the dotted quad; v6: the 16 bytes.
  uint8_t operator[](int index) const;
  uint8_t &operator[](int index);

  IPAddress &operator=(const uint8_t *address);  // v4
  IPAddress &operator=(uint32_t address);        // v4
  IPAddress &operator=(const char *address);
  IPAddress &operator=(const IPAddress &address);

  virtual size_t printTo(Print &p) const;
  String toString(bool includeZone = false) const;

  IPType type() const { return _type; }

  // lwIP conversions.
  IPAddress(const ip_addr_t *addr);
  void to_ip_addr_t(ip_addr_t *addr) const;
  IPAddress &from_ip_addr_t(const ip_addr_t *addr);
  esp_ip6_addr_type_t addr_type() const;
  uint8_t zone() const { return _type == IPv6 ? _zone : 0; }
  size_t printTo(Print &p, bool includeZone) const;

protected:
  bool fromString4(const char *address);
  bool fromString6(const char *address);

private:
  union {
    uint8_t bytes[16];
    uint32_t dword[4];
  } _address;
  IPType _type;
  uint8_t _zone;
};

extern const IPAddress IN6ADDR_ANY;
extern const IPAddress INADDR_NONE;
