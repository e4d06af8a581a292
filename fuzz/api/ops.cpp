// Runs an input's program (program.h) on the fuzzer's thread. Nothing waits between
// ops unless the program says Settle, so the fuzzer's calls race the service thread's
// callbacks as a program's loop() races them on ESP32.
#include "api/harness.h"
#include "api/peer.h"
#include "backends/backend.h"
#include "net/byte_reader.h"
#include "net/check.h"
#include "net/prof.h"
#include "net/service_barrier.h"
#include "net/trace.h"
#include "net/virtual_clock.h"

namespace fuzz::api {

namespace {
constexpr int kMaxOps = 96;
constexpr size_t kMaxDeferred = 16;

Record *newRecord(int slot, bool outgoing, AsyncClient *c, uint8_t flags) {
  Harness &h = harness();
  std::lock_guard<std::mutex> g(h.mu);
  h.records.push_back(std::make_unique<Record>(slot, outgoing, c));
  Record *r = h.records.back().get();
  r->usePackets = flags & kOpenPackets;
  r->noOnAck = flags & kOpenNoOnAck;
  return r;
}

// A new client, or the slot's own once its last connection ended (ESP32 code reuses them).
void openOut(int slot, uint8_t flags) {
  Harness &h = harness();
  Slot &s = h.slots[slot];
  AsyncClient *c = nullptr;
  bool timeoutSet = false;
  {
    std::lock_guard<std::mutex> g(h.mu);
    if (s.awaitingAccept || (s.client && !s.rec->ended))
      return;
    c = s.client;  // taken out while its handlers change: a callback then cannot delete it
    s.client = nullptr;
    timeoutSet = c && s.rec->timeoutSet;  // settings outlive the connection, as on ESP32
  }
  if (!c)
    c = new AsyncClient();
  Record *r = newRecord(slot, true, c, flags);
  installHandlers(c, r, flags);
  if (flags & kOpenConnectTimeout)
    c->setConnectTimeout(50);
  peer::forget(slot);
  const bool refused = flags & kOpenRefused;
  {
    std::lock_guard<std::mutex> g(h.mu);
    r->started = true;  // callbacks may run before connect() returns
    r->timeoutSet = timeoutSet || (flags & kOpenConnectTimeout);
    r->endedByUs = r->timeoutSet;
  }
  t_inLibraryCall = true;
  const bool ok =
      c->connect(peer::peerAddress(), refused ? peer::closedPort() : peer::listenPort(slot));
  t_inLibraryCall = false;
  {
    std::lock_guard<std::mutex> g(h.mu);
    r->started = ok;
    r->refused = refused;
    s.client = c;
    s.rec = r;
    s.openFlags = flags;
  }
  if (ok && !refused)
    peer::accept(slot, flags);
}

// The peer connects; the server's onClient (callbacks.cpp) fills the slot.
void openIn(int slot, uint8_t flags) {
  Harness &h = harness();
  Slot &s = h.slots[slot];
  {
    std::lock_guard<std::mutex> g(h.mu);
    if (s.client || s.awaitingAccept)
      return;
  }
  peer::forget(slot);
  uint16_t serverPort;
  {
    std::lock_guard<std::mutex> g(h.mu);
    serverPort = h.server ? h.serverPort : 0;
  }
  if (!serverPort)
    return;  // deleted: nothing to connect to
  const bool ok = peer::connect(slot, serverPort, flags, [&](uint16_t port) {
    std::lock_guard<std::mutex> g(h.mu);
    s.awaitingAccept = true;
    s.peerPort = port;
    s.openFlags = flags & ~(kOpenRefused | kOpenConnectTimeout);
  });
  if (!ok) {
    std::lock_guard<std::mutex> g(h.mu);
    s.awaitingAccept = false;  // onClient may still hand a client over: it then deletes it
    return;
  }
  FUZZ_PROF("openIn: waiting for onClient");
  for (int round = 0;; ++round) {
    peer::stackBarrier();
    serviceBarrier();
    std::lock_guard<std::mutex> g(h.mu);
    if (!s.awaitingAccept)
      return;
    FUZZ_REQUIRE(round < 2000, "the server never handed over a connection (slot %d)", slot);
  }
}

// The fuzzer's thread deletes: the client leaves the slot first, so a callback deleting it
// at the same time backs off (actions.cpp) while this delete waits for that callback.
void deleteNow(int slot, bool closeFirst) {
  Harness &h = harness();
  AsyncClient *c;
  Record *r;
  {
    std::lock_guard<std::mutex> g(h.mu);
    c = h.slots[slot].client;
    r = h.slots[slot].rec;
    if (!c)
      return;
    h.slots[slot].client = nullptr;
    r->endedByUs = true;
  }
  t_inLibraryCall = true;
  if (closeFirst)
    c->close(true);
  delete c;
  t_inLibraryCall = false;
  std::lock_guard<std::mutex> g(h.mu);
  r->deleted = true;
}

void actNow(int slot, const Deferred &d) {
  if (d.action == Action::Delete || d.action == Action::CloseDelete) {
    deleteNow(slot, d.action == Action::CloseDelete);
    return;
  }
  Harness &h = harness();
  AsyncClient *c;
  Record *r;
  {
    std::lock_guard<std::mutex> g(h.mu);
    c = h.slots[slot].client;
    r = h.slots[slot].rec;
    if (!c)
      return;
    ++r->borrows;
  }
  runAction(r, c, d, false);
  {
    std::lock_guard<std::mutex> g(h.mu);
    --r->borrows;
  }
  h.borrowsDone.notify_all();
}

void defer(int slot, const Deferred &d) {
  Harness &h = harness();
  std::lock_guard<std::mutex> g(h.mu);
  Record *r = h.slots[slot].rec;
  if (r && !r->ended && r->deferred.size() < kMaxDeferred)
    r->deferred.push_back(d);
}

void setAckMode(int slot, AckMode mode) {
  Harness &h = harness();
  std::lock_guard<std::mutex> g(h.mu);
  if (Record *r = h.slots[slot].rec)
    r->ackMode = mode;
}

void noteStall(int slot) {
  Harness &h = harness();
  std::lock_guard<std::mutex> g(h.mu);
  if (Record *r = h.slots[slot].rec)
    r->peerStalled = true;
}

void advance(unsigned step) {
  static const uint64_t jumpsMs[] = {1, 30, 60, 250, 600, 1100, 3100, 5100, 10100};
  noteClockJump();
  clock::advanceMs(jumpsMs[step % (sizeof jumpsMs / sizeof jumpsMs[0])]);
  asynctcp::backend::wake();  // its next deadline may have passed
  peer::stackTimers();
}

Deferred readAction(ByteReader &in, Event event) {
  Deferred d;
  d.event = event;
  d.action = Action(in.pick(unsigned(Action::Count)));
  d.flags = in.u8();
  d.arg = in.u16();
  FUZZ_TRACE("  action %d event %d flags %#x arg %u\n", int(d.action), int(d.event), d.flags,
             d.arg);
  return d;
}

// Counted before the bytes go (the client may have them before send() returns), by
// every op that sends stream bytes.
void countPeerBytes(int slot, size_t len) {
  Harness &h = harness();
  std::lock_guard<std::mutex> g(h.mu);
  if (Record *r = h.slots[slot].rec)
    r->peerSent += len;
}

void peerSend(int slot, size_t len) {
  countPeerBytes(slot, len);
  peer::send(slot, len);
}

// What the peer did to the slot's current connection, for checkEnds() (finish.cpp).
void markPeerEnd(int slot, bool reset) {
  const peer::State p = peer::state(slot);
  Harness &h = harness();
  std::lock_guard<std::mutex> g(h.mu);
  Record *r = h.slots[slot].rec;
  if (!r || h.slots[slot].awaitingAccept)
    return;
  r->peerWild = r->peerWild || p.wild;
  if (reset && p.rstSent && !r->peerReset) {
    r->peerReset = true;
    r->peerAckable = p.ackable;
  } else if (!reset && p.finSent && !r->peerFin) {
    r->peerFin = true;
    r->peerTxAtFin = p.tx;
  }
}

const char *opName(Op op) {
  static const char *const names[] = {"OpenOut",    "OpenIn",      "Act",         "Defer",
                                      "AckMode",    "PeerSend",    "PeerReading", "PeerFin",
                                      "PeerRst",    "Advance",     "Settle",      "Server",
                                      "PeerWindow", "PeerReorder", "PeerRepeat",  "PeerRaw"};
  return names[int(op)];
}

prof::Counter &opCounter(Op op) {
  static prof::Counter counters[] = {
      prof::Counter("op OpenOut"),     prof::Counter("op OpenIn"),     prof::Counter("op Act"),
      prof::Counter("op Defer"),       prof::Counter("op AckMode"),    prof::Counter("op PeerSend"),
      prof::Counter("op PeerReading"), prof::Counter("op PeerFin"),    prof::Counter("op PeerRst"),
      prof::Counter("op Advance"),     prof::Counter("op Settle"),     prof::Counter("op Server"),
      prof::Counter("op PeerWindow"),  prof::Counter("op PeerReorder"), prof::Counter("op PeerRepeat"),
      prof::Counter("op PeerRaw")};
  return counters[int(op)];
}

uint64_t activity() {
  return harness().callbacks.load(std::memory_order_relaxed) + peer::pump();
}
}  // namespace

// Before the clocks jump: a connect the service thread has not seen complete yet may time
// out (its timers may run before it reads the completion), and a stack may give up on a
// peer that stopped reading. Neither end is a bug.
void noteClockJump() {
  Harness &h = harness();
  std::lock_guard<std::mutex> g(h.mu);
  for (Slot &s : h.slots) {
    if (!s.rec)
      continue;
    if (s.rec->outgoing && !s.rec->connected)
      s.rec->endedByUs = true;
    if (s.rec->peerStalled)
      s.rec->stalledLong = true;
  }
}

void settle() {
  FUZZ_PROF("settle");
  int still = 0;
  for (int round = 0; still < 2; ++round) {
    const uint64_t before = activity();
    peer::stackBarrier();
    serviceBarrierUnlessIdle();
    still = activity() == before ? still + 1 : 0;
    FUZZ_REQUIRE(round < 20000, "the connections never settle");
  }
}

void runProgram(const uint8_t *data, size_t size) {
  ByteReader in(data, size);
  for (int ops = 0; ops < kMaxOps && !in.done(); ++ops) {
    const uint8_t b = in.u8();
    const int slot = b & (kSlots - 1);
    const Op op = Op((b >> 2) % unsigned(Op::Count));
    FUZZ_TRACE("op %s slot %d\n", opName(op), slot);
    prof::Scope opScope(opCounter(op));
    switch (op) {
      case Op::OpenOut:
        openOut(slot, in.u8());
        break;
      case Op::OpenIn:
        openIn(slot, in.u8());
        break;
      case Op::Act:
        actNow(slot, readAction(in, Event::Any));
        break;
      case Op::Defer: {
        const Event event = Event(in.pick(unsigned(Event::Count)));
        defer(slot, readAction(in, event));
        break;
      }
      case Op::AckMode:
        setAckMode(slot, AckMode(in.pick(3)));
        break;
      case Op::PeerSend:
        peerSend(slot, in.u16());
        break;
      case Op::PeerReading: {
        const bool on = in.u8() & 1;
        if (!on)
          noteStall(slot);
        peer::setReading(slot, on);
        break;
      }
      case Op::PeerFin:
        peer::fin(slot);
        markPeerEnd(slot, false);
        break;
      case Op::PeerRst:
        peer::rst(slot);
        markPeerEnd(slot, true);
        break;
      case Op::Advance:
        advance(in.u8());
        break;
      case Op::Settle:
        settle();
        break;
      case Op::Server:
        serverOp(in.u8());
        break;
#if defined(FUZZ_PACKET_PEER)
      case Op::PeerWindow:
        noteStall(slot);
        peer::window(slot, in.u16());
        break;
      case Op::PeerReorder: {
        const size_t len = in.u16();
        countPeerBytes(slot, len);
        peer::reorder(slot, len);
        break;
      }
      case Op::PeerRepeat:
        peer::repeat(slot);
        break;
      case Op::PeerRaw: {
        const uint8_t flags = in.u8();
        const int16_t seqOffset = int16_t(in.u16());
        const int16_t ackOffset = int16_t(in.u16());
        const uint16_t window = in.u16();
        const size_t len = in.u8() * 8u;
        countPeerBytes(slot, len);
        peer::raw(slot, flags, seqOffset, ackOffset, window, len);
        markPeerEnd(slot, true);  // anything may follow: errors, lost bytes
        break;
      }
#endif
      case Op::Count:
        break;
    }
  }
}

}  // namespace fuzz::api
