// IPAddress for non-Arduino builds: the shape of arduino-esp32 3.x's IPAddress
// (IPv4 or IPv6, operator[], toString(), fromString(), uint32_t conversion),
// so sketches that print or compare addresses compile unchanged on Linux.
#pragma once

#include <cstdint>
#include <cstring>
#include <string>

enum IPType { IPv4 = 4, IPv6 = 6 };

class IPAddress {
public:
  // constexpr: address constants (and globals of users) are then built at compile
  // time, safe to read from any global constructor.
  constexpr IPAddress() = default;
  constexpr explicit IPAddress(IPType type) : _type(type) {}
  constexpr IPAddress(uint8_t a, uint8_t b, uint8_t c, uint8_t d) {
    _bytes[12] = a;
    _bytes[13] = b;
    _bytes[14] = c;
    _bytes[15] = d;
  }
  // Arduino stores v4 addresses in network order inside a uint32_t.
  IPAddress(uint32_t v4) { std::memcpy(&_bytes[12], &v4, 4); }
  explicit IPAddress(const uint8_t *v4) { std::memcpy(&_bytes[12], v4, 4); }
  IPAddress(IPType type, const uint8_t *address, uint8_t zone = 0) : _type(type), _zone(zone) {
    if (type == IPv4)
      std::memcpy(&_bytes[12], address, 4);
    else
      std::memcpy(_bytes, address, 16);
  }
  explicit IPAddress(const char *text) { fromString(text); }

  bool fromString(const char *text);
  bool fromString(const std::string &text) { return fromString(text.c_str()); }
  std::string toString() const;

  IPType type() const { return _type; }
  uint8_t zone() const { return _zone; }
  bool isV4() const { return _type == IPv4; }
  bool isV6() const { return _type == IPv6; }
  bool isAny() const;

  operator uint32_t() const {
    uint32_t v;
    std::memcpy(&v, &_bytes[12], 4);
    return _type == IPv4 ? v : 0;
  }
  // v4: bytes 0..3 of the dotted quad; v6: bytes 0..15.
  uint8_t operator[](int i) const { return _bytes[(_type == IPv4 ? 12 : 0) + i]; }
  uint8_t &operator[](int i) { return _bytes[(_type == IPv4 ? 12 : 0) + i]; }
  const uint8_t *raw6() const { return _bytes; }
  const uint8_t *raw4() const { return &_bytes[12]; }

  bool operator==(const IPAddress &o) const {
    return _type == o._type && std::memcmp(_bytes, o._bytes, 16) == 0;
  }
  bool operator!=(const IPAddress &o) const { return !(*this == o); }
  bool operator==(uint32_t v4) const { return _type == IPv4 && uint32_t(*this) == v4; }
  bool operator!=(uint32_t v4) const { return !(*this == v4); }
  IPAddress &operator=(uint32_t v4) {
    *this = IPAddress(v4);
    return *this;
  }

private:
  IPType _type = IPv4;
  uint8_t _bytes[16] = {};
  uint8_t _zone = 0;
};

extern const IPAddress INADDR_NONE_IP;  // 0.0.0.0 (Arduino calls it INADDR_NONE; a libc macro here)
extern const IPAddress IN6ADDR_ANY;     // ::
