// Every public AsyncClient method in every state: before connect, while connecting, connected,
// after disconnect; plus the static string helpers and configuration defaults.
#include "test_support.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <string>

using namespace tst;

namespace {

std::string lower(const char *s) {
  std::string out = s ? s : "";
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char ch) { return static_cast<char>(std::tolower(ch)); });
  return out;
}

}  // namespace

// ---- before connect -------------------------------------------------------------------------

TEST(ClientBeforeConnect, ReportsClosedState) {
  AsyncClient c;
  EXPECT_EQ(c.state(), CLOSED);
  EXPECT_STREQ(c.stateToString(), "Closed");
  EXPECT_FALSE(c.connected());
  EXPECT_FALSE(c.connecting());
  EXPECT_FALSE(c.disconnecting());
  EXPECT_TRUE(c.disconnected());
  EXPECT_TRUE(c.freeable());
  EXPECT_TRUE(c.free());
}

TEST(ClientBeforeConnect, HasNoSpaceAndRefusesAddWriteSend) {
  AsyncClient c;
  EXPECT_EQ(c.space(), 0u);
  EXPECT_FALSE(c.canSend());
  EXPECT_EQ(c.add("abc", 3), 0u);
  EXPECT_EQ(c.add("abc", 3, 0), 0u);
  EXPECT_EQ(c.write("abc", 3), 0u);
  EXPECT_EQ(c.write("abc"), 0u);
  EXPECT_FALSE(c.send());
}

TEST(ClientBeforeConnect, AddressesAndMssAreZero) {
  AsyncClient c;
  EXPECT_EQ(c.getRemoteAddress(), 0u);
  EXPECT_EQ(c.getRemotePort(), 0);
  EXPECT_EQ(c.getLocalAddress(), 0u);
  EXPECT_EQ(c.getLocalPort(), 0);
  EXPECT_EQ(c.remotePort(), 0);
  EXPECT_EQ(c.localPort(), 0);
  EXPECT_EQ(uint32_t(c.remoteIP()), 0u);
  EXPECT_EQ(c.getMss(), 0);
}

TEST(ClientBeforeConnect, AckReturnsZero) {
  AsyncClient c;
  EXPECT_EQ(c.ack(100), 0u);
}

TEST(ClientBeforeConnect, CloseStopAbortRunNoCallbacks) {
  ClientLog log;
  AsyncClient c;
  log.attach(c);
  c.close();
  c.close(true);
  c.stop();
  EXPECT_EQ(c.abort(), ERR_CONN);  // as ESP32Async: nothing to abort
  EXPECT_TRUE(staysFalse([&] { return !log.events().empty(); }, 200ms))
      << "unexpected callbacks on a client that never connected";
  EXPECT_EQ(c.state(), CLOSED);
}

TEST(ClientConfig, DefaultsMatchConfigMacros) {
  AsyncClient c;
  EXPECT_EQ(c.getAckTimeout(), uint32_t(CONFIG_ASYNC_TCP_MAX_ACK_TIME));
  EXPECT_EQ(c.getRxTimeout(), 0u);
  EXPECT_EQ(c.getPollInterval(), uint32_t(CONFIG_ASYNC_TCP_POLL_INTERVAL_MS));
  EXPECT_EQ(c.getConnectTimeout(), uint32_t(CONFIG_ASYNC_TCP_CONNECT_TIMEOUT_MS));
}

TEST(ClientConfig, SettersRoundTripBeforeConnect) {
  AsyncClient c;
  c.setRxTimeout(7);
  c.setAckTimeout(1234);
  c.setPollInterval(250);
  c.setConnectTimeout(777);
  EXPECT_EQ(c.getRxTimeout(), 7u);
  EXPECT_EQ(c.getAckTimeout(), 1234u);
  EXPECT_EQ(c.getPollInterval(), 250u);
  EXPECT_EQ(c.getConnectTimeout(), 777u);
}

TEST(ClientConfig, ConnectWithNullHostReturnsFalse) {
  ClientLog log;
  AsyncClient c;
  log.attach(c);
  EXPECT_FALSE(c.connect(static_cast<const char *>(nullptr), 80));
  EXPECT_EQ(c.state(), CLOSED);
}

// ---- connecting ------------------------------------------------------------------------------

