// Reads a fuzzer input front to back, as a program: small integers from single bytes,
// so a mutation of one byte changes one argument. Past the end every read is 0.
#pragma once

#include <cstddef>
#include <cstdint>

namespace fuzz {

class ByteReader {
public:
  ByteReader(const uint8_t *data, size_t size) : _p(data), _end(data + size) {}
  bool done() const { return _p >= _end; }
  uint8_t u8() { return _p < _end ? *_p++ : 0; }
  uint16_t u16() {
    uint16_t hi = u8();
    return uint16_t(hi << 8 | u8());
  }
  // One of n choices (n > 0).
  unsigned pick(unsigned n) { return u8() % n; }

private:
  const uint8_t *_p;
  const uint8_t *_end;
};

}  // namespace fuzz
