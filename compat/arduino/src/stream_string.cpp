#include "StreamString.h"

#include <climits>

size_t StreamString::write(const uint8_t *data, size_t size) {
  if (data == nullptr || size == 0)
    return 0;
  concat(data, static_cast<unsigned int>(size));
  return size;
}

size_t StreamString::write(uint8_t c) {
  concat(static_cast<char>(c));
  return 1;
}

int StreamString::availableForWrite() {
  return INT_MAX;  // memory is the only limit
}

int StreamString::read() {
  if (length() == 0)
    return -1;
  const int c = static_cast<unsigned char>(charAt(0));
  remove(0, 1);
  return c;
}

int StreamString::peek() {
  return length() == 0 ? -1 : static_cast<unsigned char>(charAt(0));
}