TEST(ClientConnecting, ReportsSynSentWithNoSpace) {
  HangingListener hang;
  ClientLog log;
  AsyncClient c;
  log.attach(c);
  ASSERT_TRUE(c.connect(peerIp4(), hang.port()));
  EXPECT_TRUE(c.connecting());
  EXPECT_EQ(c.state(), SYN_SENT);
  EXPECT_STREQ(c.stateToString(), "SYN Sent");
  EXPECT_FALSE(c.connected());
  EXPECT_FALSE(c.disconnected());
  EXPECT_FALSE(c.freeable());
  EXPECT_EQ(c.space(), 0u);
  EXPECT_FALSE(c.canSend());
  EXPECT_EQ(c.add("abc", 3), 0u);
  EXPECT_EQ(c.write("abc"), 0u);
  EXPECT_FALSE(c.send());
  EXPECT_EQ(log.connects(), 0);
  c.close();
  EXPECT_TRUE(log.waitDisconnected());
}

TEST(ClientConnecting, SecondConnectReturnsFalse) {
  HangingListener hang;
  EchoServer echo;
  ClientLog log;
  AsyncClient c;
  log.attach(c);
  ASSERT_TRUE(c.connect(peerIp4(), hang.port()));
  EXPECT_FALSE(c.connect(peerIp4(), hang.port()));
  EXPECT_FALSE(c.connect(loopback4(), echo.port()));
  EXPECT_FALSE(c.connect("127.0.0.1", echo.port()));
  EXPECT_EQ(c.state(), SYN_SENT);
  c.close();
  EXPECT_TRUE(log.waitDisconnected());
  EXPECT_EQ(echo.accepted(), 0);
}

TEST(ClientConnecting, CloseEndsWithOneDisconnectAndNoError) {
  HangingListener hang;
  ClientLog log;
  AsyncClient c;
  log.attach(c);
  ASSERT_TRUE(c.connect(peerIp4(), hang.port()));
  c.close();
  ASSERT_TRUE(log.waitDisconnected());
  EXPECT_TRUE(staysFalse([&] { return log.disconnects() > 1; }, 100ms));
  EXPECT_EQ(log.lifecycle(), std::vector<std::string>{"disconnect"});
  EXPECT_EQ(c.state(), CLOSED);
}

TEST(ClientConnecting, AbortReportsErrAbrtThenDisconnect) {
  HangingListener hang;
  ClientLog log;
  AsyncClient c;
  log.attach(c);
  ASSERT_TRUE(c.connect(peerIp4(), hang.port()));
  EXPECT_EQ(c.abort(), ERR_ABRT);
  ASSERT_TRUE(log.waitDisconnected());
  EXPECT_TRUE(staysFalse([&] { return log.disconnects() > 1; }, 100ms));
  EXPECT_EQ(log.lifecycle(), (std::vector<std::string>{"error:-13", "disconnect"}));
}

// ---- connected -------------------------------------------------------------------------------

TEST(ClientConnected, ReportsEstablishedWithFullSendBudget) {
  EchoServer echo;
  ClientLog log;
  AsyncClient c;
  log.attach(c);
  ASSERT_TRUE(c.connect(loopback4(), echo.port()));
  ASSERT_TRUE(log.waitConnected());
  EXPECT_EQ(c.state(), ESTABLISHED);
  EXPECT_STREQ(c.stateToString(), "Established");
  EXPECT_TRUE(c.connected());
  EXPECT_FALSE(c.connecting());
  EXPECT_FALSE(c.disconnecting());
  EXPECT_FALSE(c.disconnected());
  EXPECT_FALSE(c.freeable());
  EXPECT_FALSE(c.free());
  EXPECT_EQ(c.space(), sendBudget());
  EXPECT_TRUE(c.canSend());
  EXPECT_GT(c.getMss(), 0);
}

TEST(ClientConnected, ConnectAgainReturnsFalseAndKeepsConnection) {
  EchoServer echo;
  ClientLog log;
  AsyncClient c;
  log.attach(c);
  ASSERT_TRUE(c.connect(loopback4(), echo.port()));
  ASSERT_TRUE(log.waitConnected());
  EXPECT_FALSE(c.connect(loopback4(), echo.port()));
  EXPECT_FALSE(c.connect("127.0.0.1", echo.port()));
  EXPECT_TRUE(c.connected());
  EXPECT_EQ(c.write("ping"), 4u);
  EXPECT_TRUE(log.waitReceived(4));
  EXPECT_EQ(log.data(), "ping");
  EXPECT_EQ(echo.accepted(), 1);
}

