// echo_server's idle timeout: a connection on which nothing moves is closed, whether its client
// went quiet or stopped reading, and what a client that never reads costs stays bounded.
#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <thread>

#include "example_harness.h"
#include "wire_client.h"

namespace examples {
namespace {

constexpr long kMaxGrowthKb = 32 * 1024;  // generous: the held data is one window

class EchoServerLimits : public Examples {};

TEST_F(EchoServerLimits, QuietConnection_ClosedAtTheIdleTimeout) {
  Server server(ASYNCTCP_ECHO_SERVER, bindFor(false), {"--idle-timeout-ms", "600"});
  ASSERT_GT(server.port, 0) << server.output();
  WireClient client(hostFor(false), server.port);
  ASSERT_TRUE(client.send("ping"));
  EXPECT_EQ(client.read(4, 2s), "ping");
  EXPECT_FALSE(client.endedByPeer(300ms)) << "closed well before its idle timeout";
  EXPECT_TRUE(client.endedByPeer(3s)) << "a quiet connection is still open";
  EXPECT_EQ(server.stop(), 0) << server.output();
}

TEST_F(EchoServerLimits, NeverReadingClient_BoundedThenClosedWhileOthersAreEchoed) {
  Server server(ASYNCTCP_ECHO_SERVER, bindFor(false), {"--idle-timeout-ms", "600"});
  ASSERT_GT(server.port, 0) << server.output();
  const long baselineKb = server.residentKb();
  WireClient hog(hostFor(false), server.port, 4096);
  ASSERT_TRUE(hog.connected());
  const std::string block(64 * 1024, 'x');
  size_t sent = 0;
  for (int round = 0; round < 10; ++round) {
    for (int i = 0; i < 64; ++i)
      sent += hog.sendSome(block);
    WireClient other(hostFor(false), server.port);
    const auto start = std::chrono::steady_clock::now();
    ASSERT_TRUE(other.send("hello"));
    // Served while the hog is stuck (a server that waited on it would never answer); the
    // bound leaves room for a loaded machine under sanitizers.
    EXPECT_EQ(other.read(5, 3s), "hello");
    EXPECT_LT(std::chrono::steady_clock::now() - start, 2s);
    std::this_thread::sleep_for(50ms);
  }
  EXPECT_GT(sent, 0u);
  EXPECT_TRUE(hog.endedByPeer(3s)) << "a client that reads nothing is still connected";
  EXPECT_LT(server.peakResidentKb() - baselineKb, kMaxGrowthKb);
  EXPECT_EQ(server.stop(), 0) << server.output();
}

}  // namespace
}  // namespace examples
