// AsyncServer: begin/end/status/port, port in use, accept handling, no-delay propagation.
#include "test_support.h"

#include <gtest/gtest.h>

#include <cerrno>
#include <cstring>

using namespace tst;

TEST(Server, ReportsClosedAndNoPortBeforeBegin) {
  AsyncServer server(stackIp4(), 0);
  EXPECT_EQ(server.status(), CLOSED);
  EXPECT_EQ(server.port(), 0);
}

TEST(Server, BeginOnEphemeralPortListens) {
  AsyncServer server(stackIp4(), 0);
  server.onClient(
      [](void *, AsyncClient *c) {
        c->onDisconnect([](void *, AsyncClient *cl) { delete cl; });
        c->close();
      },
      nullptr);
  server.begin();
  EXPECT_EQ(server.status(), LISTEN);
  EXPECT_NE(server.port(), 0);
  EXPECT_EQ(server.lastErrno(), 0);
  RawSocket peer = rawConnect(stackIp4(), server.port());
  ASSERT_TRUE(peer.valid());
  EXPECT_EQ(peer.readUntilEnd(3000ms), PeerEnd::Eof) << "the accepted client was not closed";
}

TEST(Server, BeginOnPortInUseStaysClosedWithEaddrinuse) {
  AsyncServer first(loopback4(), 0);
  first.begin();
  ASSERT_EQ(first.status(), LISTEN);
  AsyncServer second(loopback4(), first.port());
  second.begin();
  EXPECT_EQ(second.status(), CLOSED);
  EXPECT_EQ(second.lastErrno(), osErrno(EADDRINUSE));
  EXPECT_EQ(second.port(), 0);
  EXPECT_EQ(first.status(), LISTEN) << "the failed begin() disturbed the first server";
}

TEST(Server, BeginOnPortHeldByRawListenerStaysClosed) {
  if (kLwip)
    GTEST_SKIP() << "posix only: lwIP has a port space of its own, a Linux socket cannot hold it";
  RawListener holder;
  ASSERT_NE(holder.port(), 0);
  AsyncServer server(loopback4(), holder.port());
  server.begin();
  EXPECT_EQ(server.status(), CLOSED);
  EXPECT_EQ(server.lastErrno(), EADDRINUSE);
}

TEST(Server, EndStopsListeningButAcceptedClientsKeepWorking) {
  EchoServer echo(stackIp4());
  const uint16_t port = echo.port();
  ClientLog log;
  AsyncClient c;
  log.attach(c);
  ASSERT_TRUE(c.connect(stackIp4(), port));
  ASSERT_TRUE(log.waitConnected());
  ASSERT_TRUE(echo.waitAccepted(1));
  echo.server().end();
  EXPECT_EQ(echo.server().status(), CLOSED);
  RawSocket late = rawConnect(stackIp4(), port);
  EXPECT_FALSE(late.valid()) << "new connections still accepted after end()";
  // The accepted connection still echoes.
  EXPECT_TRUE(c.connected());
  const std::string msg = pattern(32 * kKiB, 92);
  EXPECT_EQ(c.write(msg.data(), msg.size()), msg.size());
  ASSERT_TRUE(log.waitReceived(msg.size()));
  EXPECT_TRUE(log.data() == msg);
  EXPECT_EQ(echo.live(), 1);
  EXPECT_TRUE(log.errors().empty());
}

TEST(Server, EndTwiceIsHarmless) {
  AsyncServer server(stackIp4(), 0);
  server.begin();
  ASSERT_EQ(server.status(), LISTEN);
  server.end();
  server.end();
  EXPECT_EQ(server.status(), CLOSED);
  EXPECT_EQ(server.port(), 0);
}

TEST(Server, BeginAfterEndListensAgain) {
  EchoServer echo;
  echo.server().end();
  ASSERT_EQ(echo.server().status(), CLOSED);
  echo.server().begin();
  ASSERT_EQ(echo.server().status(), LISTEN);
  ClientLog log;
  AsyncClient c;
  log.attach(c);
  ASSERT_TRUE(c.connect(loopback4(), echo.port()));
  ASSERT_TRUE(log.waitConnected());
  EXPECT_EQ(c.write("again"), 5u);
  EXPECT_TRUE(log.waitReceived(5));
}

TEST(Server, WithoutOnClientAbortsIncomingConnections) {
  AsyncServer server(stackIp4(), 0);
  server.begin();
  ASSERT_EQ(server.status(), LISTEN);
  RawSocket peer = rawConnect(stackIp4(), server.port());
  if (!peer.valid()) {
    // The abort can land before the connect completes on our side.
    EXPECT_EQ(errno, ECONNRESET) << std::strerror(errno);
    return;
  }
  const PeerEnd end = peer.readUntilEnd(3000ms);
  EXPECT_TRUE(end == PeerEnd::Reset || end == PeerEnd::Eof) << toString(end);
}

