#include "Print.h"

#include <cstdarg>
#include <cstdio>
#include <vector>

size_t Print::write(const uint8_t *buffer, size_t size) {
  size_t n = 0;
  while (n < size && write(buffer[n]) == 1)
    ++n;
  return n;
}

size_t Print::printf(const char *format, ...) {
  char small[256];
  va_list args;
  va_start(args, format);
  va_list again;
  va_copy(again, args);
  const int len = std::vsnprintf(small, sizeof small, format, args);
  va_end(args);
  size_t written = 0;
  if (len >= 0 && static_cast<size_t>(len) < sizeof small) {
    written = write(small, static_cast<size_t>(len));
  } else if (len > 0) {
    std::vector<char> big(static_cast<size_t>(len) + 1);
    std::vsnprintf(big.data(), big.size(), format, again);
    written = write(big.data(), static_cast<size_t>(len));
  }
  va_end(again);
  return written;
}
