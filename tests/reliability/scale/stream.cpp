#include "stream.h"

#include <array>
#include <cstring>

namespace scale {

namespace {

constexpr uint8_t kMagic[2] = {'S', 'C'};
constexpr size_t kTable = 1 << 16;

// 64 KiB of fixed pseudo-random bytes (splitmix64), the same in both processes.
const std::array<uint8_t, kTable> &table() {
  static const std::array<uint8_t, kTable> t = [] {
    std::array<uint8_t, kTable> a{};
    uint64_t x = 0x5ca1ab1e;
    for (size_t i = 0; i < kTable; i += 8) {
      x += 0x9E3779B97F4A7C15ull;
      uint64_t z = x;
      z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
      z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
      z ^= z >> 31;
      std::memcpy(&a[i], &z, 8);
    }
    return a;
  }();
  return t;
}

void put32(uint8_t *p, uint32_t v) {
  for (int i = 0; i < 4; ++i)
    p[i] = uint8_t(v >> (8 * i));
}
uint32_t get32(const uint8_t *p) {
  return uint32_t(p[0]) | uint32_t(p[1]) << 8 | uint32_t(p[2]) << 16 | uint32_t(p[3]) << 24;
}
uint32_t headerSum(const uint8_t *h) {
  uint32_t s = 0x811C9DC5;  // FNV-1a over the first 12 bytes
  for (int i = 0; i < 12; ++i)
    s = (s ^ h[i]) * 0x01000193;
  return s;
}

// Payload byte p of stream id is table[(start + p) % 64K] ^ key, where key changes every
// 64 KiB: a run that slipped by a multiple of the table still differs. Calls f(tableRun, key,
// n) for the runs covering [p, p + n) in order.
template <class F>
void payloadRuns(uint32_t id, uint64_t p, size_t n, F &&f) {
  const uint64_t start = uint64_t(id) * 2654435761u;
  while (n) {
    const size_t at = size_t((start + p) % kTable);
    const size_t run = n < kTable - at ? n : kTable - at;
    const uint8_t key = uint8_t(id ^ (id >> 8) ^ (id >> 16) ^ (p >> 16) * 0x9D);
    const size_t upTo64k = size_t(kTable - p % kTable);
    const size_t take = run < upTo64k ? run : upTo64k;  // the key is constant over `take`
    f(table().data() + at, key, take);
    p += take;
    n -= take;
  }
}

}  // namespace

void StreamHeader::encode(uint8_t out[kHeaderSize]) const {
  out[0] = kMagic[0];
  out[1] = kMagic[1];
  out[2] = uint8_t(plan);
  out[3] = uint8_t(origin);
  put32(out + 4, id);
  put32(out + 8, threshold);
  put32(out + 12, headerSum(out));
}

bool StreamHeader::decode(const uint8_t in[kHeaderSize]) {
  if (in[0] != kMagic[0] || in[1] != kMagic[1] || get32(in + 12) != headerSum(in) ||
      in[2] >= uint8_t(ServerPlan::Count) || in[3] >= uint8_t(Origin::Count))
    return false;
  plan = ServerPlan(in[2]);
  origin = Origin(in[3]);
  id = get32(in + 4);
  threshold = get32(in + 8);
  return true;
}

void streamBytes(const StreamHeader &h, uint64_t offset, uint8_t *out, size_t n) {
  if (offset < kHeaderSize) {
    uint8_t head[kHeaderSize];
    h.encode(head);
    const size_t k = n < kHeaderSize - offset ? n : size_t(kHeaderSize - offset);
    std::memcpy(out, head + offset, k);
    out += k;
    offset += k;
    n -= k;
  }
  payloadRuns(h.id, offset - kHeaderSize, n, [&](const uint8_t *t, uint8_t key, size_t k) {
    for (size_t i = 0; i < k; ++i)
      out[i] = t[i] ^ key;
    out += k;
  });
}

bool streamMatches(const StreamHeader &h, uint64_t offset, const uint8_t *data, size_t n) {
  if (offset < kHeaderSize) {
    uint8_t head[kHeaderSize];
    h.encode(head);
    const size_t k = n < kHeaderSize - offset ? n : size_t(kHeaderSize - offset);
    if (std::memcmp(data, head + offset, k) != 0)
      return false;
    data += k;
    offset += k;
    n -= k;
  }
  uint8_t diff = 0;
  payloadRuns(h.id, offset - kHeaderSize, n, [&](const uint8_t *t, uint8_t key, size_t k) {
    for (size_t i = 0; i < k; ++i)  // no early exit: the loop vectorises
      diff |= uint8_t(data[i] ^ t[i] ^ key);
    data += k;
  });
  return diff == 0;
}

}  // namespace scale
