// The packet-level fuzzer's own lwIP netif (10.0.0.1/24, no link layer): every IPv4
// packet lwIP routes to 10.0.0.0/24 comes out here and waits in a queue for the fuzzer,
// and the fuzzer's packets go into lwIP through ip_input() on the fuzzer's thread, under
// lwIP's core lock, so each is handled before inject() returns. Deterministic: no thread
// and no timer of its own.
#pragma once

#include <cstdint>
#include <vector>

namespace fuzz::packet {

constexpr uint32_t kStackIp = 0x0A000001;  // 10.0.0.1, lwIP's end
constexpr uint32_t kPeerIp = 0x0A000002;   // 10.0.0.2, the fuzzer's end

void addNetif();  // once, after the stack started
void inject(const std::vector<uint8_t> &packet);
std::vector<std::vector<uint8_t>> takeSent();  // what lwIP sent since the last call
uint64_t packetsSent();                        // ever, for settling

}  // namespace fuzz::packet
