// The receive side: onData, onPacket + ackPacket, ackLater + ack back-pressure.
// Posix-only regressions of over-acking: reliability/receive_test.cpp.
#include "test_support.h"

#include <gtest/gtest.h>

#include <sys/socket.h>

#include <poll.h>

#include <cstdint>
#include <thread>
#include <vector>

using namespace tst;

TEST(OnData, ReceivesPeerBytesInOrder) {
  RawListener listener;
  ClientLog log;
  AsyncClient c;
  log.attach(c);
  RawSocket peer = connectAndAccept(c, log, listener);
  ASSERT_TRUE(peer.valid());
  const std::string sent = pattern(256 * kKiB, 9);
  ASSERT_TRUE(peer.sendAll(sent));
  ASSERT_TRUE(log.waitReceived(sent.size())) << "received " << log.received();
  EXPECT_TRUE(log.data() == sent);
}

namespace {

struct PacketLog {
  std::mutex m;
  std::string bytes;
  int packets = 0;
  int badChains = 0;  // tot_len != sum of len, null payload or empty segment
  std::vector<pbuf *> held;
  size_t heldBytes = 0;

  // Walks the chain the way lwIP code does and checks its shape.
  void collect(pbuf *pb) {
    size_t sum = 0;
    std::string seg;
    for (pbuf *p = pb; p != nullptr; p = p->next) {
      if (p->payload == nullptr || p->len == 0)
        badChains++;
      seg.append(static_cast<const char *>(p->payload), p->len);
      sum += p->len;
    }
    if (sum != pb->tot_len)
      badChains++;
    bytes += seg;
    packets++;
  }
  size_t size() {
    std::lock_guard<std::mutex> lock(m);
    return bytes.size();
  }
};

}  // namespace

TEST(OnPacket, ReplacesOnDataAndDeliversWellFormedPbufs) {
  RawListener listener;
  PacketLog packets;
  ClientLog log;
  AsyncClient c;
  log.attach(c);  // installs onData; onPacket must take precedence
  c.onPacket([&packets](void *, AsyncClient *cl, pbuf *pb) {
    {
      std::lock_guard<std::mutex> lock(packets.m);
      packets.collect(pb);
    }
    cl->ackPacket(pb);
  });
  RawSocket peer = connectAndAccept(c, log, listener);
  ASSERT_TRUE(peer.valid());
  const std::string sent = pattern(200 * kKiB, 4);
  ASSERT_TRUE(peer.sendAll(sent));
  ASSERT_TRUE(waitFor([&] { return packets.size() >= sent.size(); }))
      << "got " << packets.size() << " of " << sent.size();
  std::lock_guard<std::mutex> lock(packets.m);
  EXPECT_TRUE(packets.bytes == sent);
  EXPECT_GT(packets.packets, 0);
  EXPECT_EQ(packets.badChains, 0);
  EXPECT_EQ(log.received(), 0u) << "onData was called although onPacket is set";
}

TEST(OnPacket, HeldPbufsStayValidUntilAckPacketFromAnotherThread) {
  RawListener listener;
  PacketLog packets;
  ClientLog log;
  AsyncClient c;
  log.attach(c);
  c.onPacket([&packets](void *, AsyncClient *, pbuf *pb) {
    std::lock_guard<std::mutex> lock(packets.m);
    packets.held.push_back(pb);
    packets.heldBytes += pb->tot_len;
  });
  RawSocket peer = connectAndAccept(c, log, listener);
  ASSERT_TRUE(peer.valid());
  const std::string first = pattern(8 * kKiB, 12);
  ASSERT_TRUE(peer.sendAll(first));
  ASSERT_TRUE(waitFor([&] {
    std::lock_guard<std::mutex> lock(packets.m);
    return packets.heldBytes >= first.size();
  }));
  // Later data must not overwrite held pbufs.
  const std::string second = pattern(8 * kKiB, 13);
  ASSERT_TRUE(peer.sendAll(second));
  ASSERT_TRUE(waitFor([&] {
    std::lock_guard<std::mutex> lock(packets.m);
    return packets.heldBytes >= first.size() + second.size();
  }));
  std::vector<pbuf *> held;
  {
    std::lock_guard<std::mutex> lock(packets.m);
    held = packets.held;
    for (pbuf *pb : held)
      packets.collect(pb);
    EXPECT_TRUE(packets.bytes == first + second);
    EXPECT_EQ(packets.badChains, 0);
  }
  for (pbuf *pb : held)
    c.ackPacket(pb);
  EXPECT_TRUE(c.connected());
}

