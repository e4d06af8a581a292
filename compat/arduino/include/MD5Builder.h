// arduino-esp32's MD5Builder, computed by OpenSSL: begin(), add() as often as needed,
// calculate(), then read the digest as bytes, hex text or a String.
#pragma once

#include <cstddef>
#include <cstdint>

#include "Stream.h"
#include "WString.h"

struct evp_md_ctx_st;

class MD5Builder {
public:
  MD5Builder() = default;
  MD5Builder(const MD5Builder &) = delete;
  MD5Builder &operator=(const MD5Builder &) = delete;
  ~MD5Builder();

  void begin();
  void add(const uint8_t *data, size_t len);
  void add(const char *data);
  void add(const String &data) {
    add(reinterpret_cast<const uint8_t *>(data.c_str()), data.length());
  }
  void addHexString(const char *data);  // the bytes a hex text spells ("0aff" -> 0x0a 0xff)
  void addHexString(const String &data) { addHexString(data.c_str()); }
  bool addStream(Stream &stream, size_t maxLen);  // up to maxLen bytes read from stream
  void calculate();

  void getBytes(uint8_t *output) const;  // 16 bytes
  void getChars(char *output) const;     // 32 hex digits and a NUL
  String toString() const;

private:
  evp_md_ctx_st *_ctx = nullptr;
  uint8_t _digest[16] = {};
};
