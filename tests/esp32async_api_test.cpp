// The API surface of ESP32Async/AsyncTCP 3.x beyond the basics: const accessors, lwIP's
// ip_addr_t/ip4_addr_t forms, the version and logging macros. Real ESP32 code calls
// these (ESPAsyncWebServer reads status() through a const server).
#include "test_support.h"

#include <gtest/gtest.h>

#include <cstring>
#include <type_traits>

using namespace tst;

namespace {

// Every accessor that is const in ESP32Async 3.x, called through const references: this
// file does not compile if one of them is not const here.
struct ConstReads {
  uint8_t state;
  bool connecting, connected, disconnecting, disconnected, freeable, canSend, noDelay;
  size_t space;
  uint16_t mss, remotePort, localPort, getRemotePort, getLocalPort;
  uint32_t rxTimeout, ackTimeout, remoteAddress, localAddress;
  IPAddress remoteIP, localIP, remoteIP6, localIP6;
  ip4_addr_t remote4, local4;
  ip6_addr_t remote6, local6;
  const char *stateName;
};

ConstReads readConst(const AsyncClient &c) {
  c.setNoDelay(true);  // const in ESP32Async 3.x as well
  return ConstReads{c.state(),
                    c.connecting(),
                    c.connected(),
                    c.disconnecting(),
                    c.disconnected(),
                    c.freeable(),
                    c.canSend(),
                    c.getNoDelay(),
                    c.space(),
                    c.getMss(),
                    c.remotePort(),
                    c.localPort(),
                    c.getRemotePort(),
                    c.getLocalPort(),
                    c.getRxTimeout(),
                    c.getAckTimeout(),
                    c.getRemoteAddress(),
                    c.getLocalAddress(),
                    c.remoteIP(),
                    c.localIP(),
                    c.remoteIP6(),
                    c.localIP6(),
                    c.getRemoteAddress4(),
                    c.getLocalAddress4(),
                    c.getRemoteAddress6(),
                    c.getLocalAddress6(),
                    c.stateToString()};
}

uint8_t readConst(const AsyncServer &s) {
  return s.getNoDelay() ? s.status() : s.status();
}

ip_addr_t ip4Addr(const IPAddress &ip) {
  ip_addr_t a;
  IP_ADDR4(&a, ip[0], ip[1], ip[2], ip[3]);
  return a;
}

}  // namespace

TEST(Esp32AsyncApi, ConstAccessorsReadAConnectedClient) {
  EchoServer echo;
  ASSERT_TRUE(echo.listening());
  EXPECT_EQ(readConst(echo.server()), LISTEN);
  ClientLog log;
  AsyncClient c;
  log.attach(c);
  ASSERT_TRUE(c.connect(loopback4(), echo.port()));
  ASSERT_TRUE(log.waitConnected());
  const ConstReads r = readConst(c);
  EXPECT_EQ(r.state, ESTABLISHED);
  EXPECT_TRUE(r.connected);
  EXPECT_FALSE(r.disconnected);
  EXPECT_TRUE(r.canSend);
  EXPECT_TRUE(r.noDelay);
  EXPECT_GT(r.space, 0u);
  EXPECT_GT(r.mss, 0u);
  EXPECT_EQ(r.remotePort, echo.port());
  EXPECT_EQ(r.remoteIP, loopback4());
  EXPECT_STREQ(r.stateName, "Established");
}

TEST(Esp32AsyncApi, Ip4AddressFormsAreNetworkOrder) {
  EchoServer echo;
  ASSERT_TRUE(echo.listening());
  ClientLog log;
  AsyncClient c;
  log.attach(c);
  ASSERT_TRUE(c.connect(loopback4(), echo.port()));
  ASSERT_TRUE(log.waitConnected());
  const ip4_addr_t remote = c.getRemoteAddress4();
  const ip4_addr_t local = c.getLocalAddress4();
  const uint8_t loop[4] = {127, 0, 0, 1};
  EXPECT_EQ(std::memcmp(&remote.addr, loop, 4), 0);
  EXPECT_EQ(std::memcmp(&local.addr, loop, 4), 0);
  EXPECT_EQ(ip4_addr_get_u32(&remote), c.getRemoteAddress());
}

TEST(Esp32AsyncApi, ConnectTakesAnIpAddrT) {
  EchoServer echo;
  ASSERT_TRUE(echo.listening());
  ClientLog log;
  AsyncClient c;
  log.attach(c);
  ASSERT_TRUE(c.connect(ip4Addr(loopback4()), echo.port()));
  ASSERT_TRUE(log.waitConnected());
  EXPECT_EQ(c.write("ip_addr_t"), 9u);
  ASSERT_TRUE(log.waitReceived(9));
  EXPECT_EQ(log.data(), "ip_addr_t");
}