TEST(OnPacket, LwipHandsOverItsOwnSegmentPbufs) {
  if (!kLwip)
    GTEST_SKIP() << "lwIP only: posix builds its pbufs from the bytes it read from the socket";
  RawListener listener;
  PacketLog packets;
  int oversized = 0, chained = 0;
  ClientLog log;
  AsyncClient c;
  log.attach(c);
  c.onPacket([&](void *, AsyncClient *, pbuf *pb) {
    std::lock_guard<std::mutex> lock(packets.m);
    // One pbuf per call, as ESP32 delivers them, each holding one TCP segment's payload: no
    // larger than the MSS of the 1500-byte TAP link.
    if (pb->next != nullptr || pb->tot_len != pb->len || pb->ref != 1)
      chained++;
    if (pb->len > 1460)
      oversized++;
    packets.held.push_back(pb);
    packets.heldBytes += pb->len;
  });
  RawSocket peer = connectAndAccept(c, log, listener);
  ASSERT_TRUE(peer.valid());
  const std::string sent = pattern(32 * kKiB, 14);
  ASSERT_TRUE(peer.sendAll(sent));
  ASSERT_TRUE(waitFor([&] {
    std::lock_guard<std::mutex> lock(packets.m);
    return packets.heldBytes >= sent.size();
  }));
  std::vector<pbuf *> held;
  {
    std::lock_guard<std::mutex> lock(packets.m);
    held = packets.held;
    for (pbuf *pb : held)
      packets.collect(pb);
    EXPECT_TRUE(packets.bytes == sent);
    EXPECT_GT(held.size(), sent.size() / 1460 - 1) << "packets were merged, not lwIP's segments";
    EXPECT_EQ(chained, 0);
    EXPECT_EQ(oversized, 0);
  }
#if defined(ASYNCTCP_BACKEND_LWIP)
  // They are lwIP's own: a reference taken with pbuf_ref() keeps one alive past ackPacket().
  pbuf *kept = held.front();
  pbuf_ref(kept);
  for (pbuf *pb : held)
    c.ackPacket(pb);
  EXPECT_TRUE(std::string(static_cast<const char *>(kept->payload), kept->len) ==
              sent.substr(0, kept->len));
  pbuf_free(kept);
#endif
  // Every byte was handed back, so the whole window is open again: 60 KiB more arrive although
  // 32 KiB of the 64 KiB window were held before.
  const std::string more = pattern(60 * kKiB, 15);
  ASSERT_TRUE(peer.sendAll(more));
  EXPECT_TRUE(waitFor([&] {
    std::lock_guard<std::mutex> lock(packets.m);
    return packets.heldBytes >= sent.size() + more.size();
  })) << "the window did not reopen after ackPacket()";
  std::vector<pbuf *> later;
  {
    std::lock_guard<std::mutex> lock(packets.m);
    later.assign(packets.held.begin() + static_cast<long>(held.size()), packets.held.end());
  }
  for (pbuf *pb : later)  // not under the lock: onPacket takes it on the service thread
    c.ackPacket(pb);
  EXPECT_TRUE(c.connected());
}

namespace {

// The client holds back every byte (ackLater) while `hold` is set.
struct HoldingClient {
  RawListener listener;
  std::atomic<bool> hold{true};
  std::atomic<size_t> heldBytes{0};
  ClientLog log;
  AsyncClient c;
  RawSocket peer;

  explicit HoldingClient(int peerSndbuf = 0) : listener(peerIp4(), 8, 0, peerSndbuf) {
    ClientHooks hooks;
    hooks.onData = [this](AsyncClient *cl, void *, size_t len) {
      if (hold) {
        cl->ackLater();
        heldBytes += len;
      }
    };
    log.attach(c, hooks);
    peer = connectAndAccept(c, log, listener);
    if (peer.valid())
      peer.setNonBlocking(true);
  }
};

}  // namespace

TEST(AckLater, StallsPeerUntilAckThenDeliversEveryByte) {
  HoldingClient h(16 * 1024);
  ASSERT_TRUE(h.peer.valid());
  // The peer writes until its send buffer stays full: the client must stop reading.
  constexpr size_t kCap = 64 * kMiB;
  constexpr size_t kChunk = 64 * kKiB;
  size_t total = 0;
  bool stalled = false;
  while (total < kCap) {
    const std::string chunk = pattern(kChunk, 77, total);
    long n = h.peer.trySend(chunk.data(), chunk.size());
    ASSERT_GE(n, 0) << "peer send failed";
    total += static_cast<size_t>(n);
    if (n == 0) {
      pollfd p{h.peer.fd(), POLLOUT, 0};
      if (::poll(&p, 1, 300) == 0) {
        stalled = true;
        break;
      }
    }
  }
  ASSERT_TRUE(stalled) << "the peer wrote " << total
                       << " bytes without stalling: the library kept reading unacked data";
  const size_t held = h.log.received();
  EXPECT_GT(held, 0u);
  EXPECT_LT(held, total);
  EXPECT_LE(held, receiveHoldBound()) << "the library buffered far more than its receive window";
  EXPECT_EQ(h.heldBytes.load(), held);

  // Release: from now on onData acks, and the held bytes are acked explicitly.
  h.hold = false;
  EXPECT_EQ(h.c.ack(held), held);
  const std::string rest = pattern(512 * kKiB, 77, total);
  ASSERT_TRUE(h.peer.sendAll(rest, 10000ms)) << "peer stayed stalled after ack()";
  total += rest.size();
  ASSERT_TRUE(h.log.waitReceived(total, 10000ms))
      << "received " << h.log.received() << " of " << total;
  const std::string got = h.log.data();
  EXPECT_EQ(got.size(), total);
  EXPECT_TRUE(got == pattern(total, 77)) << "bytes lost, repeated or reordered";
}

