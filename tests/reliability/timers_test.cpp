// Timeouts, the regressions of ESP32 AsyncTCP bug classes (the timers on both stacks:
// tests/timers_test.cpp): a reused client must not time out on its previous connection's
// timestamps, and an rx timeout ends the connection with onDisconnect, on server-side clients
// too and while data is held with ackLater().
#include "reliability_support.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <thread>
#include <vector>

using namespace tst;
using namespace rel;

TEST(StaleTimestampsAfterReuse, NoImmediateAckTimeoutOnReconnect) {
  constexpr uint32_t kAckTimeoutMs = 300;
  // First connection: data stays unacknowledged (the peer's window is closed), the client
  // disconnects before the ack timeout.
  RawListener stuck("127.0.0.1", 8, 2048, 0);
  ClientLog log;
  AsyncClient c;
  Sender flood(pattern(8 * kMiB, 6));
  std::atomic<bool> flooding{true};  // the first connection only
  ClientHooks hooks;
  hooks.onConnect = [&](AsyncClient *cl) {
    if (flooding)
      flood.pump(cl);
  };
  hooks.onAck = [&](AsyncClient *cl, size_t, uint32_t) {
    if (flooding)
      flood.pump(cl);
  };
  log.attach(c, hooks);
  c.setAckTimeout(kAckTimeoutMs);
  RawSocket peer = connectAndAccept(c, log, stuck);
  ASSERT_TRUE(peer.valid());
  ASSERT_TRUE(waitFor([&] { return c.space() == 0; }, 3000ms));
  c.close();
  ASSERT_TRUE(log.waitDisconnected());
  flooding = false;
  const int timeoutsBefore = log.timeouts();
  peer.closeWithReset();
  // Longer than the ack timeout, so a stale "unacked since" would be overdue.
  std::this_thread::sleep_for(std::chrono::milliseconds(2 * kAckTimeoutMs));
  // Second connection on the same object: a peer that reads everything promptly.
  EchoServer echo;
  log.resetForReconnect();
  ASSERT_TRUE(c.connect(loopback4(), echo.port()));
  ASSERT_TRUE(waitFor([&] { return log.connects() == 2; }));
  EXPECT_EQ(c.write("fresh"), 5u);
  EXPECT_TRUE(staysFalse([&] { return log.timeouts() > timeoutsBefore; },
                         milliseconds(kAckTimeoutMs + 200)))
      << "onTimeout fired on the reused client from the previous connection's timestamps";
  EXPECT_TRUE(c.connected());
  c.close();
  EXPECT_TRUE(waitFor([&] { return log.disconnects() == 2; }));
}

TEST(StaleTimestampsAfterReuse, NoImmediateRxTimeoutOnReconnect) {
  EchoServer echo;
  ClientLog log;
  AsyncClient c;
  log.attach(c);
  c.setRxTimeout(1);
  ASSERT_TRUE(c.connect(loopback4(), echo.port()));
  ASSERT_TRUE(log.waitConnected());
  std::this_thread::sleep_for(600ms);  // idle for most of the rx timeout
  c.close();
  ASSERT_TRUE(log.waitDisconnected());
  std::this_thread::sleep_for(800ms);  // the old "last received" is now past the timeout
  log.resetForReconnect();
  ASSERT_TRUE(c.connect(loopback4(), echo.port()));
  ASSERT_TRUE(waitFor([&] { return log.connects() == 2; }));
  EXPECT_TRUE(staysFalse([&] { return log.disconnects() > 1; }, 600ms))
      << "the reused client was closed by the previous connection's rx timestamp";
  // And the rx timeout still works on the new connection.
  EXPECT_TRUE(waitFor([&] { return log.disconnects() == 2; }, 2000ms));
}

TEST(RxTimeoutDisconnect, ClientGetsOnDisconnectAndThePeerEof) {
  RawListener listener;
  ClientLog log;
  AsyncClient c;
  log.attach(c);
  c.setRxTimeout(1);
  RawSocket peer = connectAndAccept(c, log, listener);
  ASSERT_TRUE(peer.valid());
  const auto t0 = Clock::now();
  ASSERT_TRUE(log.waitDisconnected(3000ms)) << "no onDisconnect after the rx timeout";
  const auto waited = std::chrono::duration_cast<milliseconds>(Clock::now() - t0);
  EXPECT_GE(waited.count(), 900);
  EXPECT_EQ(log.lifecycle(), (std::vector<std::string>{"connect", "disconnect"}));
  EXPECT_EQ(c.state(), CLOSED);
  EXPECT_EQ(peer.readUntilEnd(2000ms), PeerEnd::Eof);
  EXPECT_TRUE(staysFalse([&] { return log.disconnects() > 1; }, 200ms));
}

TEST(RxTimeoutDisconnect, ServerSideClientsAreReapedAndDeleted) {
  AsyncServer server(loopback4(), 0);
  std::atomic<int> accepted{0}, disconnects{0};
  server.onClient(
      [&](void *, AsyncClient *c) {
        accepted++;
        c->setRxTimeout(1);
        c->onDisconnect([&](void *, AsyncClient *cl) {
          disconnects++;
          delete cl;
        });
      },
      nullptr);
  server.begin();
  std::vector<RawSocket> idle;
  for (int i = 0; i < 20; ++i)
    idle.push_back(rawConnect("127.0.0.1", server.port()));
  ASSERT_TRUE(waitFor([&] { return accepted.load() == 20; }));
  EXPECT_TRUE(waitFor([&] { return disconnects.load() == 20; }, 3000ms)) << disconnects.load();
  for (auto &s : idle)
    EXPECT_EQ(s.readUntilEnd(1000ms), PeerEnd::Eof);
  server.end();
}

TEST(RxTimeoutDisconnect, WhileDataIsHeldWithAckLater) {
  // Data held back with ackLater() keeps the connection's receive side busy; the rx timeout
  // must still end it with onDisconnect.
  RawListener listener;
  ClientLog log;
  AsyncClient c;
  attachHolding(c, log);
  c.setRxTimeout(1);
  RawSocket peer = connectAndAccept(c, log, listener);
  ASSERT_TRUE(peer.valid());
  ASSERT_TRUE(peer.sendAll(pattern(100 * kKiB, 8)));  // more than the receive window
  EXPECT_TRUE(log.waitDisconnected(4000ms)) << "no onDisconnect after the rx timeout";
  EXPECT_EQ(log.disconnects(), 1);
}
