// Under an Arduino core that has an IPv6Address class, AsyncTCP.h offers ESP32Async's
// connect(IPv6Address, port) and AsyncServer(IPv6Address, port). Built with ARDUINO
// defined and a stand-in <IPv6Address.h> on the include path.
#include <AsyncTCP.h>
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <thread>

#if !defined(ASYNCTCP_HAS_IPV6ADDRESS)
#error "AsyncTCP.h did not pick up <IPv6Address.h>"
#endif

namespace {

using namespace std::chrono_literals;

const uint8_t kLoopback6[16] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};

template <typename Pred>
bool waitFor(Pred pred) {
  for (int i = 0; i < 500 && !pred(); ++i)
    std::this_thread::sleep_for(10ms);
  return pred();
}

TEST(IPv6AddressOverloads, ServerAndClientTakeAnIPv6Address) {
  AsyncServer server(IPv6Address(kLoopback6), 0);
  std::atomic<int> accepted{0};
  server.onClient(
      [&](void *, AsyncClient *c) {
        ++accepted;
        c->onDisconnect([](void *, AsyncClient *cl) { delete cl; });
      },
      nullptr);
  server.begin();
  ASSERT_EQ(server.status(), LISTEN);
  std::atomic<bool> connected{false};
  AsyncClient client;
  client.onConnect([&](void *, AsyncClient *) { connected = true; });
  ASSERT_TRUE(client.connect(IPv6Address(kLoopback6), server.port()));
  ASSERT_TRUE(waitFor([&] { return connected.load() && accepted.load() == 1; }));
  EXPECT_TRUE(client.remoteIP().isV6());
  client.close();
}

}  // namespace
