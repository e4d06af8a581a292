// The user callbacks of the API-sequence fuzzer. Each checks, as it runs, what the
// contract says about when it may run (docs: DESIGN.md §3): on the service thread only,
// never inside a public method, never after its client was deleted or after
// onDisconnect, nothing between onError and onDisconnect, received bytes in order, acks
// never beyond what was written. Then it runs the slot's deferred action for this event.
#include <cinttypes>

#include "api/harness.h"
#include "net/check.h"
#include "net/pattern.h"
#include "net/trace.h"

namespace fuzz::api {

thread_local bool t_inLibraryCall = false;
thread_local bool t_held = false;

namespace {

const char *cbName(Cb cb) {
  static const char *const names[] = {"onConnect", "onData",  "onAck",        "onPoll",
                                      "onTimeout", "onError", "onDisconnect", "onPacket"};
  return names[int(cb)];
}

void checkThread(Harness &h, const char *what) {
  FUZZ_REQUIRE(!t_inLibraryCall, "%s ran inside a public method", what);
  const std::thread::id me = std::this_thread::get_id();
  FUZZ_REQUIRE(me != h.fuzzerThread, "%s ran on the thread that called the library", what);
  std::lock_guard<std::mutex> g(h.mu);
  if (h.serviceThread == std::thread::id())
    h.serviceThread = me;
  FUZZ_REQUIRE(me == h.serviceThread, "%s ran on a second thread", what);
}

// The checks every callback of a client makes first.
Record *enter(void *arg, AsyncClient *c, Cb cb) {
  Harness &h = harness();
  auto *r = static_cast<Record *>(arg);
  FUZZ_TRACE("  cb %s slot %d\n", cbName(cb), r->slot);
  checkThread(h, cbName(cb));
  h.callbacks.fetch_add(1, std::memory_order_relaxed);
  std::lock_guard<std::mutex> g(h.mu);
  FUZZ_REQUIRE(!r->deleted, "%s after its client was deleted (slot %d)", cbName(cb), r->slot);
  FUZZ_REQUIRE(c == r->client, "%s for another client than its arg's", cbName(cb));
  FUZZ_REQUIRE(r->started, "%s before the connection began (slot %d)", cbName(cb), r->slot);
  FUZZ_REQUIRE(!r->ended, "%s after onDisconnect (slot %d)", cbName(cb), r->slot);
  FUZZ_REQUIRE(!r->errored || cb == Cb::Disconnect, "%s between onError and onDisconnect (slot %d)",
               cbName(cb), r->slot);
  return r;
}

void runDeferred(Record *r, AsyncClient *c, Event ev) {
  Harness &h = harness();
  Deferred d;
  {
    std::lock_guard<std::mutex> g(h.mu);
    auto it = r->deferred.begin();
    while (it != r->deferred.end() && it->event != ev && it->event != Event::Any)
      ++it;
    if (it == r->deferred.end())
      return;
    d = *it;
    r->deferred.erase(it);
  }
  runAction(r, c, d, true);
}

void onConnectCb(void *arg, AsyncClient *c) {
  Record *r = enter(arg, c, Cb::Connect);
  {
    std::lock_guard<std::mutex> g(harness().mu);
    FUZZ_REQUIRE(r->outgoing, "onConnect for an accepted client");
    FUZZ_REQUIRE(!r->connected, "a second onConnect");
    r->connected = true;
  }
  runDeferred(r, c, Event::Connect);
}

// Checks received bytes against the peer's stream; the caller holds mu.
void takeBytes(Record *r, const void *data, size_t len, const char *what) {
  FUZZ_REQUIRE(r->connected, "%s before onConnect (slot %d)", what, r->slot);
  FUZZ_REQUIRE(data && len > 0, "%s with no bytes", what);
  FUZZ_REQUIRE(matchesPattern(data, len, r->rxOffset),
               "%s: bytes lost, repeated or reordered in [%" PRIu64 ", +%zu) (slot %d)", what,
               r->rxOffset, len, r->slot);
  r->rxOffset += len;
}

void onDataCb(void *arg, AsyncClient *c, void *data, size_t len) {
  Record *r = enter(arg, c, Cb::Data);
  bool hold;
  {
    std::lock_guard<std::mutex> g(harness().mu);
    takeBytes(r, data, len, "onData");
    hold = r->ackMode == AckMode::HoldAll ||
           (r->ackMode == AckMode::HoldAlternate && (r->alternate = !r->alternate));
  }
  if (hold) {
    t_inLibraryCall = true;
    c->ackLater();
    t_inLibraryCall = false;
  }
  t_held = false;
  runDeferred(r, c, Event::Data);
  if (hold || t_held) {
    std::lock_guard<std::mutex> g(harness().mu);
    r->held += len;
  }
}

// The packet is ours until ackPacket(): kept as the ack mode says, given back at once
// otherwise (as onData's bytes are acknowledged when onData returns).
void onPacketCb(void *arg, AsyncClient *c, struct pbuf *pb) {
  Record *r = enter(arg, c, Cb::Packet);
  bool keep;
  {
    std::lock_guard<std::mutex> g(harness().mu);
    FUZZ_REQUIRE(pb && !pb->next && pb->len == pb->tot_len, "onPacket: not one single pbuf");
    takeBytes(r, pb->payload, pb->len, "onPacket");
    r->held += pb->len;
    keep = r->ackMode == AckMode::HoldAll ||
           (r->ackMode == AckMode::HoldAlternate && (r->alternate = !r->alternate));
    if (keep)
      r->packets.push_back(pb);
  }
  if (!keep) {
    t_inLibraryCall = true;
    c->ackPacket(pb);
    t_inLibraryCall = false;
  }
  runDeferred(r, c, Event::Data);
}

void onAckCb(void *arg, AsyncClient *c, size_t len, uint32_t) {
  Record *r = enter(arg, c, Cb::Ack);
  {
    std::lock_guard<std::mutex> g(harness().mu);
    FUZZ_REQUIRE(r->connected, "onAck before onConnect (slot %d)", r->slot);
    FUZZ_REQUIRE(len > 0, "onAck of 0 bytes (slot %d)", r->slot);
    r->acked += len;
    FUZZ_REQUIRE(r->acked <= r->accepted + r->writing,
                 "over-ack: onAck reported %" PRIu64 " bytes in all, %" PRIu64
                 " were written (slot %d)",
                 r->acked, r->accepted + r->writing, r->slot);
  }
  runDeferred(r, c, Event::Ack);
}

void onPollCb(void *arg, AsyncClient *c) {
  Record *r = enter(arg, c, Cb::Poll);
  {
    std::lock_guard<std::mutex> g(harness().mu);
    FUZZ_REQUIRE(r->connected, "onPoll before onConnect (slot %d)", r->slot);
  }
  runDeferred(r, c, Event::Poll);
}

void onTimeoutCb(void *arg, AsyncClient *c, uint32_t) {
  Record *r = enter(arg, c, Cb::Timeout);
  {
    std::lock_guard<std::mutex> g(harness().mu);
    FUZZ_REQUIRE(r->connected, "onTimeout before onConnect (slot %d)", r->slot);
  }
  runDeferred(r, c, Event::Timeout);
}

void onErrorCb(void *arg, AsyncClient *c, int8_t err) {
  Record *r = enter(arg, c, Cb::Error);
  {
    std::lock_guard<std::mutex> g(harness().mu);
    FUZZ_REQUIRE(err < 0 && (err >= ERR_ARG || err == ASYNC_TCP_ERR_DNS),
                 "onError(%d): not an lwIP error", err);
    r->errored = true;
    r->err = err;
  }
  runDeferred(r, c, Event::Error);
  std::lock_guard<std::mutex> g(harness().mu);
  if (r->deleted)
    r->deletedInError = true;  // ESP32's idiom: then no onDisconnect is owed
}

void onDisconnectCb(void *arg, AsyncClient *c) {
  Record *r = enter(arg, c, Cb::Disconnect);
  {
    std::lock_guard<std::mutex> g(harness().mu);
    r->ended = true;
  }
  runDeferred(r, c, Event::Disconnect);
}
}  // namespace

void installHandlers(AsyncClient *c, Record *r, uint8_t flags) {
  // Plain functions sharing one arg, as ESP32 code does, are kept inline; lambdas go to
  // the client's handler table. Both layouts are worth driving.
  if (flags & kOpenLambdas) {
    c->onConnect([](void *a, AsyncClient *cl) { onConnectCb(a, cl); }, r);
    c->onDisconnect([](void *a, AsyncClient *cl) { onDisconnectCb(a, cl); }, r);
    c->onError([](void *a, AsyncClient *cl, int8_t e) { onErrorCb(a, cl, e); }, r);
    c->onPoll([](void *a, AsyncClient *cl) { onPollCb(a, cl); }, r);
    c->onTimeout([](void *a, AsyncClient *cl, uint32_t t) { onTimeoutCb(a, cl, t); }, r);
  } else {
    c->onConnect(onConnectCb, r);
    c->onDisconnect(onDisconnectCb, r);
    c->onError(onErrorCb, r);
    c->onPoll(onPollCb, r);
    c->onTimeout(onTimeoutCb, r);
  }
  if (flags & kOpenPackets) {
    c->onData(nullptr, nullptr);
    c->onPacket(onPacketCb, r);
  } else {
    c->onPacket(nullptr, nullptr);
    c->onData(onDataCb, r);
  }
  c->onAck(flags & kOpenNoOnAck ? AcAckHandler() : AcAckHandler(onAckCb), r);
  if (flags & kOpenNoDelay)
    c->setNoDelay(true);
  if (flags & kOpenSmallBuffer)
    c->setSendBuffer(4096);
}

// The server's onClient: the connection the slot's peer made gets the slot's handlers.
void onClient(void *, AsyncClient *c) {
  Harness &h = harness();
  checkThread(h, "onClient");
  h.callbacks.fetch_add(1, std::memory_order_relaxed);
  t_inLibraryCall = true;
  const uint16_t port = c->remotePort();
  t_inLibraryCall = false;
  Record *r = nullptr;
  uint8_t flags = 0;
  {
    std::lock_guard<std::mutex> g(h.mu);
    for (int i = 0; i < kSlots && !r; ++i) {
      Slot &s = h.slots[i];
      if (!s.awaitingAccept || s.peerPort != port || s.client)
        continue;
      flags = s.openFlags;
      h.records.push_back(std::make_unique<Record>(i, false, c));
      r = h.records.back().get();
      r->started = r->connected = true;
      r->usePackets = flags & kOpenPackets;
      r->noOnAck = flags & kOpenNoOnAck;
    }
  }
  t_inLibraryCall = true;
  if (!r) {
    delete c;  // a connection no slot waits for (its peer gave up, or a stray segment)
    t_inLibraryCall = false;
    serverAfterOnClient();
    return;
  }
  installHandlers(c, r, flags);
  t_inLibraryCall = false;
  {
    std::lock_guard<std::mutex> g(h.mu);
    Slot &s = h.slots[r->slot];
    s.client = c;
    s.rec = r;
    s.awaitingAccept = false;
  }
  serverAfterOnClient();
}

}  // namespace fuzz::api