TEST(Esp32AsyncApi, ConnectTakesAV6IpAddrT) {
  EchoServer echo(loopback6());
  ASSERT_TRUE(echo.listening());
  ip_addr_t a{};
  IP_SET_TYPE_VAL(a, IPADDR_TYPE_V6);
  std::memcpy(ip_2_ip6(&a)->addr, loopback6().raw6(), 16);
  ClientLog log;
  AsyncClient c;
  log.attach(c);
  ASSERT_TRUE(c.connect(a, echo.port()));
  ASSERT_TRUE(log.waitConnected());
  EXPECT_EQ(c.remoteIP(), loopback6());
}

TEST(Esp32AsyncApi, ServerTakesAnIpAddrT) {
  auto server = std::make_unique<AsyncServer>(ip4Addr(loopback4()), 0);
  EchoServer echo(std::move(server));
  ASSERT_TRUE(echo.listening());
  ClientLog log;
  AsyncClient c;
  log.attach(c);
  ASSERT_TRUE(c.connect(loopback4(), echo.port()));
  ASSERT_TRUE(log.waitConnected());
  // Bound to 127.0.0.1 only: ::1 is refused.
  ClientLog log6;
  AsyncClient c6;
  log6.attach(c6);
  ASSERT_TRUE(c6.connect(loopback6(), echo.port()));
  ASSERT_TRUE(log6.waitDisconnected());
  EXPECT_EQ(log6.connects(), 0);
}

TEST(Esp32AsyncApi, ServerOnIpAnyTypeListensOnV4AndV6) {
  ip_addr_t any{};
  IP_SET_TYPE_VAL(any, IPADDR_TYPE_ANY);
  auto server = std::make_unique<AsyncServer>(any, 0);
  EchoServer echo(std::move(server));
  ASSERT_TRUE(echo.listening());
  for (const IPAddress &ip : {loopback4(), loopback6()}) {
    ClientLog log;
    AsyncClient c;
    log.attach(c);
    ASSERT_TRUE(c.connect(ip, echo.port()));
    EXPECT_TRUE(log.waitConnected()) << ip.toString();
  }
}

TEST(Esp32AsyncApi, VersionMacrosNameTheApiLevel) {
  static_assert(ASYNCTCP_VERSION_MAJOR == 3, "ESP32Async 3.x API");
  static_assert(
      ASYNCTCP_VERSION_NUM == ASYNCTCP_VERSION_VAL(ASYNCTCP_VERSION_MAJOR, ASYNCTCP_VERSION_MINOR,
                                                   ASYNCTCP_VERSION_PATCH),
      "");
  static_assert(ASYNCTCP_VERSION_NUM >= ASYNCTCP_VERSION_VAL(3, 5, 0), "");
  EXPECT_STREQ(ASYNCTCP_VERSION, "3.5.0");
  EXPECT_EQ(CONFIG_ASYNC_TCP_USE_WDT, 1);
}

TEST(Esp32AsyncApi, LogMacrosCompileAndAreOffByDefault) {
  int evaluated = 0;
  // Off: compiled away (the format is still checked), arguments not evaluated.
  async_tcp_log_e("error %d", ++evaluated);
  async_tcp_log_w("warning %s", "w");
  async_tcp_log_i("info");
  async_tcp_log_d("debug %u", 1u);
  async_tcp_log_v("verbose %p", static_cast<void *>(&evaluated));
  EXPECT_EQ(evaluated, 0);
}

TEST(Esp32AsyncApi, IpAddrMacrosBuildNetworkOrder) {
  ip_addr_t a = IPADDR4_INIT_BYTES(192, 0, 2, 7);
  const uint8_t want[4] = {192, 0, 2, 7};
  EXPECT_EQ(std::memcmp(&ip_2_ip4(&a)->addr, want, 4), 0);
  EXPECT_TRUE(IP_IS_V4_VAL(a));
  EXPECT_FALSE(IP_IS_V6(&a));
  ip4_addr_t b;
  IP4_ADDR(&b, 192, 0, 2, 7);
  EXPECT_EQ(b.addr, ip_2_ip4(&a)->addr);
  EXPECT_EQ(uint32_t(IPAddress(192, 0, 2, 7)), b.addr);
}
