// IPv6 on ::1, and the all-address (v4 + v6) server constructor.
#include "test_support.h"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <gtest/gtest.h>

#include <cstring>

using namespace tst;

TEST(Ipv6, ServerOnLoopbackAcceptsClientAndEchoes) {
  EchoServer echo(loopback6());
  ASSERT_TRUE(echo.listening());
  ClientLog log;
  AsyncClient c;
  log.attach(c);
  ASSERT_TRUE(c.connect(loopback6(), echo.port()));
  ASSERT_TRUE(log.waitConnected());
  EXPECT_EQ(c.write("v6 hello"), 8u);
  ASSERT_TRUE(log.waitReceived(8));
  EXPECT_EQ(log.data(), "v6 hello");
  const auto peers = echo.remoteIPs();
  ASSERT_EQ(peers.size(), 1u);
  EXPECT_TRUE(peers[0].isV6());
  EXPECT_EQ(peers[0], loopback6());
}

TEST(Ipv6, ClientReportsV6Addresses) {
  RawListener listener(peerIp6());
  ASSERT_NE(listener.port(), 0);
  ClientLog log;
  AsyncClient c;
  log.attach(c);
  RawSocket peer = connectAndAccept(c, log, listener);
  ASSERT_TRUE(peer.valid());
  EXPECT_TRUE(c.remoteIP().isV6());
  EXPECT_EQ(c.remoteIP(), peerIp6());
  EXPECT_EQ(c.remoteIP6(), peerIp6());
  EXPECT_EQ(c.localIP6(), stackIp6());
  EXPECT_EQ(c.remotePort(), listener.port());
  EXPECT_EQ(c.localPort(), peer.remotePort());
  const ip6_addr_t remote = c.getRemoteAddress6();
  EXPECT_EQ(std::memcmp(remote.addr, peerIp6().raw6(), 16), 0)
      << "getRemoteAddress6() is not " << peerIp6().toString() << " in network byte order";
  const ip6_addr_t local = c.getLocalAddress6();
  EXPECT_EQ(std::memcmp(local.addr, stackIp6().raw6(), 16), 0);
}

TEST(Ipv6, ServerOnV6AddressIsNotReachableOverIpv4) {
  EchoServer echo(stackIp6());
  ASSERT_TRUE(echo.listening());
  RawSocket v4 = rawConnect(stackIp4(), echo.port());
  EXPECT_FALSE(v4.valid());
  RawSocket v6 = rawConnect(stackIp6(), echo.port());
  EXPECT_TRUE(v6.valid());
}

TEST(Ipv6, RefusedConnectReportsErrRst) {
  uint16_t port = 0;
  {
    RawListener probe(peerIp6());
    port = probe.port();
  }  // closed again: nothing listens there now
  ASSERT_NE(port, 0);
  ClientLog log;
  AsyncClient c;
  log.attach(c);
  ASSERT_TRUE(c.connect(peerIp6(), port));
  ASSERT_TRUE(log.waitDisconnected());
  EXPECT_EQ(log.lifecycle(), (std::vector<std::string>{"error:-14", "disconnect"}));
}

TEST(AllAddressServer, AcceptsIpv4AndIpv6Clients) {
  EchoServer echo(std::make_unique<AsyncServer>(uint16_t(0)));
  ASSERT_TRUE(echo.listening());
  ASSERT_NE(echo.port(), 0);
  ClientLog log4, log6;
  AsyncClient c4, c6;
  log4.attach(c4);
  log6.attach(c6);
  ASSERT_TRUE(c4.connect(loopback4(), echo.port()));
  ASSERT_TRUE(c6.connect(loopback6(), echo.port()));
  ASSERT_TRUE(log4.waitConnected());
  ASSERT_TRUE(log6.waitConnected());
  EXPECT_EQ(c4.write("four"), 4u);
  EXPECT_EQ(c6.write("six"), 3u);
  ASSERT_TRUE(log4.waitReceived(4));
  ASSERT_TRUE(log6.waitReceived(3));
  EXPECT_EQ(log4.data(), "four");
  EXPECT_EQ(log6.data(), "six");
  EXPECT_TRUE(c4.remoteIP().isV4());
  EXPECT_EQ(c4.remoteIP(), loopback4());
  EXPECT_TRUE(c6.remoteIP().isV6());
  EXPECT_EQ(echo.accepted(), 2);
}
