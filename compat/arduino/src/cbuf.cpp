#include "cbuf.h"

#include <algorithm>
#include <cstring>
#include <exception>

cbuf::cbuf(size_t size) {
  resize(size);
}

size_t cbuf::resize(size_t newSize) {
  if (newSize < _used)
    return _buf.size();
  // Lay the stored bytes out from index 0 in the new storage; allocation failure leaves
  // the buffer as it was (capacity below what was asked is how callers see it).
  std::vector<char> grown;
  try {
    grown.resize(newSize);
  } catch (const std::exception &) {
    return _buf.size();
  }
  copyOut(grown.data(), _used);
  _buf.swap(grown);
  _begin = 0;
  return _buf.size();
}

size_t cbuf::copyOut(char *dst, size_t size) const {
  const size_t n = std::min(size, _used);
  if (n == 0)
    return 0;  // also keeps null pointers (empty storage) away from memcpy
  const size_t first = std::min(n, _buf.size() - _begin);
  std::memcpy(dst, _buf.data() + _begin, first);
  std::memcpy(dst + first, _buf.data(), n - first);
  return n;
}

int cbuf::peek() {
  return empty() ? -1 : static_cast<unsigned char>(_buf[_begin]);
}

size_t cbuf::peek(char *dst, size_t size) {
  return dst == nullptr ? 0 : copyOut(dst, size);
}

int cbuf::read() {
  const int c = peek();
  if (c >= 0)
    remove(1);
  return c;
}

size_t cbuf::read(char *dst, size_t size) {
  const size_t n = peek(dst, size);
  remove(n);
  return n;
}

size_t cbuf::write(char c) {
  return write(&c, 1);
}

size_t cbuf::write(const char *src, size_t size) {
  if (src == nullptr)
    return 0;
  const size_t n = std::min(size, room());
  if (n == 0)
    return 0;
  const size_t end = (_begin + _used) % _buf.size();
  const size_t first = std::min(n, _buf.size() - end);
  std::memcpy(_buf.data() + end, src, first);
  std::memcpy(_buf.data(), src + first, n - first);
  _used += n;
  return n;
}

size_t cbuf::remove(size_t size) {
  const size_t n = std::min(size, _used);
  _used -= n;
  _begin = _used == 0 ? 0 : (_begin + n) % _buf.size();
  return _used;
}
