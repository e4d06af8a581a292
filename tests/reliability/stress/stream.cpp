#include "stress/stream.h"

#include "reliability_support.h"
#include "stress/random.h"

#include <algorithm>
#include <cstring>

namespace stress {

namespace {

constexpr uint8_t kMagic[4] = {'S', 'T', 'R', '1'};

void put32(uint8_t *p, uint32_t v) {
  for (int i = 0; i < 4; ++i)
    p[i] = uint8_t(v >> (8 * i));
}
uint32_t get32(const uint8_t *p) {
  return uint32_t(p[0]) | uint32_t(p[1]) << 8 | uint32_t(p[2]) << 16 | uint32_t(p[3]) << 24;
}

uint32_t randomPayloadSize() {
  const uint32_t cap = rel::kSanitized ? 128 * 1024 : 512 * 1024;
  const int r = int(rnd(0, 99));
  if (r < 40)
    return uint32_t(rnd(0, 100));
  if (r < 70)
    return uint32_t(rnd(100, 4096));
  if (r < 90)
    return uint32_t(rnd(4096, 64 * 1024));
  return uint32_t(rnd(64 * 1024, cap));
}

}  // namespace

const std::string &block() {
  static const std::string b = tst::pattern(1 * tst::kMiB, 4242);
  return b;
}

void StreamSpec::encode() {
  std::memcpy(header, kMagic, 4);
  header[4] = uint8_t(mode);
  header[5] = kind;
  header[6] = header[7] = 0;
  put32(header + 8, start);
  put32(header + 12, len);
  put32(header + 16, threshold);
}

bool StreamSpec::decode(const uint8_t *h) {
  if (std::memcmp(h, kMagic, 4) != 0 || h[4] > uint8_t(ServerMode::Delete))
    return false;
  mode = ServerMode(h[4]);
  kind = h[5];
  start = get32(h + 8);
  len = get32(h + 12);
  threshold = get32(h + 16);
  std::memcpy(header, h, kHeader);
  return true;
}

const char *StreamSpec::at(uint64_t p, size_t max, size_t *n) const {
  if (p < kHeader) {
    *n = std::min<size_t>(max, kHeader - size_t(p));
    return reinterpret_cast<const char *>(header) + p;
  }
  const size_t off = size_t((start + (p - kHeader)) % block().size());
  *n = std::min<size_t>({max, size_t(size() - p), block().size() - off});
  return block().data() + off;
}

bool StreamSpec::matches(uint64_t p, const void *data, size_t len) const {
  const auto *d = static_cast<const char *>(data);
  while (len) {
    if (p >= size())
      return false;
    size_t n;
    const char *want = at(p, len, &n);
    if (std::memcmp(want, d, n) != 0)
      return false;
    p += n;
    d += n;
    len -= n;
  }
  return true;
}

std::string StreamSpec::contiguous() const {
  std::string s;
  s.reserve(size_t(size()));
  for (uint64_t p = 0; p < size();) {
    size_t n;
    const char *d = at(p, SIZE_MAX, &n);
    s.append(d, n);
    p += n;
  }
  return s;
}

StreamSpec randomSpec(ServerMode mode) {
  StreamSpec s;
  s.mode = mode;
  s.len = randomPayloadSize();
  s.start = uint32_t(rnd(0, block().size() - 1));
  s.threshold = uint32_t(rnd(0, s.len));
  s.encode();
  return s;
}

ServerMode randomServerMode() {
  const int r = int(rnd(0, 99));
  if (r < 70)
    return ServerMode::Echo;
  if (r < 80)
    return ServerMode::Close;
  if (r < 90)
    return ServerMode::Abort;
  return ServerMode::Delete;
}

}  // namespace stress
