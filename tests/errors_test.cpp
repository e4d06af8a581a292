// Abnormal endings: refused connect, peer reset, abort(), and the order onError -> onDisconnect.
// Their posix-only regressions (ESP32 bug classes): reliability/errors_test.cpp, and
// reliability/connect_test.cpp for connects that never complete.
#include "test_support.h"

#include <gtest/gtest.h>

#include <cerrno>
#include <cstring>

using namespace tst;

TEST(RefusedConnect, ReportsErrRstThenDisconnect) {
  ClosedPort closed;
  ASSERT_NE(closed.port(), 0);
  ClientLog log;
  AsyncClient c;
  log.attach(c);
  ASSERT_TRUE(c.connect(peerIp4(), closed.port()));
  ASSERT_TRUE(log.waitDisconnected());
  EXPECT_TRUE(staysFalse([&] { return log.disconnects() > 1; }, 100ms));
  EXPECT_EQ(log.lifecycle(), (std::vector<std::string>{"error:-14", "disconnect"}));
  EXPECT_EQ(log.connects(), 0);
  EXPECT_EQ(c.lastErrno(), osErrno(ECONNREFUSED));
  EXPECT_EQ(c.state(), CLOSED);
}

TEST(RefusedConnect, ClientCanConnectAgainAfterwards) {
  ClosedPort closed;
  EchoServer echo;
  ClientLog log;
  AsyncClient c;
  log.attach(c);
  ASSERT_TRUE(c.connect(peerIp4(), closed.port()));
  ASSERT_TRUE(log.waitDisconnected());
  log.resetForReconnect();
  ASSERT_TRUE(c.connect(loopback4(), echo.port()));
  ASSERT_TRUE(log.waitConnected());
  EXPECT_EQ(c.write("ok"), 2u);
  EXPECT_TRUE(log.waitReceived(2));
}

TEST(PeerReset, ReportsErrRstThenDisconnect) {
  RawListener listener;
  ClientLog log;
  AsyncClient c;
  log.attach(c);
  RawSocket peer = connectAndAccept(c, log, listener);
  ASSERT_TRUE(peer.valid());
  peer.closeWithReset();
  ASSERT_TRUE(log.waitDisconnected());
  EXPECT_TRUE(staysFalse([&] { return log.disconnects() > 1; }, 100ms));
  EXPECT_EQ(log.lifecycle(), (std::vector<std::string>{"connect", "error:-14", "disconnect"}));
  EXPECT_EQ(c.lastErrno(), osErrno(ECONNRESET));
  EXPECT_EQ(c.state(), CLOSED);
}

TEST(PeerReset, WhileClientIsSendingReportsErrRstOnce) {
  RawListener listener(peerIp4(), 8, 4096, 0);
  Sender sender(pattern(8 * kMiB, 51));
  ClientLog log;
  AsyncClient c;
  log.attach(c, pumpingHooks(sender));
  RawSocket peer = connectAndAccept(c, log, listener);
  ASSERT_TRUE(peer.valid());
  ASSERT_TRUE(waitFor([&] { return sender.sent() > 0; }));
  peer.closeWithReset();
  ASSERT_TRUE(log.waitDisconnected());
  EXPECT_TRUE(staysFalse([&] { return log.disconnects() > 1; }, 100ms));
  EXPECT_EQ(log.lifecycle(), (std::vector<std::string>{"connect", "error:-14", "disconnect"}))
      << "lastErrno " << c.lastErrno() << " (" << std::strerror(c.lastErrno()) << ")";
  EXPECT_EQ(log.lateCallbacks(), 0);
}

TEST(PeerReset, MetByALargeWriteInsideOnPollIsReportedAsTheReset) {
  // The reset arrives while the service thread is busy in onPoll, whose write (64 KiB:
  // io_uring sends it at once, as epoll does) meets it and takes the socket's error with
  // it. The receive that ends next then sees a socket with no error and no data, which
  // must not pass for the peer's FIN: the write's failure is what ends the connection.
  RawListener listener;
  ClientLog log;
  AsyncClient c;
  const std::string big = pattern(64 * kKiB, 52);
  std::atomic<bool> inPoll{false}, reset{false};
  ClientHooks hooks;
  hooks.onPoll = [&](AsyncClient *cl) {
    if (inPoll.exchange(true))
      return;
    waitFor([&] { return reset.load(); }, 2000ms);
    std::this_thread::sleep_for(50ms);  // the RST has arrived
    cl->write(big.data(), big.size());
  };
  log.attach(c, hooks);
  RawSocket peer = connectAndAccept(c, log, listener);
  ASSERT_TRUE(peer.valid());
  ASSERT_TRUE(waitFor([&] { return inPoll.load(); }, 3000ms));
  peer.closeWithReset();
  reset = true;
  ASSERT_TRUE(log.waitDisconnected());
  EXPECT_TRUE(staysFalse([&] { return log.disconnects() > 1; }, 100ms));
  EXPECT_EQ(log.lifecycle(), (std::vector<std::string>{"connect", "error:-14", "disconnect"}));
}

