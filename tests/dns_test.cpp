// connect(host, port): asynchronous resolution against a fake DNS server on the host's
// 127.0.0.1 (never the system's), /etc/hosts for "localhost", and IP literals. Both stacks
// resolve with the host's c-ares; the answers (127.0.0.1, ::1) reach lwIP's loopback netif.
// Posix-only regressions of close or delete while a name resolves: reliability/dns_test.cpp.
#include "test_support.h"

#include <gtest/gtest.h>

#include <algorithm>

using namespace tst;

namespace {

bool sawName(const FakeDnsServer &dns, const std::string &name) {
  const auto names = dns.names();
  return std::any_of(names.begin(), names.end(), [&](const std::string &n) {
    return n == name || n.rfind(name + ".", 0) == 0;  // a search-domain suffix may follow
  });
}

}  // namespace

TEST(Dns, UnresolvableHostReportsDnsErrorThenDisconnect) {
  FakeDnsServer dns(FakeDnsServer::Mode::NxDomain);
  ASSERT_NE(dns.port(), 0);
  ASSERT_TRUE(asynctcp::setDnsServers(dns.spec().c_str()));
  ClientLog log;
  AsyncClient c;
  log.attach(c);
  ASSERT_TRUE(c.connect("no-such-host.asynctcp.test", 80));
  ASSERT_TRUE(log.waitDisconnected(8000ms)) << "no outcome for a failed lookup";
  EXPECT_TRUE(staysFalse([&] { return log.disconnects() > 1; }, 100ms));
  EXPECT_EQ(log.lifecycle(), (std::vector<std::string>{"error:-55", "disconnect"}));
  EXPECT_GE(dns.queries(), 1) << "the fake DNS server was never asked";
  EXPECT_TRUE(sawName(dns, "no-such-host.asynctcp.test"));
  EXPECT_EQ(c.state(), CLOSED);
}

TEST(Dns, ResolvedHostConnectsToTheAnsweredAddress) {
  FakeDnsServer dns(FakeDnsServer::Mode::AnswerLoopback);
  ASSERT_TRUE(asynctcp::setDnsServers(dns.spec().c_str()));
  EchoServer echo;
  ClientLog log;
  AsyncClient c;
  log.attach(c);
  ASSERT_TRUE(c.connect("echo.asynctcp.test", echo.port()));
  ASSERT_TRUE(log.waitConnected(8000ms)) << ::testing::PrintToString(log.lifecycle());
  EXPECT_TRUE(sawName(dns, "echo.asynctcp.test"));
  EXPECT_EQ(c.remoteIP(), loopback4());
  EXPECT_EQ(c.remotePort(), echo.port());
  EXPECT_EQ(c.write("resolved"), 8u);
  ASSERT_TRUE(log.waitReceived(8));
  EXPECT_EQ(log.data(), "resolved");
}

TEST(Dns, ConnectingWhileResolvingRefusesSecondConnect) {
  FakeDnsServer dns(FakeDnsServer::Mode::AnswerLoopback);
  ASSERT_TRUE(asynctcp::setDnsServers(dns.spec().c_str()));
  EchoServer echo;
  ClientLog log;
  AsyncClient c;
  log.attach(c);
  ASSERT_TRUE(c.connect("echo.asynctcp.test", echo.port()));
  EXPECT_FALSE(c.connect(loopback4(), echo.port()));
  ASSERT_TRUE(log.waitConnected(8000ms));
  // The server's onClient may come a moment after the client's onConnect.
  EXPECT_TRUE(echo.waitAccepted(1));
  EXPECT_TRUE(staysFalse([&] { return echo.accepted() > 1; }, 100ms)) << "two connections";
}

TEST(Dns, LocalhostResolvesThroughHostsFile) {
  // The fake server answers NXDOMAIN, so only /etc/hosts can make this work.
  FakeDnsServer dns(FakeDnsServer::Mode::NxDomain);
  ASSERT_TRUE(asynctcp::setDnsServers(dns.spec().c_str()));
  EchoServer echo(std::make_unique<AsyncServer>(uint16_t(0)));  // localhost may be ::1 too
  ASSERT_TRUE(echo.listening());
  ClientLog log;
  AsyncClient c;
  log.attach(c);
  ASSERT_TRUE(c.connect("localhost", echo.port()));
  ASSERT_TRUE(log.waitConnected(8000ms)) << ::testing::PrintToString(log.lifecycle());
  EXPECT_FALSE(sawName(dns, "localhost")) << "localhost was looked up over DNS";
  EXPECT_EQ(c.write("local"), 5u);
  ASSERT_TRUE(log.waitReceived(5));
  EXPECT_EQ(log.data(), "local");
}

TEST(Dns, IpLiteralHostConnectsWithoutQuery) {
  FakeDnsServer dns(FakeDnsServer::Mode::NxDomain);
  ASSERT_TRUE(asynctcp::setDnsServers(dns.spec().c_str()));
  EchoServer echo;
  ClientLog log;
  AsyncClient c;
  log.attach(c);
  ASSERT_TRUE(c.connect("127.0.0.1", echo.port()));
  ASSERT_TRUE(log.waitConnected());
  EXPECT_EQ(dns.queries(), 0);
  EXPECT_EQ(c.remoteIP(), loopback4());
}

TEST(Dns, SetDnsServersRejectsGarbage) {
  EXPECT_FALSE(asynctcp::setDnsServers("not an address"));
  EXPECT_FALSE(asynctcp::setDnsServers("127.0.0.1:99999"));
  EXPECT_FALSE(asynctcp::setDnsServers(nullptr));
  for (const char *bad : {"", "127.0.0.1,,127.0.0.2", "127.0.0.1:", "127.0.0.1:0", "[::1]x",
                          "[::1]:", "[127.0.0.1]:53", "::1:53:x", " 127.0.0.1", "127.0.0.1 ",
                          "localhost", "127.1"})
    EXPECT_FALSE(asynctcp::setDnsServers(bad)) << '"' << bad << '"';
  // Every form the list takes, accepted (the fake server below is then the one used).
  EXPECT_TRUE(asynctcp::setDnsServers("127.0.0.1,127.0.0.1:5353,[::1]:53,::1,[::1]"));
  FakeDnsServer dns(FakeDnsServer::Mode::NxDomain);
  EXPECT_TRUE(asynctcp::setDnsServers(dns.spec().c_str()));
}

TEST(Dns, ClientDeletedWhileResolvingGetsNoCallbacks) {
  FakeDnsServer dns(FakeDnsServer::Mode::NxDomain);
  ASSERT_TRUE(asynctcp::setDnsServers(dns.spec().c_str()));
  ClientLog log;
  auto *c = new AsyncClient;
  log.attach(*c);
  ASSERT_TRUE(c->connect("gone.asynctcp.test", 80));
  delete c;
  log.markDeleted();
  EXPECT_TRUE(staysFalse([&] { return log.lateCallbacks() > 0; }, 500ms))
      << ::testing::PrintToString(log.events());
}
