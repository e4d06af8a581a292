#include "packet/wire.h"

#include <cstring>

namespace fuzz::packet {

namespace {
// The checksum loop is left out of the coverage instrumentation: a comparison traced per
// two bytes of every segment cost more than lwIP's handling of it, and told the fuzzer
// nothing.
__attribute__((no_sanitize("coverage"))) uint32_t sum16(const uint8_t *p, size_t len,
                                                         uint32_t sum) {
  for (size_t i = 0; i + 1 < len; i += 2)
    sum += uint32_t(p[i] << 8 | p[i + 1]);
  if (len & 1)
    sum += uint32_t(p[len - 1] << 8);
  return sum;
}

uint16_t fold(uint32_t sum) {
  while (sum >> 16)
    sum = (sum & 0xFFFF) + (sum >> 16);
  return uint16_t(~sum);
}

void put16(uint8_t *p, uint32_t v) {
  p[0] = uint8_t(v >> 8);
  p[1] = uint8_t(v);
}
void put32(uint8_t *p, uint32_t v) {
  put16(p, v >> 16);
  put16(p + 2, v);
}
uint16_t get16(const uint8_t *p) {
  return uint16_t(p[0] << 8 | p[1]);
}
uint32_t get32(const uint8_t *p) {
  return uint32_t(get16(p)) << 16 | get16(p + 2);
}

void parseOptions(const uint8_t *p, size_t len, Segment *s) {
  for (size_t i = 0; i < len;) {
    const uint8_t kind = p[i];
    if (kind == 0)
      return;
    if (kind == 1) {
      ++i;
      continue;
    }
    if (i + 1 >= len || p[i + 1] < 2 || i + p[i + 1] > len)
      return;
    if (kind == 2 && p[i + 1] == 4)
      s->mss = get16(p + i + 2);
    if (kind == 3 && p[i + 1] == 3)
      s->windowShift = p[i + 2];
    i += p[i + 1];
  }
}
}  // namespace

std::vector<uint8_t> encode(const Segment &s) {
  const size_t optLen = (s.options.size() + 3) & ~size_t(3);
  const size_t tcpLen = 20 + optLen + s.payload.size();
  std::vector<uint8_t> b(20 + tcpLen, 0);
  uint8_t *ip = b.data();
  ip[0] = 0x45;
  put16(ip + 2, uint32_t(b.size()));
  put16(ip + 6, 0x4000);  // don't fragment
  ip[8] = 64;
  ip[9] = 6;
  put32(ip + 12, s.srcIp);
  put32(ip + 16, s.dstIp);
  put16(ip + 10, fold(sum16(ip, 20, 0)));
  uint8_t *tcp = ip + 20;
  put16(tcp, s.srcPort);
  put16(tcp + 2, s.dstPort);
  put32(tcp + 4, s.seq);
  put32(tcp + 8, s.ack);
  tcp[12] = uint8_t((20 + optLen) / 4 << 4);
  tcp[13] = s.flags;
  put16(tcp + 14, s.window);
  if (!s.options.empty())
    std::memcpy(tcp + 20, s.options.data(), s.options.size());
  if (!s.payload.empty())
    std::memcpy(tcp + 20 + optLen, s.payload.data(), s.payload.size());
  uint8_t pseudo[12];
  put32(pseudo, s.srcIp);
  put32(pseudo + 4, s.dstIp);
  pseudo[8] = 0;
  pseudo[9] = 6;
  put16(pseudo + 10, uint32_t(tcpLen));
  put16(tcp + 16, fold(sum16(tcp, tcpLen, sum16(pseudo, 12, 0))));
  return b;
}

bool decode(const uint8_t *data, size_t len, Segment *out) {
  if (len < 40 || (data[0] >> 4) != 4 || data[9] != 6)
    return false;
  const size_t ihl = size_t(data[0] & 0xF) * 4;
  const size_t total = get16(data + 2);
  if (ihl < 20 || total > len || total < ihl + 20)
    return false;
  const uint8_t *tcp = data + ihl;
  const size_t off = size_t(tcp[12] >> 4) * 4;
  if (off < 20 || ihl + off > total)
    return false;
  Segment s;
  s.srcIp = get32(data + 12);
  s.dstIp = get32(data + 16);
  s.srcPort = get16(tcp);
  s.dstPort = get16(tcp + 2);
  s.seq = get32(tcp + 4);
  s.ack = get32(tcp + 8);
  s.flags = tcp[13];
  s.window = get16(tcp + 14);
  s.options.assign(tcp + 20, tcp + off);
  parseOptions(tcp + 20, off - 20, &s);
  s.payload.assign(tcp + off, data + total);
  *out = std::move(s);
  return true;
}

std::vector<uint8_t> synOptions(uint16_t mss, int shift) {
  std::vector<uint8_t> o = {2, 4, uint8_t(mss >> 8), uint8_t(mss)};
  if (shift >= 0) {
    o.insert(o.end(), {1, 3, 3, uint8_t(shift)});
  }
  return o;
}

}  // namespace fuzz::packet
