// The end of an input: what must have happened by now, then a clean slate. Every byte
// written reached the peer and was acknowledged by onAck, every byte the peer sent
// reached onData, a graceful close delivers everything before the FIN, every connection
// that began ended exactly once (with the error abort() promised, and no error without a
// cause), and once everything is deleted the stack holds nothing of ours.
#include <chrono>
#include <cinttypes>
#include <cstdint>
#include <thread>

#include "api/harness.h"
#include "api/peer.h"
#include "backends/backend.h"
#include "net/check.h"
#include "net/prof.h"
#include "net/virtual_clock.h"

namespace fuzz::api {

namespace {
constexpr int kMaxRounds = 400;
constexpr int kRoundsBeforeRealTime = 16;  // clock steps before a wait lets real time pass

// From here on only the fuzzer's thread acts: no deferred action runs, no callback
// deletes a client, and data is acknowledged as it comes.
void stopActing() {
  Harness &h = harness();
  std::lock_guard<std::mutex> g(h.mu);
  for (Slot &s : h.slots) {
    if (s.rec) {
      s.rec->ackMode = AckMode::Now;
      s.rec->deferred.clear();
    }
  }
}

// Every held byte and packet given back, and every peer reading. Returns whether that
// released anything (else what settled before is still settled).
bool releaseHeld() {
  Harness &h = harness();
  bool released = false;
  for (int i = 0; i < kSlots; ++i) {
    AsyncClient *c;
    Record *r;
    std::vector<struct pbuf *> packets;
    {
      std::lock_guard<std::mutex> g(h.mu);
      c = h.slots[i].client;
      r = h.slots[i].rec;
      if (!r)
        continue;
      packets.swap(r->packets);
    }
    released = released || !packets.empty() || !peer::state(i).reading;
    peer::setReading(i, true);
    if (!c) {
      for (struct pbuf *pb : packets)
        pbuf_free(pb);  // its client was deleted with them unreturned
      continue;
    }
    t_inLibraryCall = true;
    const size_t n = c->ack(SIZE_MAX);
    for (struct pbuf *pb : packets)
      c->ackPacket(pb);
    t_inLibraryCall = false;
    released = released || n > 0;
    std::lock_guard<std::mutex> g(h.mu);
    r->ackReturned += n;
    checkAckBound(r);
  }
  return released;
}

struct Owed {
  int slot;
  const char *what;
  uint64_t have, want;
};

// The first thing a live connection still owes, if any.
bool findOwed(Owed *o) {
  Harness &h = harness();
  for (int i = 0; i < kSlots; ++i) {
    const peer::State p = peer::state(i);
    std::lock_guard<std::mutex> g(h.mu);
    const Record *r = h.slots[i].rec;
    if (!h.slots[i].client || !r->started || !r->connected || r->ended || r->errored)
      continue;
    if (!p.present || p.gotRst || p.gotEof || p.wild)
      continue;
    // "More follows" and none did: the stack may keep the tail back for a while.
    const bool tailHeld = r->moreTail && peer::moreHoldsData();
    if (p.rx < r->accepted && !tailHeld) {
      *o = {i, "bytes written that never reached the peer", p.rx, r->accepted};
      return true;
    }
    if (!r->noOnAck && r->acked < r->accepted && !tailHeld) {
      *o = {i, "bytes the peer read that onAck never reported", r->acked, r->accepted};
      return true;
    }
    if (r->rxOffset < p.tx) {
      *o = {i, "bytes the peer sent that never reached onData", r->rxOffset, p.tx};
      return true;
    }
  }
  return false;
}

// One step of the waits below: the clocks jump past the stack's slowest ack. Where the
// stack's own timers run on real time (Linux's: a zero-window probe, a corked tail), a
// wait that goes on lets real time pass too, a little per step: else the library's clock
// would run its deadlines out (a close()'s 10 s to flush, then a reset) in a few
// milliseconds of the kernel's, and the checks would blame the library for that.
void stepClocks(int round) {
  noteClockJump();
  clock::advanceMs(peer::ackDelayMs());
  if (round >= kRoundsBeforeRealTime && peer::stackRunsOnRealTime())
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  asynctcp::backend::wake();
  peer::stackTimers();
}

// Lets time pass (acks learned on a timer, delayed ACKs) until nothing is owed.
void awaitDelivery() {
  for (int round = 0;; ++round) {
    Owed o;
    if (!findOwed(&o))
      return;
    FUZZ_REQUIRE(round < kMaxRounds, "%s (slot %d): %" PRIu64 " of %" PRIu64, o.what, o.slot,
                 o.have, o.want);
    stepClocks(round);
    settle();
  }
}

// Closes what is still open; a connection whose peer has everything so far must then
// deliver a FIN after exactly the bytes written.
void closeAll() {
  Harness &h = harness();
  bool clean[kSlots] = {};
  Record *closed[kSlots] = {};
  for (int i = 0; i < kSlots; ++i) {
    const peer::State p = peer::state(i);
    AsyncClient *c;
    {
      std::lock_guard<std::mutex> g(h.mu);
      c = h.slots[i].client;
      Record *r = h.slots[i].rec;
      if (!c || !r->started || r->ended)
        continue;
      clean[i] = r->connected && !r->errored && p.present && !p.finSent && !p.gotRst && !p.gotEof &&
                 !p.wild;
      closed[i] = r;
      r->endedByUs = true;
    }
    t_inLibraryCall = true;
    c->close();
    t_inLibraryCall = false;
  }
  int rounds = 0;
  const uint64_t startUs = clock::nowUs();
  for (int round = 0;; ++round) {
    rounds = round;
    settle();
    int waiting = -1;
    for (int i = 0; i < kSlots && waiting < 0; ++i) {
      const peer::State p = peer::state(i);
      std::lock_guard<std::mutex> g(h.mu);
      if (closed[i] && !closed[i]->ended)
        waiting = i;
      else if (clean[i] && !p.gotEof && !p.gotRst)
        waiting = i;
    }
    if (waiting < 0)
      break;
    FUZZ_REQUIRE(round < kMaxRounds, "close() never ended slot %d (onDisconnect or the FIN)",
                 waiting);
    stepClocks(round);
  }
  for (int i = 0; i < kSlots; ++i) {
    if (!clean[i])
      continue;
    const peer::State p = peer::state(i);
    FUZZ_REQUIRE(!p.gotRst,
                 "a graceful close() reset the connection (slot %d; after %d rounds, %" PRIu64
                 " ms on the library's clock)",
                 i, rounds, (clock::nowUs() - startUs) / 1000);
    FUZZ_REQUIRE(p.rx == closed[i]->accepted,
                 "the peer read %" PRIu64 " bytes before the FIN, %" PRIu64
                 " were written (slot %d)",
                 p.rx, closed[i]->accepted, i);
  }
}

// Every record, once everything has been closed: how did its connection end?
void checkEnds() {
  Harness &h = harness();
  std::lock_guard<std::mutex> g(h.mu);
  for (const auto &rp : h.records) {
    const Record &r = *rp;
    if (!r.started || (r.deleted && !r.ended && !r.deletedInError))
      continue;  // never began, or deleted first: nothing was owed
    FUZZ_REQUIRE(r.ended || r.deletedInError, "a connection never ended (slot %d)", r.slot);
    if (r.mustErr)
      FUZZ_REQUIRE(r.errored && r.err == r.mustErr,
                   "abort() returned ERR_ABRT, then onError %s%d (slot %d)",
                   r.errored ? "said " : "never came: ", r.err, r.slot);
    const bool gaveUp = r.stalledLong && peer::stackGivesUp() && r.err == ERR_ABRT;
    if (r.errored)
      FUZZ_REQUIRE(r.endedByUs || r.refused || r.peerReset || r.peerWild || gaveUp,
                   "onError(%d) though nothing failed (slot %d)", r.err, r.slot);
    if (r.peerWild)
      continue;  // past a segment no TCP would send, anything may happen
    if (r.peerReset)
      FUZZ_REQUIRE(r.acked <= r.peerAckable,
                   "onAck reported %" PRIu64 " bytes, the peer had %" PRIu64
                   " when it reset (slot %d)",
                   r.acked, r.peerAckable, r.slot);
    if (r.ended && !r.errored && !r.endedByUs && r.peerReset && !r.peerFin)
      FUZZ_FAIL("the peer's RST ended the connection without onError (slot %d)", r.slot);
    if (r.ended && !r.errored && !r.endedByUs && r.peerFin && !r.peerReset)
      FUZZ_REQUIRE(r.rxOffset == r.peerTxAtFin,
                   "the peer's FIN ended the connection after %" PRIu64 " of %" PRIu64
                   " bytes (slot %d)",
                   r.rxOffset, r.peerTxAtFin, r.slot);
  }
}

// Every client deleted, then the packets still held (by records of ended connections
// too) given back to the stack.
void deleteAll() {
  Harness &h = harness();
  for (int i = 0; i < kSlots; ++i) {
    AsyncClient *c;
    Record *r;
    {
      std::lock_guard<std::mutex> g(h.mu);
      c = h.slots[i].client;
      r = h.slots[i].rec;
      h.slots[i].client = nullptr;
    }
    if (!c)
      continue;
    t_inLibraryCall = true;
    delete c;
    t_inLibraryCall = false;
    std::lock_guard<std::mutex> g(h.mu);
    r->deleted = true;
  }
  std::lock_guard<std::mutex> g(h.mu);
  for (auto &r : h.records) {
    for (struct pbuf *pb : r->packets)
      pbuf_free(pb);
    r->packets.clear();
  }
}
}  // namespace

void finishInput() {
  stopActing();
  {
    FUZZ_PROF("finish: settle, release held");
    settle();
    if (releaseHeld())
      settle();
  }
  {
    FUZZ_PROF("finish: awaitDelivery");
    awaitDelivery();
  }
  {
    FUZZ_PROF("finish: closeAll");
    closeAll();
  }
  checkEnds();
  {
    FUZZ_PROF("finish: delete, reset, listen");
    deleteAll();
    peer::resetAll();
    serverListen();  // as at the start: a listening server is in the leak baselines
    settle();
  }
  {
    FUZZ_PROF("finish: checkNoLeaks");
    peer::checkNoLeaks();
  }
  Harness &h = harness();
  std::lock_guard<std::mutex> g(h.mu);
  for (Slot &s : h.slots)
    s = Slot();
  h.records.clear();
}

}  // namespace fuzz::api