TEST(Server, AcceptedClientIsConnectedAndKnowsItsPeer) {
  struct Seen {
    std::mutex m;
    bool done = false, connected = false;
    uint8_t state = 0;
    IPAddress remote;
    uint16_t remotePort = 0, localPort = 0;
    size_t space = 0;
  } seen;
  std::atomic<int> disconnects{0};
  AsyncServer server(stackIp4(), 0);
  server.onClient(
      [&](void *, AsyncClient *c) {
        {
          std::lock_guard<std::mutex> lock(seen.m);
          seen.connected = c->connected();
          seen.state = c->state();
          seen.remote = c->remoteIP();
          seen.remotePort = c->remotePort();
          seen.localPort = c->localPort();
          seen.space = c->space();
          seen.done = true;
        }
        c->onDisconnect([&disconnects](void *, AsyncClient *cl) {
          disconnects++;
          delete cl;
        });
      },
      nullptr);
  server.begin();
  RawSocket peer = rawConnect(stackIp4(), server.port());
  ASSERT_TRUE(peer.valid());
  ASSERT_TRUE(waitFor([&] {
    std::lock_guard<std::mutex> lock(seen.m);
    return seen.done;
  }));
  {
    std::lock_guard<std::mutex> lock(seen.m);
    EXPECT_TRUE(seen.connected);
    EXPECT_EQ(seen.state, ESTABLISHED);
    EXPECT_EQ(seen.remote, peerIp4());
    EXPECT_EQ(seen.remotePort, peer.localPort());
    EXPECT_EQ(seen.localPort, server.port());
    EXPECT_EQ(seen.space, sendBudget());
  }
  peer.close();
  EXPECT_TRUE(waitFor([&] { return disconnects == 1; }));
}

TEST(Server, SetNoDelayAppliesToAcceptedClients) {
  std::atomic<int> sawNoDelay{-1};
  std::atomic<int> disconnects{0};
  AsyncServer server(stackIp4(), 0);
  server.setNoDelay(true);
  EXPECT_TRUE(server.getNoDelay());
  server.onClient(
      [&](void *, AsyncClient *c) {
        sawNoDelay = c->getNoDelay() ? 1 : 0;
        c->onDisconnect([&disconnects](void *, AsyncClient *cl) {
          disconnects++;
          delete cl;
        });
      },
      nullptr);
  server.begin();
  RawSocket peer = rawConnect(stackIp4(), server.port());
  ASSERT_TRUE(peer.valid());
  ASSERT_TRUE(waitFor([&] { return sawNoDelay != -1; }));
  EXPECT_EQ(sawNoDelay.load(), 1);
  server.setNoDelay(false);
  EXPECT_FALSE(server.getNoDelay());
  peer.close();
  EXPECT_TRUE(waitFor([&] { return disconnects == 1; }));
}

TEST(Server, PeerFinDisconnectsAcceptedClientWithoutError) {
  EchoServer echo(stackIp4());
  RawSocket peer = rawConnect(stackIp4(), echo.port());
  ASSERT_TRUE(peer.valid());
  ASSERT_TRUE(echo.waitAccepted(1));
  peer.close();
  EXPECT_TRUE(echo.waitAllDisconnected());
  EXPECT_EQ(echo.disconnects(), 1);
  EXPECT_TRUE(echo.errors().empty());
}

TEST(ServerLifetime, DeleteServerFromMainThreadKeepsAcceptedClientsWorking) {
  std::atomic<int> accepted{0}, disconnects{0};
  auto *server = new AsyncServer(stackIp4(), 0);
  server->onClient(
      [&accepted, &disconnects](void *, AsyncClient *c) {
        accepted++;
        c->onData([](void *, AsyncClient *cl, void *data, size_t len) {
          cl->write(static_cast<const char *>(data), len);
        });
        c->onDisconnect([&disconnects](void *, AsyncClient *cl) {
          disconnects++;
          delete cl;
        });
      },
      nullptr);
  server->begin();
  ASSERT_EQ(server->status(), LISTEN);
  const uint16_t port = server->port();
  RawSocket peer = rawConnect(stackIp4(), port);
  ASSERT_TRUE(peer.valid());
  ASSERT_TRUE(waitFor([&] { return accepted == 1; }));
  delete server;
  EXPECT_FALSE(rawConnect(stackIp4(), port).valid()) << "still listening after delete";
  ASSERT_TRUE(peer.sendAll("after delete"));
  std::string got;
  EXPECT_TRUE(peer.recvExactly(12, got));
  EXPECT_EQ(got, "after delete");
  peer.close();
  EXPECT_TRUE(waitFor([&] { return disconnects == 1; }));
}
