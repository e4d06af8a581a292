// The send side: space(), add(), send(), write(), zero-copy, and onAck accounting.
#include "test_support.h"

#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <algorithm>
#include <cstring>
#include <memory>
#include <string>
#include <thread>
#include <vector>

using namespace tst;

namespace {

const size_t kBudget = sendBudget();

struct SpaceProbe {
  std::mutex m;
  size_t before = 0, taken = 0, after = 0;
  bool canSendAfter = true;
  bool done = false;
};

}  // namespace

TEST(Space, ShrinksByExactlyTheBytesAdded) {
  RawListener listener;
  SpaceProbe probe;
  ClientLog log;
  AsyncClient c;
  ClientHooks hooks;
  hooks.onConnect = [&](AsyncClient *cl) {
    const std::string data = pattern(1000);
    std::lock_guard<std::mutex> lock(probe.m);
    probe.before = cl->space();
    probe.taken = cl->add(data.data(), data.size());
    probe.after = cl->space();
    cl->send();
    probe.done = true;
  };
  log.attach(c, hooks);
  RawSocket peer = connectAndAccept(c, log, listener);
  ASSERT_TRUE(peer.valid());
  ASSERT_TRUE(waitFor([&] {
    std::lock_guard<std::mutex> lock(probe.m);
    return probe.done;
  }));
  std::lock_guard<std::mutex> lock(probe.m);
  EXPECT_EQ(probe.before, kBudget);
  EXPECT_EQ(probe.taken, 1000u);
  EXPECT_EQ(probe.after, kBudget - 1000);
}

TEST(Space, RecoversAfterPeerAcknowledges) {
  RawListener listener;
  ClientLog log;
  AsyncClient c;
  ClientHooks hooks;
  hooks.onConnect = [](AsyncClient *cl) {
    const std::string data = pattern(20000);
    cl->write(data.data(), data.size());
  };
  log.attach(c, hooks);
  RawSocket peer = connectAndAccept(c, log, listener);
  ASSERT_TRUE(peer.valid());
  std::string got;
  ASSERT_TRUE(peer.recvExactly(20000, got));
  ASSERT_TRUE(log.waitAcked(20000));
  EXPECT_TRUE(waitFor([&] { return c.space() == kBudget; }, 2000ms)) << "space " << c.space();
  EXPECT_TRUE(c.canSend());
}

TEST(Add, TakesAtMostSpaceThenCanSendIsFalse) {
  RawListener listener;
  SpaceProbe probe;
  ClientLog log;
  AsyncClient c;
  ClientHooks hooks;
  hooks.onConnect = [&](AsyncClient *cl) {
    const std::string data = pattern(100 * kKiB);
    std::lock_guard<std::mutex> lock(probe.m);
    probe.before = cl->space();
    probe.taken = cl->add(data.data(), data.size());
    probe.after = cl->space();
    probe.canSendAfter = cl->canSend();
    cl->send();
    probe.done = true;
  };
  log.attach(c, hooks);
  RawSocket peer = connectAndAccept(c, log, listener);
  ASSERT_TRUE(peer.valid());
  ASSERT_TRUE(waitFor([&] {
    std::lock_guard<std::mutex> lock(probe.m);
    return probe.done;
  }));
  {
    std::lock_guard<std::mutex> lock(probe.m);
    EXPECT_EQ(probe.taken, probe.before);
    EXPECT_EQ(probe.taken, kBudget);
    EXPECT_EQ(probe.after, 0u);
    EXPECT_FALSE(probe.canSendAfter);
  }
  // Exactly the accepted prefix arrives.
  std::string got;
  ASSERT_TRUE(peer.recvExactly(kBudget, got));
  EXPECT_TRUE(got == pattern(kBudget));
  c.close();
  std::string rest;
  EXPECT_EQ(peer.readUntilEnd(3000ms, &rest), PeerEnd::Eof);
  EXPECT_EQ(rest.size(), 0u);
}

