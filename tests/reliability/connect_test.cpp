// Connects that never complete, the regressions of ESP32 AsyncTCP bug classes: close(),
// abort() or delete while the connect is pending, and refused or timed-out connects that
// leaked descriptors or ports. (Refused and timed-out connects on both stacks:
// tests/errors_test.cpp, tests/timers_test.cpp.)
#include "reliability_support.h"

#include <gtest/gtest.h>

#include <atomic>
#include <memory>
#include <vector>

using namespace tst;
using namespace rel;

TEST(CloseDuringConnect, OneDisconnectNoConnectNoLeakedFd) {
  HangingListener hanging;
  warmUp();
  const size_t fds = openFdCount();
  for (int i = 0; i < 50; ++i) {
    ClientLog log;
    AsyncClient c;
    log.attach(c);
    ASSERT_TRUE(c.connect(loopback4(), hanging.port()));
    EXPECT_TRUE(c.connecting());
    if (i % 2)
      c.close();
    else
      c.abort();
    ASSERT_TRUE(log.waitDisconnected());
    EXPECT_EQ(log.connects(), 0);
    EXPECT_EQ(log.disconnects(), 1);
    if (i % 2)
      EXPECT_TRUE(log.errors().empty());
    else
      EXPECT_EQ(log.errors(), std::vector<int>{ERR_ABRT});
  }
  EXPECT_TRUE(waitFdsAtMost(fds, 2000ms)) << openFdCount() << " fds, baseline " << fds;
}

TEST(DeleteDuringConnect, FromAnotherThreadAndFromOnPollOfAnotherClient) {
  HangingListener hanging;
  EchoServer echo;
  warmUp();
  const size_t fds = openFdCount();
  // From the main thread.
  for (int i = 0; i < 50; ++i) {
    ClientLog log;
    auto *c = new AsyncClient;
    log.attach(*c);
    ASSERT_TRUE(c->connect(loopback4(), hanging.port()));
    log.markDeleted();
    delete c;
    EXPECT_EQ(log.lateCallbacks(), 0);
  }
  // From a callback of another client on the service thread.
  ClientLog pollerLog, victimLog;
  AsyncClient poller;
  auto *victim = new AsyncClient;
  victimLog.attach(*victim);
  std::atomic<bool> done{false};
  ClientHooks hooks;
  hooks.onPoll = [&](AsyncClient *) {
    if (victim) {
      victimLog.markDeleted();
      delete victim;
      victim = nullptr;
      done = true;
    }
  };
  pollerLog.attach(poller, hooks);
  poller.setPollInterval(50);
  ASSERT_TRUE(victim->connect(loopback4(), hanging.port()));
  ASSERT_TRUE(poller.connect(loopback4(), echo.port()));
  ASSERT_TRUE(waitFor([&] { return done.load(); }));
  EXPECT_TRUE(staysFalse([&] { return victimLog.lateCallbacks() > 0; }, 200ms));
  poller.close();
  ASSERT_TRUE(pollerLog.waitDisconnected());
  EXPECT_TRUE(waitFdsAtMost(fds, 2000ms)) << openFdCount() << " fds, baseline " << fds;
}

TEST(FailedConnectLeak, FiveHundredRefusedConnectsLeaveNoFd) {
  ClosedPort closed;
  warmUp();
  const size_t fds = openFdCount();
  const int rounds = scaled(500, 200);
  ClientLog log;
  AsyncClient c;
  std::atomic<int> ends{0};
  ClientHooks hooks;
  hooks.onDisconnect = [&](AsyncClient *) { ends++; };
  log.attach(c, hooks);
  for (int i = 0; i < rounds; ++i) {
    log.resetForReconnect();
    ASSERT_TRUE(c.connect(loopback4(), closed.port())) << "round " << i;
    ASSERT_TRUE(waitFor([&] { return ends.load() == i + 1; })) << "round " << i;
  }
  EXPECT_EQ(log.connects(), 0);
  EXPECT_EQ(log.errors(), std::vector<int>(size_t(rounds), ERR_RST));
  EXPECT_TRUE(waitFdsAtMost(fds, 2000ms)) << openFdCount() << " fds, baseline " << fds;
  // The ports were not kept either: the last refused connect's local port is reusable.
  EchoServer echo;
  log.resetForReconnect();
  ASSERT_TRUE(c.connect(loopback4(), echo.port()));
  EXPECT_TRUE(log.waitConnected());
  c.close();
  EXPECT_TRUE(waitFor([&] { return ends.load() == rounds + 1; }));
}

TEST(FailedConnectLeak, ConnectTimeoutsLeaveNoFd) {
  HangingListener hanging;
  warmUp();
  const size_t fds = openFdCount();
  constexpr int kClients = 20;
  std::vector<std::unique_ptr<AsyncClient>> clients;
  std::vector<std::unique_ptr<ClientLog>> logs;
  for (int i = 0; i < kClients; ++i) {
    clients.push_back(std::make_unique<AsyncClient>());
    logs.push_back(std::make_unique<ClientLog>());
    logs.back()->attach(*clients.back());
    clients.back()->setConnectTimeout(100);
    ASSERT_TRUE(clients.back()->connect(loopback4(), hanging.port()));
  }
  for (int i = 0; i < kClients; ++i) {
    ASSERT_TRUE(logs[i]->waitDisconnected(3000ms));
    EXPECT_EQ(logs[i]->lifecycle(), (std::vector<std::string>{"error:-3", "disconnect"}));
  }
  EXPECT_TRUE(waitFdsAtMost(fds, 2000ms)) << openFdCount() << " fds, baseline " << fds;
}

TEST(FailedConnectLeak, DeletedFromOnErrorOfARefusedConnectLeavesNoFd) {
  ClosedPort closed;
  warmUp();
  const size_t fds = openFdCount();
  std::atomic<int> deleted{0};
  const int rounds = scaled(500, 200);
  for (int i = 0; i < rounds; ++i) {
    auto *c = new AsyncClient;
    c->onError([&](void *, AsyncClient *cl, int8_t) {
      delete cl;
      deleted++;
    });
    ASSERT_TRUE(c->connect(loopback4(), closed.port()));
  }
  EXPECT_TRUE(waitFor([&] { return deleted.load() == rounds; }, 10000ms)) << deleted.load();
  EXPECT_TRUE(waitFdsAtMost(fds, 2000ms)) << openFdCount() << " fds, baseline " << fds;
}
