// Public methods called from threads other than the service thread while data flows.
// TSan (the tsan preset) is the main judge here; the tests also check the visible outcome.
#include "test_support.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <thread>
#include <vector>

using namespace tst;

namespace {

bool isPrefixOf(const std::string &prefix, const std::string &whole) {
  return prefix.size() <= whole.size() && whole.compare(0, prefix.size(), prefix) == 0;
}

}  // namespace

TEST(Threads, CloseFromOtherThreadWhileDataFlows_ExactlyOneDisconnect) {
  EchoServer echo;
  Sender sender(pattern(16 * kMiB, 71));
  ClientLog log;
  AsyncClient c;
  log.attach(c, pumpingHooks(sender));
  ASSERT_TRUE(c.connect(loopback4(), echo.port()));
  ASSERT_TRUE(log.waitReceived(512 * kKiB, 10000ms));
  std::thread closer([&c] { c.close(); });
  closer.join();
  ASSERT_TRUE(log.waitDisconnected());
  EXPECT_TRUE(staysFalse([&] { return log.disconnects() > 1; }, 200ms));
  EXPECT_TRUE(log.errors().empty()) << ::testing::PrintToString(log.errors());
  EXPECT_EQ(log.lateCallbacks(), 0);
  EXPECT_TRUE(isPrefixOf(log.data(), sender.payload())) << "echo corrupted";
  EXPECT_TRUE(echo.waitAllDisconnected());
}

TEST(Threads, AbortFromOtherThreadWhileDataFlows_OneErrorThenDisconnect) {
  EchoServer echo;
  Sender sender(pattern(16 * kMiB, 72));
  ClientLog log;
  AsyncClient c;
  log.attach(c, pumpingHooks(sender));
  ASSERT_TRUE(c.connect(loopback4(), echo.port()));
  ASSERT_TRUE(log.waitReceived(512 * kKiB, 10000ms));
  std::thread aborter([&c] { c.abort(); });
  aborter.join();
  ASSERT_TRUE(log.waitDisconnected());
  EXPECT_TRUE(staysFalse([&] { return log.disconnects() > 1; }, 200ms));
  EXPECT_EQ(log.lifecycle(), (std::vector<std::string>{"connect", "error:-13", "disconnect"}));
  EXPECT_TRUE(echo.waitAllDisconnected());
}

TEST(Threads, WriteFromOtherThreadWhileEchoFlows_StreamIntact) {
  EchoServer echo;
  ClientLog log;
  AsyncClient c;
  log.attach(c);
  ASSERT_TRUE(c.connect(loopback4(), echo.port()));
  ASSERT_TRUE(log.waitConnected());
  const std::string payload = pattern(2 * kMiB, 73);
  std::atomic<bool> writerFailed{false};
  std::thread writer([&] {
    size_t off = 0;
    const auto deadline = Clock::now() + 15s;
    while (off < payload.size() && Clock::now() < deadline) {
      size_t n = c.write(payload.data() + off, std::min<size_t>(4 * kKiB, payload.size() - off));
      if (n == 0) {
        if (!c.connected())
          break;
        std::this_thread::sleep_for(1ms);
      }
      off += n;
    }
    if (off != payload.size())
      writerFailed = true;
  });
  // Meanwhile the main thread keeps querying.
  while (log.received() < payload.size() && !writerFailed) {
    EXPECT_LE(c.space(), sendBudget());
    EXPECT_EQ(c.remotePort(), echo.port());
    if (log.waitReceived(payload.size(), 20ms))
      break;
    if (!c.connected())
      break;
  }
  writer.join();
  EXPECT_FALSE(writerFailed);
  ASSERT_TRUE(log.waitReceived(payload.size(), 10000ms)) << "received " << log.received();
  EXPECT_TRUE(log.data() == payload) << "bytes written from another thread came back altered";
}

TEST(Threads, QueriesFromManyThreadsWhileDataFlows) {
  EchoServer echo;
  Sender sender(pattern(8 * kMiB, 74));
  ClientLog log;
  AsyncClient c;
  log.attach(c, pumpingHooks(sender));
  ASSERT_TRUE(c.connect(loopback4(), echo.port()));
  ASSERT_TRUE(log.waitConnected());
  std::atomic<int> bad{0};
  std::atomic<bool> stop{false};
  std::vector<std::thread> threads;
  for (int i = 0; i < 4; ++i) {
    threads.emplace_back([&] {
      while (!stop) {
        if (c.remotePort() != echo.port())
          bad++;
        if (c.remoteIP() != loopback4())
          bad++;
        if (c.space() > sendBudget())
          bad++;
        if (!c.connected() || c.state() != ESTABLISHED)
          bad++;
        (void)c.canSend();
        (void)c.getMss();
        (void)c.getNoDelay();
        (void)c.localPort();
      }
    });
  }
  EXPECT_TRUE(log.waitReceived(sender.payload().size(), 15000ms)) << log.received();
  stop = true;
  for (auto &t : threads)
    t.join();
  EXPECT_EQ(bad.load(), 0);
  EXPECT_TRUE(log.data() == sender.payload());
}

TEST(Threads, CloseFromOtherThreadRacingPeerClose_ExactlyOneDisconnect) {
  RawListener listener;
  for (int round = 0; round < 20; ++round) {
    ClientLog log;
    AsyncClient c;
    log.attach(c);
    RawSocket peer = connectAndAccept(c, log, listener);
    ASSERT_TRUE(peer.valid()) << "round " << round;
    std::thread closer([&c] { c.close(); });
    if (round % 2)
      peer.closeWithReset();
    else
      peer.close();
    closer.join();
    ASSERT_TRUE(log.waitDisconnected()) << "round " << round;
    EXPECT_TRUE(staysFalse([&] { return log.disconnects() > 1; }, 20ms)) << "round " << round;
    EXPECT_EQ(log.lateCallbacks(), 0) << "round " << round;
  }
}