TEST(Abort, ReportsErrAbrtThenDisconnectAndResetsPeer) {
  RawListener listener;
  ClientLog log;
  AsyncClient c;
  log.attach(c);
  RawSocket peer = connectAndAccept(c, log, listener);
  ASSERT_TRUE(peer.valid());
  EXPECT_EQ(c.abort(), ERR_ABRT);
  EXPECT_EQ(peer.readUntilEnd(3000ms), PeerEnd::Reset);
  ASSERT_TRUE(log.waitDisconnected());
  EXPECT_TRUE(staysFalse([&] { return log.disconnects() > 1; }, 100ms));
  EXPECT_EQ(log.lifecycle(), (std::vector<std::string>{"connect", "error:-13", "disconnect"}));
  EXPECT_EQ(c.state(), CLOSED);
}

namespace {

// Records whether onError/onDisconnect ran while a hook that called close()/abort() was still
// inside its call.
struct InsideMarker {
  std::atomic<bool> inside{false};
  std::atomic<int> endedInside{0};
  void endCallback() {
    if (inside)
      endedInside++;
  }
};

void expectEndRunsAfterCallbackReturns(bool useAbort) {
  RawListener listener;
  InsideMarker marker;
  ClientLog log;
  AsyncClient c;
  ClientHooks hooks;
  hooks.onData = [&](AsyncClient *cl, void *, size_t) {
    marker.inside = true;
    if (useAbort)
      cl->abort();
    else
      cl->close();
    marker.inside = false;
  };
  hooks.onError = [&](AsyncClient *, int8_t) { marker.endCallback(); };
  hooks.onDisconnect = [&](AsyncClient *) { marker.endCallback(); };
  log.attach(c, hooks);
  RawSocket peer = connectAndAccept(c, log, listener);
  ASSERT_TRUE(peer.valid());
  ASSERT_TRUE(peer.sendAll("trigger"));
  ASSERT_TRUE(log.waitDisconnected());
  EXPECT_EQ(marker.endedInside.load(), 0) << "onError/onDisconnect ran inside close()/abort()";
  EXPECT_EQ(log.reentrantCallbacks(), 0);
  EXPECT_TRUE(staysFalse([&] { return log.disconnects() > 1; }, 100ms));
  if (useAbort) {
    EXPECT_EQ(log.lifecycle(), (std::vector<std::string>{"connect", "error:-13", "disconnect"}));
  } else {
    EXPECT_EQ(log.lifecycle(), (std::vector<std::string>{"connect", "disconnect"}));
  }
  EXPECT_EQ(log.lateCallbacks(), 0);
}

}  // namespace

TEST(Abort, InsideOnDataDisconnectRunsAfterCallbackReturns) {
  expectEndRunsAfterCallbackReturns(true);
}

TEST(LocalClose, InsideOnDataDisconnectRunsAfterCallbackReturns) {
  expectEndRunsAfterCallbackReturns(false);
}

TEST(LocalClose, InsideOnConnectGivesOneDisconnectAndNoData) {
  EchoServer echo;
  ClientLog log;
  AsyncClient c;
  ClientHooks hooks;
  hooks.onConnect = [](AsyncClient *cl) { cl->close(); };
  log.attach(c, hooks);
  ASSERT_TRUE(c.connect(loopback4(), echo.port()));
  ASSERT_TRUE(log.waitDisconnected());
  EXPECT_TRUE(staysFalse([&] { return log.disconnects() > 1; }, 100ms));
  EXPECT_EQ(log.lifecycle(), (std::vector<std::string>{"connect", "disconnect"}));
  EXPECT_EQ(log.reentrantCallbacks(), 0);
}

TEST(PeerReset, AcceptedServerClientReportsErrRst) {
  EchoServer echo(stackIp4());
  RawSocket peer = rawConnect(stackIp4(), echo.port());
  ASSERT_TRUE(peer.valid());
  ASSERT_TRUE(echo.waitAccepted(1));
  ASSERT_TRUE(peer.sendAll("x"));
  std::string got;
  ASSERT_TRUE(peer.recvExactly(1, got));
  peer.closeWithReset();
  ASSERT_TRUE(echo.waitAllDisconnected());
  EXPECT_EQ(echo.errors(), std::vector<int>{ERR_RST});
  EXPECT_EQ(echo.disconnects(), 1);
}

// Each peer resets while the server still has events of its connection to deliver (its
// data, the ack of the echo): the error must end every accepted client exactly once. On
// lwIP the error once was recorded and the connection queued in two steps, and the
// service thread could deliver the error and free the connection in between (seen by
// ThreadSanitizer): the sanitizer builds run this many times over to catch it.
TEST(PeerReset, ManyResetsWhileEventsArePendingEndEachClientOnce) {
  constexpr int kPeers = 200;
  EchoServer echo(stackIp4());
  for (int i = 0; i < kPeers; ++i) {
    RawSocket peer = rawConnect(stackIp4(), echo.port());
    ASSERT_TRUE(peer.valid());
    ASSERT_TRUE(peer.sendAll("ping"));
    if (i % 2) {  // the echo arrived: its ack and the reset race to the server
      std::string got;
      ASSERT_TRUE(peer.recvExactly(4, got));
    }
    peer.closeWithReset();
  }
  ASSERT_TRUE(echo.waitAccepted(kPeers));
  ASSERT_TRUE(echo.waitAllDisconnected());
  EXPECT_EQ(echo.disconnects(), kPeers);
  EXPECT_EQ(echo.live(), 0);
  for (int e : echo.errors())
    EXPECT_EQ(e, ERR_RST);
  EXPECT_TRUE(staysFalse([&] { return echo.disconnects() > kPeers; }, 100ms));
}
