#include "api/packet_conn.h"

#include <algorithm>
#include <cinttypes>

#include "net/check.h"
#include "net/pattern.h"
#include "net/trace.h"
#include "packet/fuzz_netif.h"

namespace fuzz::api::peer {

using packet::Segment;

namespace {
uint64_t g_transmitted = 0;

// Byte i of a stream is pattern(i), for any i: a segment may start before the stream
// (sequence numbers wrap, raw segments go anywhere), so the offset is signed and taken
// modulo the pattern's period, as the pattern is periodic.
uint64_t streamOffset(uint32_t seq, uint32_t isn) {
  const int64_t off = int32_t(seq - isn - 1);
  const int64_t period = int64_t(kPatternPeriod);
  return uint64_t((off % period + period) % period);
}

bool seqLessOrEqual(uint32_t a, uint32_t b) {
  return !seqLess(b, a);
}

// The window we announce now: the buffer's room.
uint16_t announce(Conn &c) {
  const uint32_t room = c.window > c.buffered ? c.window - c.buffered : 0;
  const uint16_t w = uint16_t(std::min<uint32_t>(room, kFullWindow));
  if (seqLess(c.rightEdge, c.rcvNxt + w))
    c.rightEdge = c.rcvNxt + w;
  return w;
}
}  // namespace

bool seqLess(uint32_t a, uint32_t b) {
  return int32_t(a - b) < 0;
}

bool live(const Conn &c) {
  return c.phase == Phase::SynSent || c.phase == Phase::SynReceived ||
         c.phase == Phase::Established;
}

// The bytes at sequence number seq of a stream that began at isn.
std::vector<uint8_t> streamBytes(uint32_t seq, uint32_t isn, size_t len) {
  const char *p = patternAt(streamOffset(seq, isn));
  return std::vector<uint8_t>(p, p + std::min(len, kMaxPatternRun));
}

Segment segmentOf(Conn &c, uint8_t flags) {
  Segment s;
  s.srcIp = packet::kPeerIp;
  s.dstIp = packet::kStackIp;
  s.srcPort = c.port;
  s.dstPort = c.stackPort;
  s.seq = c.sndNxt;
  s.ack = c.rcvNxt;
  s.flags = flags;
  s.window = announce(c);
  return s;
}

void traceSegment(const char *dir, const Segment &s) {
  FUZZ_TRACE("    %s %u>%u %s%s%s%s%s seq %u ack %u win %u len %zu\n", dir, s.srcPort, s.dstPort,
             (s.flags & packet::kSyn) ? "S" : "", (s.flags & packet::kFin) ? "F" : "",
             (s.flags & packet::kRst) ? "R" : "", (s.flags & packet::kPsh) ? "P" : "",
             (s.flags & packet::kAck) ? "." : "", s.seq, s.ack, s.window, s.payload.size());
}

void transmit(const Segment &s) {
  traceSegment("->", s);
  packet::inject(packet::encode(s));
  ++g_transmitted;
}

uint64_t transmitted() {
  return g_transmitted;
}

void sendAck(Conn &c) {
  transmit(segmentOf(c, packet::kAck));
}

void sendData(Conn &c, uint32_t seq, size_t len) {
  Segment s = segmentOf(c, packet::kAck | packet::kPsh);
  s.seq = seq;
  s.payload = streamBytes(seq, c.iss, len);
  transmit(s);
}

// A segment for no connection of ours: what a closed port answers.
void refuse(const Segment &in) {
  if (in.flags & packet::kRst)
    return;
  Segment s;
  s.srcIp = packet::kPeerIp;
  s.dstIp = packet::kStackIp;
  s.srcPort = in.dstPort;
  s.dstPort = in.srcPort;
  if (in.flags & packet::kAck) {
    s.seq = in.ack;
    s.flags = packet::kRst;
  } else {
    s.ack = in.seq + uint32_t(in.payload.size()) + ((in.flags & packet::kSyn) ? 1 : 0) +
            ((in.flags & packet::kFin) ? 1 : 0);
    s.flags = packet::kRst | packet::kAck;
  }
  transmit(s);
}

// lwIP's SYN to a slot's listener (its client connecting): answered with a SYN-ACK.
void acceptSyn(Conn &c, const Segment &in) {
  c.stackPort = in.srcPort;
  c.irs = in.seq;
  c.rcvNxt = in.seq + 1;
  c.rightEdge = c.rcvNxt;
  c.mss = in.mss ? std::min(in.mss, kMss) : 536;
  c.scaled = c.offerScaling && in.windowShift >= 0;
  c.stackShift = c.scaled ? in.windowShift : 0;
  c.stackWindow = in.window;  // never scaled in a SYN
  c.phase = Phase::SynReceived;
  Segment s = segmentOf(c, packet::kSyn | packet::kAck);
  s.seq = c.iss;
  s.options = packet::synOptions(kMss, c.scaled ? 0 : -1);
  transmit(s);
}

// lwIP's SYN-ACK to our SYN (the peer connecting to the library's server).
void connected(Conn &c, const Segment &in) {
  c.irs = in.seq;
  c.rcvNxt = in.seq + 1;
  c.rightEdge = c.rcvNxt;
  c.sndUna = in.ack;
  c.mss = in.mss ? std::min(in.mss, kMss) : 536;
  c.scaled = c.offerScaling && in.windowShift >= 0;
  c.stackShift = c.scaled ? in.windowShift : 0;
  c.stackWindow = in.window;
  c.phase = Phase::Established;
  c.st.present = true;
  sendAck(c);
}

// Bytes and FIN from lwIP: each byte is checked against the library's stream wherever it
// lands; the in-order ones within the window we announced are taken (read, or buffered
// while we do not read), the rest (lwIP's window probes) only answered.
static bool takeData(Conn &c, const Segment &in) {
  const uint32_t len = uint32_t(in.payload.size());
  if (len) {
    FUZZ_REQUIRE(matchesPattern(in.payload.data(), len, streamOffset(in.seq, c.irs)),
                 "lwIP sent bytes that are not the library's stream at offset %" PRId32,
                 int32_t(in.seq - c.irs - 1));
    uint32_t end = in.seq + len;
    if (seqLess(c.rightEdge, end))
      end = c.rightEdge;
    if (seqLessOrEqual(in.seq, c.rcvNxt) && seqLess(c.rcvNxt, end)) {
      const uint32_t n = end - c.rcvNxt;
      c.rcvNxt = end;
      if (c.st.reading)
        c.st.rx += n;
      else
        c.buffered += n;
    }
  }
  if ((in.flags & packet::kFin) && in.seq + len == c.rcvNxt && !c.st.gotEof) {
    c.rcvNxt += 1;
    c.st.gotEof = true;
  }
  // Data, a FIN, or a probe or keep-alive below rcvNxt: each gets an ACK.
  return len || (in.flags & packet::kFin) || seqLess(in.seq, c.rcvNxt);
}

void onSegment(Conn &c, const Segment &in) {
  if (in.flags & packet::kRst) {
    c.phase = Phase::Dead;
    c.st.present = false;
    c.st.gotRst = true;
    return;
  }
  if (c.phase == Phase::SynSent) {
    if ((in.flags & (packet::kSyn | packet::kAck)) == (packet::kSyn | packet::kAck) &&
        in.ack == c.iss + 1)
      connected(c, in);
    return;
  }
  if (in.flags & packet::kSyn) {
    // A repeated SYN or SYN-ACK: our answer was lost to lwIP's view, say it again.
    if (c.phase == Phase::SynReceived) {
      Segment s = segmentOf(c, packet::kSyn | packet::kAck);
      s.seq = c.iss;
      s.options = packet::synOptions(kMss, c.scaled ? 0 : -1);
      transmit(s);
    } else {
      sendAck(c);
    }
    return;
  }
  if (in.flags & packet::kAck) {
    if (seqLess(c.sndUna, in.ack) && !seqLess(c.sndNxt, in.ack))
      c.sndUna = in.ack;
    c.stackWindow = uint32_t(in.window) << c.stackShift;
    if (c.phase == Phase::SynReceived && in.ack == c.iss + 1) {
      c.phase = Phase::Established;
      c.st.present = true;
    }
  }
  if (c.phase == Phase::Established && takeData(c, in))
    sendAck(c);
}

}  // namespace fuzz::api::peer
