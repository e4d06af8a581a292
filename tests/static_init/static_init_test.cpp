// Calling the library from global constructors and destructors, in several translation
// units, whatever their order relative to the library's own: the globals of
// server_globals.cpp and client_globals.cpp have already run when main() starts (the
// service thread started from one of them), and their destructors run after it returns.
#include <gtest/gtest.h>

#include <chrono>
#include <mutex>
#include <string>
#include <thread>

#include "globals.h"

namespace staticinit {
namespace {

using namespace std::chrono_literals;

template <typename Pred>
bool waitFor(Pred pred, std::chrono::milliseconds timeout = 5000ms) {
  const auto end = std::chrono::steady_clock::now() + timeout;
  while (!pred()) {
    if (std::chrono::steady_clock::now() > end)
      return false;
    std::this_thread::sleep_for(2ms);
  }
  return true;
}

TEST(StaticInit, ServerStartedByAGlobalConstructorListens) {
  EXPECT_EQ(g_serverStatusAtInit.load(), LISTEN);
  EXPECT_EQ(g_echoServer.status(), LISTEN);
  EXPECT_NE(g_echoServer.port(), 0);
}

TEST(StaticInit, DnsServersSetBeforeMainHold) {
  EXPECT_TRUE(g_dnsServersSetAtInit.load());
}

TEST(StaticInit, ClientSetUpByAGlobalConstructorEchoes) {
  ASSERT_EQ(g_echoServer.status(), LISTEN);
  ASSERT_TRUE(g_client.client.connect(IPAddress(127, 0, 0, 1), g_echoServer.port()));
  ASSERT_TRUE(waitFor([] { return g_client.connected.load(); }));
  EXPECT_EQ(g_client.client.getRxTimeout(), 30u);
  EXPECT_TRUE(g_client.client.getNoDelay());
  const std::string ping = "ping from a global client";
  EXPECT_EQ(g_client.client.write(ping.c_str()), ping.size());
  EXPECT_TRUE(waitFor([&] {
    std::lock_guard<std::mutex> g(g_client.lock);
    return g_client.received == ping;
  }));
  // Left connected: the static destructors close it while the service thread still runs.
}

}  // namespace
}  // namespace staticinit
