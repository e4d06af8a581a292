// Over-acking, the regression of an ESP32 AsyncTCP bug class (the receive side on both
// stacks: tests/receive_test.cpp): ack() returns at most what ackLater() held, before, during
// and after a connection, and the receive window survives it.
#include "reliability_support.h"

#include <gtest/gtest.h>

#include <string>
#include <thread>

using namespace tst;
using namespace rel;

TEST(OverAck, AckOfHugeLengthReturnsOnlyWhatWasHeld) {
  RawListener listener;
  ClientLog log;
  AsyncClient c;
  attachHolding(c, log);
  EXPECT_EQ(c.ack(SIZE_MAX), 0u) << "acked data on a client that never connected";
  RawSocket peer = connectAndAccept(c, log, listener);
  ASSERT_TRUE(peer.valid());
  EXPECT_EQ(c.ack(12345), 0u) << "acked data that was never received";
  ASSERT_TRUE(peer.sendAll(pattern(1000, 3)));
  ASSERT_TRUE(log.waitReceived(1000));
  EXPECT_EQ(c.ack(SIZE_MAX), 1000u);
  EXPECT_EQ(c.ack(SIZE_MAX), 0u);
  EXPECT_EQ(c.ack(1), 0u);
  // Partial acks add up to what was held, never more.
  ASSERT_TRUE(peer.sendAll(pattern(500, 4)));
  ASSERT_TRUE(log.waitReceived(1500));
  EXPECT_EQ(c.ack(200), 200u);
  EXPECT_EQ(c.ack(1000), 300u);
  EXPECT_EQ(c.ack(1000), 0u);
  // The receive window is intact afterwards: a large transfer still flows.
  const std::string big = pattern(512 * kKiB, 5);
  std::thread acker([&] {
    while (log.received() < 1500 + big.size() && c.connected()) {
      c.ack(SIZE_MAX);
      std::this_thread::sleep_for(1ms);
    }
  });
  EXPECT_TRUE(peer.sendAll(big, 5000ms));
  EXPECT_TRUE(log.waitReceived(1500 + big.size()));
  acker.join();
  EXPECT_EQ(log.data().substr(1500), big);
  EXPECT_TRUE(log.errors().empty());
}

TEST(OverAck, AckAfterDisconnectNeverExceedsWhatWasHeld) {
  RawListener listener;
  ClientLog log;
  AsyncClient c;
  attachHolding(c, log);
  RawSocket peer = connectAndAccept(c, log, listener);
  ASSERT_TRUE(peer.valid());
  ASSERT_TRUE(peer.sendAll("held"));
  ASSERT_TRUE(log.waitReceived(4));
  peer.closeWithReset();
  ASSERT_TRUE(log.waitDisconnected());
  // ESP32 returns what was held (its pcb is gone, so nothing reaches the stack); never more.
  EXPECT_LE(c.ack(SIZE_MAX), 4u);
  EXPECT_EQ(c.ack(SIZE_MAX), 0u);
  // A new connection starts with nothing held.
  log.resetForReconnect();
  RawSocket again = connectAndAccept(c, log, listener);
  ASSERT_TRUE(waitFor([&] { return log.connects() == 2; }));
  EXPECT_EQ(c.ack(SIZE_MAX), 0u) << "bytes held on the previous connection carried over";
}
