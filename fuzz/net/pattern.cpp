#include "net/pattern.h"

#include <cstring>

namespace fuzz {

namespace {
struct Buffer {
  char bytes[kPatternPeriod + kMaxPatternRun];
  Buffer() {
    for (size_t i = 0; i < sizeof bytes; ++i)
      bytes[i] = char((i % kPatternPeriod) * 7 + 3);
  }
};
const Buffer &buffer() {
  static const Buffer b;
  return b;
}
}  // namespace

const char *patternAt(uint64_t offset) {
  return buffer().bytes + offset % kPatternPeriod;
}

bool matchesPattern(const void *data, size_t len, uint64_t offset) {
  const char *p = static_cast<const char *>(data);
  while (len) {
    size_t n = len < kMaxPatternRun ? len : kMaxPatternRun;
    if (std::memcmp(p, patternAt(offset), n) != 0)
      return false;
    p += n;
    offset += n;
    len -= n;
  }
  return true;
}

}  // namespace fuzz
