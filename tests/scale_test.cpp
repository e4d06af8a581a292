// Many connections at once against one server.
#include "test_support.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <memory>
#include <vector>

using namespace tst;

namespace {

// posix: each connection costs two descriptors here (client and accepted side), so 1,000 stays
// well inside a usual RLIMIT_NOFILE. lwIP: no descriptors; Debian's lwipopts have
// MEMP_MEM_MALLOC=1, so no pool caps the pcbs either. What bounds lwIP is its 16,384 ephemeral
// ports (0xC000-0xFFFF, one per client pcb, kept through TIME_WAIT) and the cost of its linear
// pcb lists (every segment walks tcp_active_pcbs), which grows with the square of the count.
// ASYNCTCP_TEST_CLIENTS overrides the count, for measuring.
int manyClients() {
  if (const char *n = std::getenv("ASYNCTCP_TEST_CLIENTS"))
    return std::atoi(n);
  return kLwip ? 4000 : 1000;
}

}  // namespace

TEST(Scale, ManyConcurrentClientsAllEcho) {
  const int kClients = manyClients();
  const size_t limit = raiseFdLimit();
  if (!kLwip && limit < 2 * size_t(kClients) + 100)
    GTEST_SKIP() << "RLIMIT_NOFILE hard limit too low: " << limit;

  EchoServer echo;
  ASSERT_TRUE(echo.listening());

  struct Shared {
    std::mutex m;
    int connected = 0, echoed = 0, mismatched = 0, errors = 0, disconnected = 0, lastError = 0;
  } shared;
  struct PerClient {
    std::string msg;
    std::string rx;  // service thread only until the client is gone
  };
  std::vector<PerClient> per(kClients);
  std::vector<std::unique_ptr<AsyncClient>> clients;
  clients.reserve(kClients);
  for (int i = 0; i < kClients; ++i) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "client-%05d|", i);
    per[i].msg = buf;
    auto c = std::make_unique<AsyncClient>();
    PerClient *pc = &per[i];
    c->onConnect(
        [&shared, pc](void *, AsyncClient *cl) {
          {
            std::lock_guard<std::mutex> lock(shared.m);
            shared.connected++;
          }
          cl->write(pc->msg.c_str());
        },
        nullptr);
    c->onData(
        [&shared, pc](void *, AsyncClient *, void *data, size_t len) {
          pc->rx.append(static_cast<const char *>(data), len);
          if (pc->rx.size() < pc->msg.size())
            return;
          std::lock_guard<std::mutex> lock(shared.m);
          if (pc->rx == pc->msg)
            shared.echoed++;
          else
            shared.mismatched++;
        },
        nullptr);
    c->onError(
        [&shared](void *, AsyncClient *, int8_t err) {
          std::lock_guard<std::mutex> lock(shared.m);
          shared.errors++;
          shared.lastError = err;
        },
        nullptr);
    c->onDisconnect(
        [&shared](void *, AsyncClient *) {
          std::lock_guard<std::mutex> lock(shared.m);
          shared.disconnected++;
        },
        nullptr);
    clients.push_back(std::move(c));
  }
  // At most 64 connects in flight: a connect storm is not what this measures, and lwIP's
  // listener refuses (aborts) what arrives while 128 accepted connections wait for the
  // service thread (CONFIG_ASYNC_TCP_QUEUE_SIZE), as designed.
  const auto settled = [&shared] {
    std::lock_guard<std::mutex> lock(shared.m);
    return shared.connected + shared.errors;
  };
  for (int i = 0; i < kClients; ++i) {
    ASSERT_TRUE(waitFor([&] { return i - settled() < 64; }, 10000ms)) << "connect " << i;
    ASSERT_TRUE(clients[i]->connect(loopback4(), echo.port())) << "connect " << i;
  }

  auto snapshot = [&shared] {
    std::lock_guard<std::mutex> lock(shared.m);
    return "connected " + std::to_string(shared.connected) + ", echoed " +
           std::to_string(shared.echoed) + ", mismatched " + std::to_string(shared.mismatched) +
           ", errors " + std::to_string(shared.errors) + " (last " +
           std::to_string(shared.lastError) + "), disconnected " +
           std::to_string(shared.disconnected);
  };
  const bool allEchoed = waitFor(
      [&] {
        std::lock_guard<std::mutex> lock(shared.m);
        return shared.echoed + shared.mismatched + shared.errors >= kClients;
      },
      20000ms);
  EXPECT_TRUE(allEchoed) << snapshot();
  {
    std::lock_guard<std::mutex> lock(shared.m);
    EXPECT_EQ(shared.echoed, kClients);
    EXPECT_EQ(shared.mismatched, 0);
    EXPECT_EQ(shared.errors, 0);
    EXPECT_EQ(shared.disconnected, 0) << "connections dropped while all were open";
  }
  EXPECT_EQ(echo.live(), kClients) << "not all connections were open at the same time";

  for (auto &c : clients)
    c->close();
  EXPECT_TRUE(waitFor(
      [&] {
        std::lock_guard<std::mutex> lock(shared.m);
        return shared.disconnected == kClients;
      },
      10000ms))
      << snapshot();
  EXPECT_TRUE(echo.waitAllDisconnected(10000ms)) << "server side still has " << echo.live();
}

TEST(Scale, HundredSequentialConnectionsReuseNothingStale) {
  EchoServer echo;
  for (int i = 0; i < 100; ++i) {
    ClientLog log;
    AsyncClient c;
    log.attach(c);
    ASSERT_TRUE(c.connect(loopback4(), echo.port())) << "round " << i;
    ASSERT_TRUE(log.waitConnected()) << "round " << i;
    const std::string msg = "round-" + std::to_string(i);
    ASSERT_EQ(c.write(msg.c_str()), msg.size());
    ASSERT_TRUE(log.waitReceived(msg.size())) << "round " << i;
    EXPECT_EQ(log.data(), msg);
    c.close();
    ASSERT_TRUE(log.waitDisconnected()) << "round " << i;
  }
  EXPECT_TRUE(echo.waitAllDisconnected());
  EXPECT_EQ(echo.accepted(), 100);
}
