// MD5 from OpenSSL's EVP interface (the MD5_* functions are deprecated in OpenSSL 3).
#include "MD5Builder.h"

#include <openssl/evp.h>

#include <cstdio>
#include <cstring>

MD5Builder::~MD5Builder() {
  EVP_MD_CTX_free(_ctx);
}

void MD5Builder::begin() {
  std::memset(_digest, 0, sizeof _digest);
  if (_ctx == nullptr)
    _ctx = EVP_MD_CTX_new();
  if (_ctx != nullptr && EVP_DigestInit_ex(_ctx, EVP_md5(), nullptr) != 1) {
    EVP_MD_CTX_free(_ctx);  // no usable context: add() and calculate() do nothing
    _ctx = nullptr;
  }
}

void MD5Builder::add(const uint8_t *data, size_t len) {
  if (_ctx != nullptr && data != nullptr && len != 0)
    EVP_DigestUpdate(_ctx, data, len);
}

void MD5Builder::add(const char *data) {
  if (data != nullptr)
    add(reinterpret_cast<const uint8_t *>(data), std::strlen(data));
}

static int hexValue(char c) {
  if (c >= '0' && c <= '9')
    return c - '0';
  if (c >= 'a' && c <= 'f')
    return c - 'a' + 10;
  if (c >= 'A' && c <= 'F')
    return c - 'A' + 10;
  return -1;
}

void MD5Builder::addHexString(const char *data) {
  if (data == nullptr)
    return;
  // Pairs of hex digits; stops at the first character that is not one (as on ESP32,
  // where a bad digit ends the conversion).
  for (size_t i = 0; data[i] != 0 && data[i + 1] != 0; i += 2) {
    const int hi = hexValue(data[i]), lo = hexValue(data[i + 1]);
    if (hi < 0 || lo < 0)
      return;
    const uint8_t byte = static_cast<uint8_t>(hi * 16 + lo);
    add(&byte, 1);
  }
}

bool MD5Builder::addStream(Stream &stream, size_t maxLen) {
  uint8_t buf[512];
  while (maxLen > 0) {
    const int waiting = stream.available();
    if (waiting <= 0)
      break;
    size_t want = static_cast<size_t>(waiting);
    want = want < maxLen ? want : maxLen;
    want = want < sizeof buf ? want : sizeof buf;
    const size_t got = stream.readBytes(buf, want);
    if (got == 0)
      return false;
    add(buf, got);
    maxLen -= got;
  }
  return true;
}

void MD5Builder::calculate() {
  unsigned int len = 0;
  if (_ctx == nullptr || EVP_DigestFinal_ex(_ctx, _digest, &len) != 1 || len != sizeof _digest)
    std::memset(_digest, 0, sizeof _digest);
}

void MD5Builder::getBytes(uint8_t *output) const {
  std::memcpy(output, _digest, sizeof _digest);
}

void MD5Builder::getChars(char *output) const {
  for (size_t i = 0; i < sizeof _digest; ++i)
    std::snprintf(output + 2 * i, 3, "%02x", _digest[i]);
}

String MD5Builder::toString() const {
  char text[33];
  getChars(text);
  return String(text);
}
