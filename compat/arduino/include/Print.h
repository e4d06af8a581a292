// Arduino's Print: print/println/printf over one virtual write(). println ends lines
// with "\r\n", as Arduino does.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>

#include "IPAddress.h"
#include "WString.h"

class Print {
public:
  virtual size_t write(uint8_t c) = 0;
  virtual size_t write(const uint8_t *buffer, size_t size);
  virtual void flush() {}
  // Bytes that can be written without blocking; 0 means "unknown", as in arduino-esp32.
  virtual int availableForWrite() { return 0; }
  size_t write(const char *s) { return s == nullptr ? 0 : write(s, std::strlen(s)); }
  size_t write(const char *buffer, size_t size) {
    return write(reinterpret_cast<const uint8_t *>(buffer), size);
  }

  size_t printf(const char *format, ...) __attribute__((format(printf, 2, 3)));

  size_t print(const char *s) { return write(s); }
  size_t print(const String &s) { return write(s.c_str(), s.length()); }
  size_t print(const __FlashStringHelper *s) { return print(reinterpret_cast<const char *>(s)); }
  size_t print(char c) { return write(static_cast<uint8_t>(c)); }
  size_t print(unsigned char value, int base = DEC) { return print(String(value, base)); }
  size_t print(int value, int base = DEC) { return print(String(value, base)); }
  size_t print(unsigned int value, int base = DEC) { return print(String(value, base)); }
  size_t print(long value, int base = DEC) { return print(String(value, base)); }
  size_t print(unsigned long value, int base = DEC) { return print(String(value, base)); }
  size_t print(long long value, int base = DEC) { return print(String(value, base)); }
  size_t print(unsigned long long value, int base = DEC) { return print(String(value, base)); }
  size_t print(double value, int digits = 2) { return print(String(value, digits)); }
  size_t print(const IPAddress &ip) { return print(String(ip.toString())); }

  size_t println() { return write("\r\n"); }
  template <class T>
  size_t println(const T &value) {
    const size_t n = print(value);
    return n + println();
  }
  template <class T>
  size_t println(const T &value, int baseOrDigits) {
    const size_t n = print(value, baseOrDigits);
    return n + println();
  }

protected:
  // Not virtual: Serial must stay trivially destructible, so it is usable until the
  // process ends even while the AsyncTCP thread still prints.
  ~Print() = default;
};