TEST(Add, NullDataOrZeroSizeReturnsZero) {
  RawListener listener;
  ClientLog log;
  AsyncClient c;
  log.attach(c);
  RawSocket peer = connectAndAccept(c, log, listener);
  ASSERT_TRUE(peer.valid());
  EXPECT_EQ(c.add(nullptr, 10), 0u);
  EXPECT_EQ(c.add("abc", 0), 0u);
  EXPECT_EQ(c.add(nullptr, 10, 0), 0u);
  EXPECT_EQ(c.write(nullptr, 10), 0u);
  EXPECT_EQ(c.write(static_cast<const char *>(nullptr)), 0u);
  EXPECT_EQ(c.space(), kBudget);
  EXPECT_TRUE(c.connected());
}

TEST(Write, LargerThanSpaceTakesOnlySpace) {
  RawListener listener;
  ClientLog log;
  AsyncClient c;
  log.attach(c);
  RawSocket peer = connectAndAccept(c, log, listener);
  ASSERT_TRUE(peer.valid());
  const std::string big = pattern(100 * kKiB, 3);
  EXPECT_EQ(c.write(big.data(), big.size()), kBudget);
  std::string got;
  ASSERT_TRUE(peer.recvExactly(kBudget, got));
  EXPECT_TRUE(got == big.substr(0, kBudget));
}

TEST(Write, CStringSendsTextWithoutTerminator) {
  RawListener listener;
  ClientLog log;
  AsyncClient c;
  log.attach(c);
  RawSocket peer = connectAndAccept(c, log, listener);
  ASSERT_TRUE(peer.valid());
  EXPECT_EQ(c.write("hello"), 5u);
  ASSERT_TRUE(log.waitAcked(5));
  c.close();
  std::string got;
  EXPECT_EQ(peer.readUntilEnd(3000ms, &got), PeerEnd::Eof);
  EXPECT_EQ(got, "hello");
}

TEST(Send, ReturnsTrueWithQueuedDataAndDeliversIt) {
  RawListener listener;
  ClientLog log;
  AsyncClient c;
  log.attach(c);
  RawSocket peer = connectAndAccept(c, log, listener);
  ASSERT_TRUE(peer.valid());
  EXPECT_EQ(c.add("abc", 3), 3u);
  EXPECT_TRUE(c.send());
  std::string got;
  ASSERT_TRUE(peer.recvExactly(3, got));
  EXPECT_EQ(got, "abc");
}

TEST(OnAck, LengthsSumToBytesWritten) {
  RawListener listener;
  Sender sender(pattern(kMiB, 11));
  ClientLog log;
  AsyncClient c;
  log.attach(c, pumpingHooks(sender));
  RawSocket peer = connectAndAccept(c, log, listener);
  ASSERT_TRUE(peer.valid());
  std::string got;
  ASSERT_TRUE(peer.recvExactly(kMiB, got, 10000ms));
  EXPECT_TRUE(got == sender.payload());
  ASSERT_TRUE(log.waitAcked(kMiB)) << "acked " << log.acked();
  EXPECT_TRUE(staysFalse([&] { return log.acked() > kMiB; }, 100ms)) << "acked " << log.acked();
  EXPECT_EQ(log.acked(), kMiB);
  EXPECT_GT(log.ackCalls(), 0u);
}

namespace {

// A peer with a tiny receive buffer that does not read: most of what the client sends stays
// unacknowledged in the client's kernel queue.
struct StalledPeer {
  RawListener listener{peerIp4(), 8, 2048, 0};
  ClientLog log;
  AsyncClient c;
  RawSocket peer;
  std::string payload = pattern(kBudget, 5);

  void start() {
    ClientHooks hooks;
    hooks.onConnect = [this](AsyncClient *cl) { cl->write(payload.data(), payload.size()); };
    log.attach(c, hooks);
    peer = connectAndAccept(c, log, listener);
  }
};

}  // namespace

