// One connection of the packet-level peer (peer_packet.cpp), as a TCP endpoint: its
// sequence spaces, its receive buffer and window, and what it does with each segment lwIP
// sends it. Every byte it sends is the pattern stream's at its sequence number, and every
// byte lwIP sends is checked against the library's stream the same way.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "api/peer.h"
#include "packet/wire.h"

namespace fuzz::api::peer {

constexpr uint16_t kMss = 1460;
constexpr uint16_t kFullWindow = 65535;

enum class Phase { None, Listening, SynSent, SynReceived, Established, Dead };

struct Conn {
  Phase phase = Phase::None;
  State st;
  uint16_t port = 0;       // ours
  uint16_t stackPort = 0;  // lwIP's
  bool offerScaling = false;
  bool scaled = false;  // window scaling agreed: lwIP's windows are shifted
  int stackShift = 0;
  uint16_t mss = 536;                        // what lwIP takes per segment
  uint32_t iss = 0, sndUna = 0, sndNxt = 0;  // our sequence space
  uint32_t irs = 0, rcvNxt = 0;              // lwIP's
  uint32_t stackWindow = 0;                  // what lwIP lets us have in flight
  // Our receive side, as a TCP's: a buffer of `window` bytes, filled while we do not read.
  // What we have announced is never taken back (lwIP, as RFC 1122 asks, ignores a
  // window that shrinks): data up to rightEdge is always taken.
  uint32_t window = kFullWindow;
  uint32_t buffered = 0;
  uint32_t rightEdge = 0;
};

bool seqLess(uint32_t a, uint32_t b);
bool live(const Conn &c);
// The bytes at sequence number seq of a stream that began at isn.
std::vector<uint8_t> streamBytes(uint32_t seq, uint32_t isn, size_t len);

packet::Segment segmentOf(Conn &c, uint8_t flags);  // announces c's window
void transmit(const packet::Segment &s);            // into lwIP, handled before it returns
uint64_t transmitted();                             // segments so far, for settling
void traceSegment(const char *direction, const packet::Segment &s);  // FUZZ_TRACE
void sendAck(Conn &c);
void sendData(Conn &c, uint32_t seq, size_t len);

void refuse(const packet::Segment &in);  // for no connection: a closed port's RST
void acceptSyn(Conn &c, const packet::Segment &in);
void onSegment(Conn &c, const packet::Segment &in);

}  // namespace fuzz::api::peer
