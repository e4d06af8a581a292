// The peers of the packet-level fuzzer (fuzz_lwip_packet): a small TCP of the fuzzer's
// own at 10.0.0.2, on the far side of the fuzzer's netif (packet/fuzz_netif.h). It reads
// every segment lwIP sends, checks the bytes against the library's stream, and answers
// with correct sequence and acknowledgement numbers: handshakes both ways, data within
// lwIP's window, ACKs, FIN, RST, window updates, retransmissions when the clock jumps.
// Besides, it sends what the program asks for that no socket would: out-of-order data,
// repeated data, zero windows, and arbitrary segments (raw(): flags, sequence and
// acknowledgement offsets, window and length from the input).
//
// The fuzzer's thread drives it; lwIP handles each injected segment before inject()
// returns, and its answers wait in the netif's queue until pump() reads them.
#include <algorithm>
#include <cstdlib>

#include "api/packet_conn.h"
#include "api/peer.h"
#include "api/program.h"
#include "net/lwip_leaks.h"
#include "net/lwip_stack.h"
#include "net/lwip_workarounds.h"
#include "packet/fuzz_netif.h"

namespace fuzz::api::peer {

namespace {
using packet::Segment;

constexpr uint16_t kListenBase = 7000;  // the slots' listeners: 10.0.0.2:7000 + slot
constexpr uint16_t kClosedPort = 9;     // nothing listens: SYNs get a RST

Conn g_conns[kSlots];
uint16_t g_nextPort = 20000;
uint32_t g_issCount = 0;
uint16_t g_serverPort = 0;
uint64_t g_handled = 0;

void chooseIss(Conn &c, int slot, uint8_t flags) {
  // Near the top of the sequence space on request: the numbers wrap mid-stream.
  c.iss = (flags & kOpenPeerOptions) ? 0xFFFFF000u - g_issCount * 0x100
                                     : 0x01000000u * uint32_t(slot + 1) + g_issCount * 0x10000;
  ++g_issCount;
  c.sndUna = c.iss;
  c.sndNxt = c.iss + 1;
}

// lwIP 2.1.3 (master too) queues a first out-of-order segment that starts inside its
// receive window without trimming it to the window; when the gap fills, the segment no
// longer fits and tcp_receive() fails LWIP_ASSERT("tcp_receive: ooseq tcplen > rcv_wnd")
// and aborts. A remote peer can do that to any program on the lwIP build (reproducer:
// corpus/lwip_packet/regress_lwip_ooseq_assert). Raw segments that reach into lwIP's
// window end short of its right edge here, so fuzzing goes past it; whatever else they
// are stays (FUZZ_LWIP_STRICT=1: no clamp).
void clampToWindow(const Conn &c, uint32_t seq, uint8_t *flags, size_t *len) {
  const uint32_t rightEdge = c.sndUna + c.stackWindow;
  if (!seqLess(seq, rightEdge))
    return;  // starts past the window: lwIP drops it
  // One short of the edge, wherever the segment starts (lwIP trims what it already has
  // and takes the rest in order): the in-order bug below (usableWindow) applies to raw
  // segments too.
  const uint32_t limit = c.stackWindow ? rightEdge - 1 : rightEdge;
  const uint32_t room = seqLess(seq, limit) ? limit - seq : 0;
  const uint32_t fin = (*flags & packet::kFin) ? 1 : 0;
  if (*len + fin <= room)
    return;
  *len = room;
  *flags &= uint8_t(~packet::kFin);
}

// The other side of the same queue: an in-order segment that covers a FIN lwIP holds out
// of order takes the FIN over, one sequence number more, after it was trimmed to the
// window; if it filled the window, tcp_receive() fails LWIP_ASSERT("tcp_receive: tcplen
// > rcv_wnd") and aborts (reproducer: corpus/lwip_packet/regress_lwip_fin_over_window).
// Only a peer that sent a FIN out of order and data past it gets there: once a raw segment
// was sent, the stream's data stops one short of lwIP's right edge.
uint32_t usableWindow(const Conn &c) {
  return c.st.wild && !lwip::strict() && c.stackWindow ? c.stackWindow - 1 : c.stackWindow;
}

Conn *connFor(const Segment &in) {
  for (Conn &c : g_conns)
    if (live(c) && c.port == in.dstPort && c.stackPort == in.srcPort)
      return &c;
  return nullptr;
}

void handle(const Segment &in) {
  traceSegment("<-", in);
  ++g_handled;
  if (Conn *c = connFor(in)) {
    onSegment(*c, in);
    return;
  }
  for (int i = 0; i < kSlots; ++i) {
    Conn &c = g_conns[i];
    if (c.phase == Phase::Listening && in.dstPort == c.port &&
        (in.flags & (packet::kSyn | packet::kAck | packet::kRst)) == packet::kSyn) {
      acceptSyn(c, in);
      return;
    }
  }
  refuse(in);
}

void drop(Conn &c) {
  if (live(c))
    transmit(segmentOf(c, packet::kRst | packet::kAck));
  c = Conn();
}

uint16_t nextPort() {
  g_nextPort = g_nextPort >= 60000 ? 20000 : g_nextPort + 1;
  return g_nextPort;
}
}  // namespace

void init() {
  packet::addNetif();
  std::atexit(lwip::reportWorkarounds);
}

IPAddress serverAddress() {
  return IPAddress(10, 0, 0, 1);
}

IPAddress peerAddress() {
  return IPAddress(10, 0, 0, 2);
}

uint16_t listenPort(int slot) {
  return uint16_t(kListenBase + slot);
}

uint16_t closedPort() {
  return kClosedPort;
}

void forget(int slot) {
  drop(g_conns[slot]);
  g_conns[slot].phase = Phase::Listening;  // the slot's client may connect from now on
  g_conns[slot].port = listenPort(slot);
}

bool accept(int slot, uint8_t flags) {
  Conn &c = g_conns[slot];
  c.offerScaling = flags & kOpenPeerOptions;
  chooseIss(c, slot, flags);
  for (int round = 0; round < 8 && c.phase != Phase::Established; ++round)
    pump();
  return c.phase == Phase::Established;
}

bool connect(int slot, uint16_t serverPort, uint8_t flags,
             const std::function<void(uint16_t)> &bound) {
  Conn &c = g_conns[slot];
  c = Conn();
  g_serverPort = serverPort;
  c.port = nextPort();
  c.stackPort = serverPort;
  c.offerScaling = flags & kOpenPeerOptions;
  chooseIss(c, slot, flags);
  c.phase = Phase::SynSent;
  bound(c.port);
  Segment s = segmentOf(c, packet::kSyn);
  s.seq = c.iss;
  s.ack = 0;
  s.window = kFullWindow;
  s.options = packet::synOptions(kMss, c.offerScaling ? 0 : -1);
  transmit(s);
  for (int round = 0; round < 8 && c.phase == Phase::SynSent; ++round)
    pump();
  return c.phase == Phase::Established;
}

size_t send(int slot, size_t len) {
  // A burst of segments, handled by lwIP one after the other as its tcpip thread handles
  // what a netif queued: the core lock is not let go (and taken back) for each.
  lwip::CoreLock burst;
  Conn &c = g_conns[slot];
  if (c.phase != Phase::Established || c.st.finSent)
    return 0;
  size_t sent = 0;
  const uint32_t window = usableWindow(c);
  while (sent < len) {
    const uint32_t inFlight = c.sndNxt - c.sndUna;
    if (inFlight >= window)
      break;
    const size_t n = std::min({len - sent, size_t(c.mss), size_t(window - inFlight)});
    sendData(c, c.sndNxt, n);
    c.sndNxt += uint32_t(n);
    c.st.tx += n;
    sent += n;
  }
  return sent;
}

void setReading(int slot, bool on) {
  Conn &c = g_conns[slot];
  c.st.reading = on;
  if (!on)
    return;
  c.st.rx += c.buffered;  // read at last
  c.buffered = 0;
  c.window = kFullWindow;
  if (c.phase == Phase::Established)
    sendAck(c);  // the window opens
}

void fin(int slot) {
  Conn &c = g_conns[slot];
  if (c.phase != Phase::Established || c.st.finSent)
    return;
  transmit(segmentOf(c, packet::kFin | packet::kAck));
  c.sndNxt += 1;
  c.st.finSent = true;
}

void rst(int slot) {
  Conn &c = g_conns[slot];
  if (!c.st.present)
    return;
  State st = c.st;
  st.ackable = st.rx + c.buffered;  // we acknowledge what we take, no more
  transmit(segmentOf(c, packet::kRst | packet::kAck));
  c = Conn();
  c.st = st;
  c.st.present = false;
  c.st.rstSent = true;
}

State state(int slot) {
  return g_conns[slot].st;
}

State stateUnlocked(int slot) {
  return g_conns[slot].st;
}

uint64_t pump() {
  for (const std::vector<uint8_t> &bytes : packet::takeSent()) {
    Segment in;
    if (packet::decode(bytes.data(), bytes.size(), &in) && in.srcIp == packet::kStackIp &&
        in.dstIp == packet::kPeerIp)
      handle(in);
  }
  return g_handled + transmitted() + packet::packetsSent();
}

void stackBarrier() {}  // segments go into lwIP synchronously: nothing is in flight

void window(int slot, uint16_t window) {
  Conn &c = g_conns[slot];
  c.window = window;
  if (c.phase == Phase::Established)
    sendAck(c);
}

void reorder(int slot, size_t len) {
  lwip::CoreLock burst;
  Conn &c = g_conns[slot];
  if (c.phase != Phase::Established || c.st.finSent)
    return;
  const uint32_t room = c.stackWindow - std::min(c.stackWindow, c.sndNxt - c.sndUna);
  const size_t n = std::min({len, size_t(2 * c.mss), size_t(room)});
  if (n < 2)
    return;
  const size_t first = n / 2;
  sendData(c, c.sndNxt + uint32_t(first), n - first);  // lwIP keeps it out of order
  sendData(c, c.sndNxt, first);
  c.sndNxt += uint32_t(n);
  c.st.tx += n;
}

void repeat(int slot) {
  lwip::CoreLock burst;
  Conn &c = g_conns[slot];
  if (c.phase != Phase::Established)
    return;
  const uint32_t dataEnd = c.st.finSent ? c.sndNxt - 1 : c.sndNxt;
  for (uint32_t seq = c.sndUna; seqLess(seq, dataEnd);) {
    const size_t n = std::min(size_t(dataEnd - seq), size_t(c.mss));
    sendData(c, seq, n);
    seq += uint32_t(n);
  }
  if (c.st.finSent && c.sndUna != c.sndNxt) {
    Segment s = segmentOf(c, packet::kFin | packet::kAck);
    s.seq = c.sndNxt - 1;
    transmit(s);
  }
}

void raw(int slot, uint8_t flags, int16_t seqOffset, int16_t ackOffset, uint16_t window,
         size_t len) {
  Conn &c = g_conns[slot];
  if (c.phase == Phase::None || c.phase == Phase::Dead || !c.stackPort) {
    if (!g_serverPort)
      return;
    c.port = c.port ? c.port : nextPort();  // a stray segment to the server
    c.stackPort = g_serverPort;
  }
  Segment s = segmentOf(c, flags);
  s.seq = c.sndNxt + uint32_t(int32_t(seqOffset));
  s.ack = c.rcvNxt + uint32_t(int32_t(ackOffset));
  s.window = window;
  if (c.phase == Phase::Established && !lwip::strict())
    clampToWindow(c, s.seq, &s.flags, &len);
  s.payload = streamBytes(s.seq, c.iss, len);  // the stream's own bytes, wherever they land
  if (flags & packet::kSyn)
    s.options = packet::synOptions(kMss, -1);
  c.st.wild = true;
  transmit(s);
}

void stackTimers() {
  lwip::runDueTimers();
  pump();  // keep-alives and window probes answered before lwIP's next tick, as a peer would
  for (int i = 0; i < kSlots; ++i)  // our own retransmission timer, on the same jump
    if (g_conns[i].sndUna != g_conns[i].sndNxt)
      repeat(i);
}

bool stackRunsOnRealTime() {
  // lwIP's run on the virtual clock, the packet peer's on the jumps
  return false;
}

bool stackGivesUp() {
  return true;
}

uint64_t ackDelayMs() {
  return 260;  // lwIP's delayed ACK goes out on its 250 ms fast timer
}

bool moreHoldsData() {
  return false;
}

void resetAll() {
  for (Conn &c : g_conns)
    drop(c);
  g_nextPort = 20000;
  g_issCount = 0;
}

void checkNoLeaks() {
  lwip::checkNoLeaks();
  packet::takeSent();  // the resets of the pcbs it aborted
}

}  // namespace fuzz::api::peer
