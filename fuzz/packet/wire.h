// IPv4 + TCP on the wire, for the packet-level fuzzer: segments it builds for lwIP and the
// ones lwIP sends back. Only what a TCP peer needs: no IP options, no fragments.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace fuzz::packet {

constexpr uint8_t kFin = 0x01, kSyn = 0x02, kRst = 0x04, kPsh = 0x08, kAck = 0x10, kUrg = 0x20;

struct Segment {
  uint32_t srcIp = 0, dstIp = 0;  // host order
  uint16_t srcPort = 0, dstPort = 0;
  uint32_t seq = 0, ack = 0;
  uint8_t flags = 0;
  uint16_t window = 0;
  std::vector<uint8_t> options;  // raw, padded to 4 bytes when encoded
  std::vector<uint8_t> payload;
  // Parsed from options (decode only).
  uint16_t mss = 0;      // 0: none
  int windowShift = -1;  // -1: no window-scale option
};

std::vector<uint8_t> encode(const Segment &s);               // with correct IP and TCP checksums
bool decode(const uint8_t *data, size_t len, Segment *out);  // false: not TCP over IPv4

// Options for a SYN: MSS, and window scaling when shift >= 0.
std::vector<uint8_t> synOptions(uint16_t mss, int shift);

}  // namespace fuzz::packet