TEST(ClientConnected, AddressesMatchTheRawPeer) {
  RawListener listener;
  ClientLog log;
  AsyncClient c;
  log.attach(c);
  RawSocket peer = connectAndAccept(c, log, listener);
  ASSERT_TRUE(peer.valid());
  EXPECT_EQ(c.remoteIP(), peerIp4());
  EXPECT_EQ(c.remotePort(), listener.port());
  EXPECT_EQ(c.getRemoteAddress(), uint32_t(peerIp4()));
  EXPECT_EQ(c.getRemotePort(), listener.port());
  EXPECT_EQ(c.localIP(), stackIp4());
  EXPECT_EQ(c.getLocalAddress(), uint32_t(stackIp4()));
  EXPECT_EQ(c.localPort(), peer.remotePort());
  EXPECT_EQ(c.getLocalPort(), peer.remotePort());
  EXPECT_TRUE(c.remoteIP().isV4());
}

TEST(ClientConnected, NoDelayRoundTrips) {
  EchoServer echo;
  ClientLog log;
  AsyncClient c;
  log.attach(c);
  ASSERT_TRUE(c.connect(loopback4(), echo.port()));
  ASSERT_TRUE(log.waitConnected());
  c.setNoDelay(true);
  EXPECT_TRUE(c.getNoDelay());
  c.setNoDelay(false);
  EXPECT_FALSE(c.getNoDelay());
}

TEST(ClientConnected, KeepAliveAndTimeoutSettersKeepConnectionUsable) {
  EchoServer echo;
  ClientLog log;
  AsyncClient c;
  log.attach(c);
  ASSERT_TRUE(c.connect(loopback4(), echo.port()));
  ASSERT_TRUE(log.waitConnected());
  c.setKeepAlive(1000, 3);
  c.setRxTimeout(30);
  c.setAckTimeout(4000);
  EXPECT_EQ(c.getRxTimeout(), 30u);
  EXPECT_EQ(c.getAckTimeout(), 4000u);
  EXPECT_EQ(c.write("hello"), 5u);
  EXPECT_TRUE(log.waitReceived(5));
  EXPECT_EQ(log.data(), "hello");
  EXPECT_TRUE(log.errors().empty());
}

TEST(ClientConnected, EqualityIsPerConnection) {
  EchoServer echo;
  ClientLog logA, logB;
  AsyncClient a, b;
  logA.attach(a);
  logB.attach(b);
  ASSERT_TRUE(a.connect(loopback4(), echo.port()));
  ASSERT_TRUE(b.connect(loopback4(), echo.port()));
  ASSERT_TRUE(logA.waitConnected());
  ASSERT_TRUE(logB.waitConnected());
  EXPECT_TRUE(a == a);
  EXPECT_FALSE(a != a);
  EXPECT_FALSE(a == b);
  EXPECT_TRUE(a != b);
}

// ---- after disconnect ------------------------------------------------------------------------

TEST(ClientAfterDisconnect, ReportsClosedAndRefusesIo) {
  RawListener listener;
  ClientLog log;
  AsyncClient c;
  log.attach(c);
  RawSocket peer = connectAndAccept(c, log, listener);
  ASSERT_TRUE(peer.valid());
  peer.close();
  ASSERT_TRUE(log.waitDisconnected());
  EXPECT_EQ(c.state(), CLOSED);
  EXPECT_TRUE(c.disconnected());
  EXPECT_FALSE(c.connected());
  EXPECT_FALSE(c.connecting());
  EXPECT_TRUE(c.freeable());
  EXPECT_TRUE(c.free());
  EXPECT_EQ(c.space(), 0u);
  EXPECT_FALSE(c.canSend());
  EXPECT_EQ(c.add("abc", 3), 0u);
  EXPECT_EQ(c.write("abc"), 0u);
  EXPECT_FALSE(c.send());
  EXPECT_EQ(c.ack(10), 0u);
}