TEST(Write, OneLargeWriteTheKernelTakesInPartsArrivesWhole) {
  // One write, nothing after it: what the kernel did not take at once (io_uring sends a
  // write this large straight away, as epoll does) must go out as room appears, with no
  // later call or event of the client's to push it.
  // More than one send into a small buffer takes (lwIP's budget is its fixed TCP_SND_BUF).
  const size_t kSize = kLwip ? kBudget : 1024 * kKiB;
  StalledPeer s;
  s.payload = pattern(kSize, 6);
  s.c.setSendBuffer(kSize);
  s.log.attach(s.c, ClientHooks{});
  s.peer = connectAndAccept(s.c, s.log, s.listener);
  ASSERT_TRUE(s.peer.valid());
  setLibrarySocketOption(s.c.localPort(), SO_SNDBUF, 4096);
  // From this thread: no callback of the connection's runs around the write.
  EXPECT_EQ(s.c.write(s.payload.data(), s.payload.size()), kSize);
  std::this_thread::sleep_for(100ms);  // the kernel's part went out; the rest waits for room
  std::string got;
  ASSERT_TRUE(s.peer.recvExactly(kSize, got, 5000ms)) << got.size() << " of " << kSize;
  EXPECT_TRUE(got == s.payload);
  EXPECT_TRUE(s.log.waitAcked(kSize)) << "acked " << s.log.acked();
  EXPECT_TRUE(s.log.errors().empty());
}

TEST(OnAck, NotReportedForBytesThePeerHasNotAcknowledged) {
  StalledPeer s;
  s.start();
  ASSERT_TRUE(s.peer.valid());
  // The peer's window closes after a few KiB; nothing else can be acknowledged.
  EXPECT_TRUE(staysFalse([&] { return s.log.acked() >= kBudget; }, 500ms))
      << "onAck reported " << s.log.acked() << " bytes that the peer never acknowledged";
  EXPECT_LT(s.c.space(), kBudget);
  std::string got;
  ASSERT_TRUE(s.peer.recvExactly(kBudget, got));
  EXPECT_TRUE(got == s.payload);
  EXPECT_TRUE(s.log.waitAcked(kBudget)) << "acked " << s.log.acked();
}

TEST(Space, StaysLowWhilePeerDoesNotReadAndRecoversAfter) {
  StalledPeer s;
  s.start();
  ASSERT_TRUE(s.peer.valid());
  ASSERT_TRUE(waitFor([&] { return s.log.ackCalls() > 0 || s.c.space() < kBudget; }));
  std::this_thread::sleep_for(300ms);  // let whatever can be acknowledged be acknowledged
  EXPECT_LT(s.c.space(), kBudget / 2);
  std::string got;
  ASSERT_TRUE(s.peer.recvExactly(kBudget, got));
  EXPECT_TRUE(waitFor([&] { return s.c.space() == kBudget; }, 3000ms)) << "space " << s.c.space();
}

