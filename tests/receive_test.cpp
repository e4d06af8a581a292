// The receive side: onData, onPacket + ackPacket, ackLater + ack back-pressure.
#include "test_support.h"

#include <gtest/gtest.h>

#include <poll.h>

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

namespace {

// The client holds back every byte (ackLater) while `hold` is set.
struct HoldingClient {
  RawListener listener;
  std::atomic<bool> hold{true};
  std::atomic<size_t> heldBytes{0};
  ClientLog log;
  AsyncClient c;
  RawSocket peer;

  explicit HoldingClient(int peerSndbuf = 0) : listener("127.0.0.1", 8, 0, peerSndbuf) {
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
  EXPECT_LE(held, 1 * kMiB) << "the library buffered far more than the receive window";
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