TEST(ClientAfterDisconnect, CloseAndAbortDoNotRepeatCallbacks) {
  RawListener listener;
  ClientLog log;
  AsyncClient c;
  log.attach(c);
  RawSocket peer = connectAndAccept(c, log, listener);
  ASSERT_TRUE(peer.valid());
  peer.close();
  ASSERT_TRUE(log.waitDisconnected());
  c.close();
  c.close(true);
  c.abort();
  EXPECT_TRUE(staysFalse([&] { return log.disconnects() > 1 || !log.errors().empty(); }, 200ms))
      << ::testing::PrintToString(log.lifecycle());
  EXPECT_EQ(log.lateCallbacks(), 0);
}

TEST(ClientAfterDisconnect, SameObjectReconnectsAndEchoes) {
  EchoServer echo;
  ClientLog log;
  AsyncClient c;
  log.attach(c);
  ASSERT_TRUE(c.connect(loopback4(), echo.port()));
  ASSERT_TRUE(log.waitConnected());
  c.close();
  ASSERT_TRUE(log.waitDisconnected());
  log.resetForReconnect();
  ASSERT_TRUE(c.connect(loopback4(), echo.port()));
  ASSERT_TRUE(waitFor([&] { return log.connects() == 2; }));
  EXPECT_EQ(c.space(), sendBudget());
  EXPECT_EQ(c.write("again"), 5u);
  EXPECT_TRUE(log.waitReceived(5));
  EXPECT_EQ(log.data(), "again");
  EXPECT_EQ(echo.accepted(), 2);
}

// ---- static helpers --------------------------------------------------------------------------

TEST(ErrorToString, NamesLwipErrors) {
  EXPECT_NE(lower(AsyncClient::errorToString(ERR_OK)).find("ok"), std::string::npos);
  EXPECT_NE(lower(AsyncClient::errorToString(ERR_RST)).find("reset"), std::string::npos);
  EXPECT_NE(lower(AsyncClient::errorToString(ERR_TIMEOUT)).find("timeout"), std::string::npos);
  EXPECT_NE(lower(AsyncClient::errorToString(ERR_ABRT)).find("abort"), std::string::npos);
  EXPECT_NE(lower(AsyncClient::errorToString(ERR_CLSD)).find("closed"), std::string::npos);
  EXPECT_NE(lower(AsyncClient::errorToString(ERR_USE)).find("in use"), std::string::npos);
}

TEST(ErrorToString, DnsFailureMentionsDns) {
  EXPECT_NE(lower(AsyncClient::errorToString(ASYNC_TCP_ERR_DNS)).find("dns"), std::string::npos);
}

TEST(ErrorToString, UnknownCodeGivesNonEmptyString) {
  const char *s = AsyncClient::errorToString(-100);
  ASSERT_NE(s, nullptr);
  EXPECT_GT(std::strlen(s), 0u);
  EXPECT_STRNE(s, AsyncClient::errorToString(ERR_OK));
}

TEST(ServiceThread, CallbacksRunOnOneThreadThatIsNotTheCaller) {
  EchoServer echo;
  ClientLog logA, logB;
  AsyncClient a, b;
  logA.attach(a);
  logB.attach(b);
  ASSERT_TRUE(a.connect(loopback4(), echo.port()));
  ASSERT_TRUE(b.connect(loopback4(), echo.port()));
  ASSERT_TRUE(logA.waitConnected());
  ASSERT_TRUE(logB.waitConnected());
  a.write("x");
  b.write("y");
  ASSERT_TRUE(logA.waitReceived(1));
  ASSERT_TRUE(logB.waitReceived(1));
  a.close();
  b.close();
  ASSERT_TRUE(logA.waitDisconnected());
  ASSERT_TRUE(logB.waitDisconnected());
  auto threadsA = logA.callbackThreads();
  auto threadsB = logB.callbackThreads();
  ASSERT_EQ(threadsA.size(), 1u);
  ASSERT_EQ(threadsB.size(), 1u);
  EXPECT_EQ(*threadsA.begin(), *threadsB.begin());
  EXPECT_NE(*threadsA.begin(), std::this_thread::get_id());
  EXPECT_EQ(logA.reentrantCallbacks(), 0);
}