TEST(ZeroCopy, BufferFreedWhenOnAckCoversItIsNotTouchedAgain) {
  constexpr size_t kSize = 256 * kKiB;
  const std::string expected = pattern(kSize, 21);
  // Service-thread state: the buffer is only referenced by the library until acked.
  struct State {
    char *buf = nullptr;
    size_t sent = 0, acked = 0;
    std::atomic<bool> freed{false};
  } st;
  st.buf = new char[kSize];
  std::memcpy(st.buf, expected.data(), kSize);
  auto pump = [&st](AsyncClient *cl) {
    if (st.freed)
      return;
    while (st.sent < kSize) {
      size_t n = cl->add(st.buf + st.sent, std::min<size_t>(16 * kKiB, kSize - st.sent), 0);
      if (n == 0)
        break;
      st.sent += n;
    }
    cl->send();
  };
  RawListener listener;
  ClientLog log;
  AsyncClient c;
  ClientHooks hooks;
  hooks.onConnect = pump;
  hooks.onPoll = pump;
  hooks.onAck = [&st, pump](AsyncClient *cl, size_t len, uint32_t) {
    st.acked += len;
    if (st.acked >= kSize && !st.freed) {
      delete[] st.buf;  // ASan reports any later read of the zero-copy buffer
      st.freed = true;
      return;
    }
    pump(cl);
  };
  log.attach(c, hooks);
  RawSocket peer = connectAndAccept(c, log, listener);
  ASSERT_TRUE(peer.valid());
  std::string got;
  ASSERT_TRUE(peer.recvExactly(kSize, got, 10000ms));
  EXPECT_TRUE(got == expected);
  ASSERT_TRUE(waitFor([&] { return st.freed.load(); })) << "acked " << log.acked();
  // Keep the connection busy after the free: new data must not resurrect the old buffer.
  EXPECT_EQ(c.write("tail"), 4u);
  std::string tail;
  ASSERT_TRUE(peer.recvExactly(4, tail));
  EXPECT_EQ(tail, "tail");
  c.close();
  EXPECT_TRUE(log.waitDisconnected());
  if (!st.freed)
    delete[] st.buf;
}

namespace {

// One client of the mixed-mode ack test below. Its mode decides how the ack probe treats it:
// a ping-pong that never writes from onAck (probed rarely), a trickle that writes 2 KiB from
// each onAck (probed often, never under pressure), and a bulk pump that keeps the budget full
// (probed under pressure).
struct MixedClient {
  enum Mode { PingPong, Trickle, BulkPump };
  static constexpr size_t kMsg = 64;
  static constexpr int kRounds = 40;
  static constexpr size_t kTrickle = 2 * kKiB;

  MixedClient(Mode m, uint32_t seed) : mode(m), sender(pattern(256 * kKiB, seed)) {
    ClientHooks hooks;
    if (mode == PingPong) {
      for (int r = 0; r < kRounds; ++r)
        payload += pattern(kMsg, uint32_t(r));
      hooks.onConnect = [this](AsyncClient *cl) { ping(cl); };
      hooks.onData = [this](AsyncClient *cl, void *, size_t len) {
        echoed += len;
        if (echoed == size_t(rounds) * kMsg && rounds < kRounds)
          ping(cl);
      };
    } else if (mode == Trickle) {
      payload = pattern(32 * kKiB, seed);
      hooks.onConnect = [this](AsyncClient *cl) { trickle(cl); };
      hooks.onAck = [this](AsyncClient *cl, size_t, uint32_t) { trickle(cl); };
      hooks.onPoll = [this](AsyncClient *cl) { trickle(cl); };
    } else {
      payload = sender.payload();
      hooks = pumpingHooks(sender);
    }
    log.attach(client, hooks);
  }
  void ping(AsyncClient *cl) {
    if (cl->write(payload.data() + size_t(rounds) * kMsg, kMsg) == kMsg)
      ++rounds;
  }
  void trickle(AsyncClient *cl) {
    if (written < payload.size())
      written += cl->write(payload.data() + written, std::min(kTrickle, payload.size() - written));
  }

  Mode mode;
  Sender sender;
  std::string payload;  // all it will write
  int rounds = 0;       // service thread
  size_t echoed = 0;    // service thread
  size_t written = 0;   // service thread
  ClientLog log;
  AsyncClient client;
};

}  // namespace

