// A stand-in for the IPv6Address class of cores that have one (arduino-esp32 2.x): the
// members AsyncTCP.h's overloads use, with that class's shape (16 bytes, operator[],
// a constructor from bytes). Test-only: it makes __has_include(<IPv6Address.h>) true.
#pragma once

#include <cstdint>
#include <cstring>

class IPv6Address {
public:
  IPv6Address() { std::memset(_bytes, 0, sizeof(_bytes)); }
  explicit IPv6Address(const uint8_t *address) { std::memcpy(_bytes, address, sizeof(_bytes)); }
  uint8_t operator[](int index) const { return _bytes[index]; }
  operator const uint8_t *() const { return _bytes; }

private:
  uint8_t _bytes[16];
};