TEST(AckLater, ABurstThatPiledUpInTheSocketIsHeldToTheWindow) {
  // While the service thread is busy, a burst piles up in the client's socket. Once the loop
  // reads again, a client that holds back every byte is handed the window's worth, not the
  // whole pile (io_uring: not every buffer the ring has before its receive is stopped).
  RawListener listener(peerIp4(), 8, 0, 4 * kMiB);
  std::atomic<bool> hold{true}, slept{false};
  std::atomic<size_t> held{0};
  ClientLog log;
  AsyncClient c;
  ClientHooks hooks;
  hooks.onData = [&](AsyncClient *cl, void *, size_t len) {
    if (hold) {
      cl->ackLater();
      held += len;
    }
    if (!slept.exchange(true))
      std::this_thread::sleep_for(300ms);  // the loop is busy: the burst piles up
  };
  log.attach(c, hooks);
  RawSocket peer = connectAndAccept(c, log, listener);
  ASSERT_TRUE(peer.valid());
  setLibrarySocketOption(c.localPort(), SO_RCVBUFFORCE, 4 * kMiB);  // root: past rmem_max
  peer.setNonBlocking(true);
  const std::string burst = pattern(2 * kMiB, 45);
  ASSERT_EQ(peer.trySend(burst.data(), 1), 1);
  ASSERT_TRUE(waitFor([&] { return slept.load(); }));
  size_t sent = 1;
  const auto until = Clock::now() + 200ms;  // inside the client's callback
  while (sent < burst.size() && Clock::now() < until) {
    long n = peer.trySend(burst.data() + sent, burst.size() - sent);
    ASSERT_GE(n, 0);
    sent += size_t(n);
    if (n == 0)
      std::this_thread::sleep_for(5ms);
  }
  std::this_thread::sleep_for(400ms);  // the callback returned; the loop read what it would
  EXPECT_GT(sent, receiveHoldBound()) << "the burst did not pile up: the test shows nothing";
  EXPECT_LE(held.load(), receiveHoldBound())
      << "the library was handed far more than its receive window";

  // Released: every byte arrives, once and in order.
  hold = false;
  EXPECT_EQ(c.ack(SIZE_MAX), held.load());
  ASSERT_TRUE(peer.sendAll(burst.data() + sent, burst.size() - sent, 10000ms));
  ASSERT_TRUE(log.waitReceived(burst.size(), 10000ms)) << log.received() << " of " << burst.size();
  EXPECT_TRUE(log.data() == burst) << "bytes lost, repeated or reordered";
}

TEST(Ack, ReturnsAtMostTheHeldBytes) {
  HoldingClient h;
  ASSERT_TRUE(h.peer.valid());
  ASSERT_TRUE(h.peer.sendAll(pattern(100)));
  ASSERT_TRUE(h.log.waitReceived(100));
  EXPECT_EQ(h.c.ack(30), 30u);
  EXPECT_EQ(h.c.ack(1000), 70u);
  EXPECT_EQ(h.c.ack(1), 0u);
  EXPECT_TRUE(h.c.connected());
}

TEST(Ack, WithoutAckLaterReturnsZero) {
  RawListener listener;
  ClientLog log;
  AsyncClient c;
  log.attach(c);
  RawSocket peer = connectAndAccept(c, log, listener);
  ASSERT_TRUE(peer.valid());
  ASSERT_TRUE(peer.sendAll(pattern(100)));
  ASSERT_TRUE(log.waitReceived(100));
  EXPECT_EQ(c.ack(50), 0u);
}

