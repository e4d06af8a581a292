// One Action on a client, the same whether the fuzzer's thread calls it (the client
// borrowed from its slot, ops.cpp) or one of the client's callbacks does (deferred).
#include <cinttypes>

#include "api/harness.h"
#include "net/check.h"
#include "net/pattern.h"

namespace fuzz::api {

namespace {

// Marks a library call made by this thread: a callback that runs inside it breaks the
// contract (callbacks.cpp checks).
template <class F>
auto libraryCall(F &&f) -> decltype(f()) {
  struct Mark {
    Mark() { t_inLibraryCall = true; }
    ~Mark() { t_inLibraryCall = false; }
  } mark;
  return f();
}

// The next bytes of the record's stream. Serialised per record, so the stream stays in
// order with writers on both threads; `writing` covers acks that beat the return.
void writeStream(Record *r, AsyncClient *c, const Deferred &d) {
  Harness &h = harness();
  std::lock_guard<std::mutex> w(r->writeMu);
  const size_t len = (d.flags & 4) ? size_t(d.arg) * 2 : d.arg;  // past space() too
  uint64_t offset;
  {
    std::lock_guard<std::mutex> g(h.mu);
    offset = r->accepted;
    r->writing = len;
  }
  const uint8_t flags =
      ((d.flags & 1) ? ASYNC_WRITE_FLAG_COPY : 0) | ((d.flags & 2) ? ASYNC_WRITE_FLAG_MORE : 0);
  const char *data = patternAt(offset);  // static: zero-copy writes stay valid
  size_t n = libraryCall([&] {
    if (d.action == Action::Write)
      return c->write(data, len, flags);
    size_t taken = c->add(data, len, flags);
    if (d.action == Action::AddSend)
      c->send();
    return taken;
  });
  std::lock_guard<std::mutex> g(h.mu);
  FUZZ_REQUIRE(n <= len, "add()/write() took %zu of %zu bytes", n, len);
  r->accepted += n;
  r->writing = 0;
  if (n)
    r->moreTail = flags & ASYNC_WRITE_FLAG_MORE;
}

}  // namespace

// What ack() may release: bytes onData left held; with onPacket also the bytes of a
// packet being handed over right now (the library counts a packet as held before its
// callback runs, so an ack() from another thread may take it first).
void checkAckBound(const Record *r) {
  const uint64_t inDelivery = r->usePackets ? r->peerSent - r->rxOffset : 0;
  FUZZ_REQUIRE(r->ackReturned <= r->held + inDelivery,
               "over-ack: ack() released %" PRIu64 " bytes in all, %" PRIu64 " were held (slot %d)",
               r->ackReturned, r->held + inDelivery, r->slot);
}

namespace {
void ack(Record *r, AsyncClient *c, size_t len) {
  size_t n = libraryCall([&] { return c->ack(len); });
  std::lock_guard<std::mutex> g(harness().mu);
  FUZZ_REQUIRE(n <= len, "ack(%zu) returned %zu", len, n);
  r->ackReturned += n;
  checkAckBound(r);
}

void ackPacket(Record *r, AsyncClient *c) {
  struct pbuf *pb = nullptr;
  {
    std::lock_guard<std::mutex> g(harness().mu);
    if (r->packets.empty())
      return;
    pb = r->packets.front();
    r->packets.erase(r->packets.begin());
  }
  libraryCall([&] { c->ackPacket(pb); });
}

// Every query, for what it does under the sanitizers: addresses, settings, state names.
void query(AsyncClient *c) {
  IPAddress a = c->remoteIP();
  a = c->localIP();
  a = c->remoteIP6();
  (void)a;
  (void)c->getRemoteAddress4();
  (void)c->getLocalAddress6();
  const uint32_t sum = c->getRemoteAddress() + c->getLocalAddress() + c->remotePort() +
                       c->localPort() + c->getMss() + c->getRxTimeout() + c->getAckTimeout() +
                       c->getConnectTimeout() + c->getPollInterval() + uint32_t(c->lastErrno()) +
                       c->getNoDelay() + c->connecting() + c->connected() + c->disconnecting() +
                       c->disconnected() + c->freeable() + c->free();
  (void)sum;
  FUZZ_REQUIRE(c->stateToString() != nullptr, "stateToString() returned null");
}

// What the queries say must agree with the record: room within the send buffer (a
// negative space() would show as a huge one), and none at all once the connection ended
// (judged before the queries: the record only ever moves towards ended).
void checkSpace(Record *r, AsyncClient *c) {
  bool over;
  {
    std::lock_guard<std::mutex> g(harness().mu);
    over = r->ended || r->errored || !r->started;
  }
  size_t space = 0, budget = 0, taken = 0;
  bool canSend = false;
  uint8_t state = 0;
  libraryCall([&] {
    space = c->space();
    canSend = c->canSend();
    budget = c->getSendBuffer();
    state = c->state();
    query(c);
  });
  const size_t limit = budget > 65536 ? budget : 65536;
  FUZZ_REQUIRE(space <= limit, "space() = %zu, beyond a send buffer of %zu (negative?)", space,
               budget);
  if (!over)
    return;
  taken = libraryCall([&] { return c->add(patternAt(0), 16); });
  FUZZ_REQUIRE(space == 0 && !canSend && taken == 0 && state == CLOSED,
               "an ended connection: space() %zu, canSend() %d, add() took %zu, state %u", space,
               canSend, taken, state);
}

// Deleting from the client's own callback, which the contract allows. The slot gives the
// client up first; when the fuzzer's thread has taken it already, that thread is
// deleting it right now (waiting for this callback), and this delete is not ours.
void deleteFromCallback(Record *r, AsyncClient *c, bool closeFirst) {
  Harness &h = harness();
  if (closeFirst)
    libraryCall([&] { c->close(true); });
  {
    std::unique_lock<std::mutex> g(h.mu);
    Slot &s = h.slots[r->slot];
    if (s.client != c)
      return;
    s.client = nullptr;
    r->endedByUs = true;
    // Calls the fuzzer's thread has under way on c never wait for a callback: they end.
    h.borrowsDone.wait(g, [&] { return r->borrows == 0; });
  }
  libraryCall([&] { delete c; });
  std::lock_guard<std::mutex> g(h.mu);
  r->deleted = true;
}
}  // namespace

void runAction(Record *r, AsyncClient *c, const Deferred &d, bool inCallback) {
  static const uint32_t ackTimeouts[] = {0, 10, 100, 1000};
  switch (d.action) {
    case Action::Write:
    case Action::Add:
    case Action::AddSend:
      writeStream(r, c, d);
      break;
    case Action::Send:
      libraryCall([&] { return c->send(); });
      break;
    case Action::Ack:
      ack(r, c, d.arg);
      break;
    case Action::AckPacket:
      ackPacket(r, c);
      break;
    case Action::Hold:
      if (inCallback) {
        libraryCall([&] { c->ackLater(); });
        t_held = true;
      }
      break;
    case Action::Close:
    case Action::Abort: {
      {
        std::lock_guard<std::mutex> g(harness().mu);
        r->endedByUs = true;
      }
      if (d.action == Action::Close) {
        libraryCall([&] { c->close(); });
        break;
      }
      int8_t e = libraryCall([&] { return c->abort(); });
      FUZZ_REQUIRE(e == ERR_ABRT || e == ERR_CONN, "abort() returned %d", e);
      if (e == ERR_ABRT) {
        std::lock_guard<std::mutex> g(harness().mu);
        r->mustErr = ERR_ABRT;
      }
      break;
    }
    case Action::Delete:
    case Action::CloseDelete:
      if (inCallback)
        deleteFromCallback(r, c, d.action == Action::CloseDelete);
      break;
    case Action::RxTimeout: {
      const uint32_t s = d.arg % 4;
      if (s) {
        std::lock_guard<std::mutex> g(harness().mu);
        r->endedByUs = r->timeoutSet = true;  // it may close the connection
      }
      libraryCall([&] { c->setRxTimeout(s); });
      break;
    }
    case Action::AckTimeout:
      libraryCall([&] { c->setAckTimeout(ackTimeouts[d.arg % 4]); });
      break;
    case Action::NoDelay:
      libraryCall([&] { c->setNoDelay(d.arg & 1); });
      break;
    case Action::DropOnAck:
      if (inCallback) {
        libraryCall([&] { c->onAck(nullptr, nullptr); });
        std::lock_guard<std::mutex> g(harness().mu);
        r->noOnAck = true;
      }
      break;
    case Action::Space:
      checkSpace(r, c);
      break;
    case Action::Timers: {
      static const uint32_t pollsMs[] = {0, 10, 100, 500};
      if (d.arg & 4) {
        // Keep-alive may end a connection: on lwIP, turned on after a long idle time it
        // aborts at the next slow tick without a probe (lwIP's keep-alive counts idle
        // time from the last segment, not from the setting).
        std::lock_guard<std::mutex> g(harness().mu);
        r->endedByUs = r->timeoutSet = true;
      }
      libraryCall([&] {
        c->setPollInterval(pollsMs[d.arg % 4]);
        c->setKeepAlive((d.arg & 4) ? 1000 : 0, 3);
      });
      break;
    }
    case Action::SendBuffer:
      libraryCall([&] { c->setSendBuffer(size_t(1024) << (d.arg % 8)); });
      checkSpace(r, c);
      break;
    case Action::Count:
      break;
  }
}

}  // namespace fuzz::api