// Many connections at once in every ack-probe mode, some aborted from another thread while
// their bytes are in flight: the probe keeps them all in one schedule (a heap), and each
// survivor still hears about exactly the bytes it wrote and gets them echoed intact.
TEST(OnAck, ManyConnectionsInEveryProbeModeEachHearsExactlyItsBytes) {
  EchoServer echo(loopback4(), true);
  constexpr int kClients = 60;
  std::vector<std::unique_ptr<MixedClient>> clients;
  for (int i = 0; i < kClients; ++i) {
    clients.push_back(std::make_unique<MixedClient>(MixedClient::Mode(i % 3), 300 + uint32_t(i)));
    ASSERT_TRUE(clients.back()->client.connect(loopback4(), echo.port()));
  }
  auto doomed = [](int i) { return i % 7 == 3; };
  for (int i = 0; i < kClients; ++i)
    ASSERT_TRUE(clients[size_t(i)]->log.waitConnected()) << "client " << i;
  std::thread aborter([&] {
    for (int i = 0; i < kClients; ++i)
      if (doomed(i))
        clients[size_t(i)]->client.abort();
  });
  aborter.join();
  for (int i = 0; i < kClients; ++i) {
    MixedClient &m = *clients[size_t(i)];
    if (doomed(i))
      continue;
    const size_t want = m.payload.size();
    EXPECT_TRUE(m.log.waitAcked(want, 20000ms))
        << "client " << i << " (mode " << m.mode << "): acked " << m.log.acked() << " of " << want;
    EXPECT_TRUE(m.log.waitReceived(want, 20000ms))
        << "client " << i << " (mode " << m.mode << "): echoed " << m.log.received() << " of "
        << want;
  }
  for (auto &m : clients)
    m->client.close();
  for (int i = 0; i < kClients; ++i) {
    MixedClient &m = *clients[size_t(i)];
    EXPECT_TRUE(m.log.waitDisconnected()) << "client " << i;
    EXPECT_EQ(m.log.disconnects(), 1) << "client " << i;
    EXPECT_EQ(m.log.lateCallbacks(), 0) << "client " << i;
    if (doomed(i))
      continue;
    EXPECT_EQ(m.log.acked(), m.payload.size()) << "client " << i << ": over- or under-acked";
    EXPECT_TRUE(m.log.data() == m.payload) << "client " << i << ": the echo differs";
  }
}

// close() with zero-copy data still queued takes the bytes over (as ownQueuedBytes() does):
// the caller may reuse its memory at once. On io_uring a send the kernel held to retry once
// the peer's window opened would read the caller's memory after that; sends there are tried
// once, at submission, and never kept.
TEST(ZeroCopy, CloseWithZeroCopyBytesQueuedLetsTheCallerReuseItsMemoryAtOnce) {
  if (kLwip)
    GTEST_SKIP() << "posix only: lwIP, as on ESP32, reads zero-copy bytes until they are "
                    "acknowledged, after close() too (README: add())";
  StalledPeer s;  // the peer reads nothing yet, and its window is 2 KiB
  std::vector<char> buf(s.payload.begin(), s.payload.end());
  std::atomic<size_t> added{0};
  ClientHooks hooks;
  hooks.onConnect = [&](AsyncClient *cl) {
    // A send buffer smaller than the budget, as on a real link (loopback's 64 KiB MSS grows
    // it to megabytes): the kernel cannot take all of it, and the rest waits in the library.
    setLibrarySocketOption(cl->localPort(), SO_SNDBUF, 4096);
    added = cl->add(buf.data(), buf.size(), 0);  // no COPY: the library points at buf
    cl->send();
  };
  s.log.attach(s.c, hooks);
  s.peer = connectAndAccept(s.c, s.log, s.listener);
  ASSERT_TRUE(s.peer.valid());
  ASSERT_TRUE(waitFor([&] { return added.load() > 0; }));
  std::this_thread::sleep_for(100ms);  // the first bytes go out; the rest waits for room
  s.c.close();
  std::fill(buf.begin(), buf.end(), 'X');  // the caller's memory is its own again
  std::string got;
  ASSERT_TRUE(s.peer.recvExactly(added.load(), got, 5000ms)) << got.size() << " bytes";
  EXPECT_TRUE(got == s.payload.substr(0, added.load()))
      << "bytes sent after close() were read from the caller's reused memory ("
      << std::count(got.begin(), got.end(), 'X') << " of " << got.size() << " are 'X')";
  EXPECT_TRUE(s.log.waitDisconnected());
}