TEST(AckLater, AckedDataThenPeerCloseEndsCleanly) {
  // Held data acked from the main thread, then the peer's FIN: one clean disconnect.
  HoldingClient h;
  ASSERT_TRUE(h.peer.valid());
  ASSERT_TRUE(h.peer.sendAll(pattern(10 * kKiB, 31)));
  ASSERT_TRUE(h.log.waitReceived(10 * kKiB));
  EXPECT_EQ(h.c.ack(10 * kKiB), 10 * kKiB);
  h.peer.close();
  EXPECT_TRUE(h.log.waitDisconnected());
  EXPECT_TRUE(h.log.data() == pattern(10 * kKiB, 31));
  EXPECT_TRUE(h.log.errors().empty());
}

TEST(OnPacket, AckPacketWithNullIsIgnored) {
  RawListener listener;
  ClientLog log;
  AsyncClient c;
  log.attach(c);
  RawSocket peer = connectAndAccept(c, log, listener);
  ASSERT_TRUE(peer.valid());
  c.ackPacket(nullptr);
  ASSERT_TRUE(peer.sendAll("still fine"));
  ASSERT_TRUE(log.waitReceived(10));
  EXPECT_EQ(log.data(), "still fine");
}

namespace {

// One end of a connection inside this process: writes `sender`'s payload as fast as its budget
// allows and, while `hold` is set, holds back (ackLater) everything it receives.
struct StallingEnd {
  explicit StallingEnd(uint32_t seed) : sender(pattern(512 * kKiB, seed)) {}
  Sender sender;
  std::atomic<bool> hold{true};
  std::mutex m;
  std::string got;

  void attach(AsyncClient *c) {
    c->onData([this](void *, AsyncClient *cl, void *data, size_t len) {
      if (hold)
        cl->ackLater();
      std::lock_guard<std::mutex> lock(m);
      got.append(static_cast<const char *>(data), len);
    });
    c->onAck([this](void *, AsyncClient *cl, size_t, uint32_t) { sender.pump(cl); });
    c->onPoll([this](void *, AsyncClient *cl) { sender.pump(cl); });
  }
  size_t received() {
    std::lock_guard<std::mutex> lock(m);
    return got.size();
  }
  bool receivedAll(const std::string &expected) {
    std::lock_guard<std::mutex> lock(m);
    return got == expected;
  }
};

}  // namespace

TEST(AckLater, BothEndsOfALocalConnectionStallThenResume) {
  // Both windows closed at once, for longer than lwIP's first zero-window probes. lwIP
  // 2.1.3 answers each empty segment with an ACK at zero window, so two lwIP ends in that state
  // used to ping-pong ACKs forever under the core lock: the ack() calls below then never ran.
  StallingEnd clientEnd(91), serverEnd(92);
  std::atomic<AsyncClient *> accepted{nullptr};
  std::atomic<int> serverDisconnects{0};
  AsyncServer server(loopback4(), 0);
  server.onClient(
      [&](void *, AsyncClient *c) {
        serverEnd.attach(c);
        c->onDisconnect([&serverDisconnects](void *, AsyncClient *cl) {
          serverDisconnects++;
          delete cl;
        });
        serverEnd.sender.pump(c);
        accepted = c;
      },
      nullptr);
  server.begin();
  ASSERT_EQ(server.status(), LISTEN);
  AsyncClient c;
  clientEnd.attach(&c);
  c.onConnect([&clientEnd](void *, AsyncClient *cl) { clientEnd.sender.pump(cl); });
  ASSERT_TRUE(c.connect(loopback4(), server.port()));
  ASSERT_TRUE(waitFor([&] { return accepted.load() != nullptr; }));
  ASSERT_TRUE(waitFor([&] { return clientEnd.received() > 0 && serverEnd.received() > 0; }));
  std::this_thread::sleep_for(5000ms);  // lwIP probes a zero window after 1.5 s, then 3 s later
  EXPECT_LT(clientEnd.received(), 512 * kKiB) << "the client did not hold its window closed";
  EXPECT_LT(serverEnd.received(), 512 * kKiB) << "the server did not hold its window closed";

  clientEnd.hold = false;
  serverEnd.hold = false;
  c.ack(SIZE_MAX);  // everything held so far
  accepted.load()->ack(SIZE_MAX);
  EXPECT_TRUE(waitFor([&] { return clientEnd.received() == 512 * kKiB; }, 10000ms))
      << "client received " << clientEnd.received();
  EXPECT_TRUE(waitFor([&] { return serverEnd.received() == 512 * kKiB; }, 10000ms))
      << "server received " << serverEnd.received();
  EXPECT_TRUE(clientEnd.receivedAll(serverEnd.sender.payload()));
  EXPECT_TRUE(serverEnd.receivedAll(clientEnd.sender.payload()));
  c.close();
  EXPECT_TRUE(waitFor([&] { return serverDisconnects == 1; }));
}
