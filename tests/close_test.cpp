// Orderly endings: peer FIN, local close()/stop(), half-close, and data queued at close time.
// Posix-only regressions of graceful close while the peer talks: reliability/close_test.cpp.
#include "test_support.h"

#include <gtest/gtest.h>

using namespace tst;

TEST(PeerClose, DisconnectsOnceWithoutError) {
  RawListener listener;
  ClientLog log;
  AsyncClient c;
  log.attach(c);
  RawSocket peer = connectAndAccept(c, log, listener);
  ASSERT_TRUE(peer.valid());
  peer.close();
  ASSERT_TRUE(log.waitDisconnected());
  EXPECT_TRUE(staysFalse([&] { return log.disconnects() > 1; }, 100ms));
  EXPECT_EQ(log.lifecycle(), (std::vector<std::string>{"connect", "disconnect"}));
  EXPECT_EQ(c.state(), CLOSED);
}

TEST(PeerClose, DataSentBeforeFinIsDeliveredBeforeDisconnect) {
  RawListener listener;
  std::atomic<size_t> receivedAtDisconnect{SIZE_MAX};
  ClientLog log;
  AsyncClient c;
  ClientHooks hooks;
  hooks.onDisconnect = [&](AsyncClient *) { receivedAtDisconnect = log.received(); };
  log.attach(c, hooks);
  RawSocket peer = connectAndAccept(c, log, listener);
  ASSERT_TRUE(peer.valid());
  const std::string sent = pattern(100 * kKiB, 41);
  ASSERT_TRUE(peer.sendAll(sent));
  peer.close();
  ASSERT_TRUE(log.waitDisconnected()) << "no onDisconnect after the peer's FIN; received "
                                      << log.received() << " of " << sent.size() << " bytes";
  // The log counts the disconnect before it runs the hook: wait for the hook itself.
  ASSERT_TRUE(waitFor([&] { return receivedAtDisconnect.load() != SIZE_MAX; }));
  EXPECT_EQ(receivedAtDisconnect.load(), sent.size());
  EXPECT_TRUE(log.data() == sent);
  EXPECT_TRUE(log.errors().empty());
}

TEST(LocalClose, PeerSeesEofAndClientDisconnectsWithoutError) {
  RawListener listener;
  ClientLog log;
  AsyncClient c;
  log.attach(c);
  RawSocket peer = connectAndAccept(c, log, listener);
  ASSERT_TRUE(peer.valid());
  c.close();
  EXPECT_EQ(peer.readUntilEnd(3000ms), PeerEnd::Eof);
  ASSERT_TRUE(log.waitDisconnected());
  EXPECT_TRUE(staysFalse([&] { return log.disconnects() > 1; }, 100ms));
  EXPECT_EQ(log.lifecycle(), (std::vector<std::string>{"connect", "disconnect"}));
  EXPECT_TRUE(c.disconnected());
}

TEST(LocalClose, StopBehavesAsGracefulClose) {
  RawListener listener;
  ClientLog log;
  AsyncClient c;
  log.attach(c);
  RawSocket peer = connectAndAccept(c, log, listener);
  ASSERT_TRUE(peer.valid());
  EXPECT_EQ(c.write("bye"), 3u);
  c.stop();
  std::string got;
  EXPECT_EQ(peer.readUntilEnd(3000ms, &got), PeerEnd::Eof);
  EXPECT_EQ(got, "bye");
  ASSERT_TRUE(log.waitDisconnected());
  EXPECT_TRUE(log.errors().empty());
}

TEST(LocalClose, CloseNowEndsConnectionWithOneDisconnect) {
  RawListener listener;
  ClientLog log;
  AsyncClient c;
  log.attach(c);
  RawSocket peer = connectAndAccept(c, log, listener);
  ASSERT_TRUE(peer.valid());
  c.close(true);
  const PeerEnd end = peer.readUntilEnd(3000ms);
  EXPECT_TRUE(end == PeerEnd::Eof || end == PeerEnd::Reset) << toString(end);
  ASSERT_TRUE(log.waitDisconnected());
  EXPECT_TRUE(staysFalse([&] { return log.disconnects() > 1; }, 100ms));
  EXPECT_EQ(c.state(), CLOSED);
}

TEST(LocalClose, QueuedDataReachesSlowPeerBeforeFin) {
  // The peer's tiny receive buffer keeps most of the data queued on our side at close() time.
  RawListener listener(peerIp4(), 8, 4096, 0);
  const std::string sent = pattern(sendBudget(), 43);
  std::atomic<size_t> written{0};
  ClientLog log;
  AsyncClient c;
  ClientHooks hooks;
  hooks.onConnect = [&](AsyncClient *cl) {
    written = cl->write(sent.data(), sent.size());
    cl->close();
  };
  log.attach(c, hooks);
  ASSERT_TRUE(c.connect(listener.ip(), listener.port()));
  RawSocket peer = listener.accept();
  ASSERT_TRUE(peer.valid());
  ASSERT_TRUE(log.waitConnected());
  std::this_thread::sleep_for(200ms);  // the slow peer starts reading late
  std::string got;
  EXPECT_EQ(peer.readUntilEnd(5000ms, &got), PeerEnd::Eof);
  EXPECT_EQ(written.load(), sent.size());
  EXPECT_EQ(got.size(), sent.size());
  EXPECT_TRUE(got == sent);
  EXPECT_TRUE(log.waitDisconnected());
  EXPECT_TRUE(log.errors().empty());
}

TEST(LocalClose, WriteThenCloseFromMainThreadDeliversEverything) {
  RawListener listener(peerIp4(), 8, 4096, 0);
  ClientLog log;
  AsyncClient c;
  log.attach(c);
  RawSocket peer = connectAndAccept(c, log, listener);
  ASSERT_TRUE(peer.valid());
  const std::string sent = pattern(sendBudget(), 44);
  EXPECT_EQ(c.write(sent.data(), sent.size()), sent.size());
  c.close();
  std::string got;
  EXPECT_EQ(peer.readUntilEnd(5000ms, &got), PeerEnd::Eof);
  EXPECT_TRUE(got == sent) << "got " << got.size() << " of " << sent.size() << " bytes";
  EXPECT_TRUE(log.waitDisconnected());
}

TEST(HalfClose, ReplyQueuedBeforePeerFinIsDeliveredThenEof) {
  // The server answers a request with 60 KiB; the request arrives with the peer's FIN, so the
  // library closes right after onData, and the queued reply must still go out before its FIN.
  const std::string reply = pattern(60 * kKiB, 45);
  std::atomic<int> disconnects{0};
  std::atomic<size_t> written{0};
  AsyncServer server(stackIp4(), 0);
  server.onClient(
      [&](void *, AsyncClient *c) {
        c->onData([&](void *, AsyncClient *cl, void *, size_t) {
          if (written == 0)
            written = cl->write(reply.data(), reply.size());
        });
        c->onDisconnect([&](void *, AsyncClient *cl) {
          disconnects++;
          delete cl;
        });
      },
      nullptr);
  server.begin();
  ASSERT_EQ(server.status(), LISTEN);
  RawSocket peer = rawConnect(stackIp4(), server.port(), 4096);
  ASSERT_TRUE(peer.valid());
  std::string got;
  const PeerEnd end = peer.exchange("GET /", true, got, 5000ms);
  EXPECT_EQ(end, PeerEnd::Eof) << "after receiving " << got.size() << " of " << reply.size()
                               << " bytes (server wrote " << written.load() << ")";
  EXPECT_EQ(written.load(), reply.size());
  EXPECT_EQ(got.size(), reply.size());
  EXPECT_TRUE(got == reply);
  EXPECT_TRUE(waitFor([&] { return disconnects == 1; }));
}

TEST(HalfClose, PeerShutdownWriteStillGetsFullOneMiBEchoThenEof) {
  // The peer sends 1 MiB and shuts down its write side; the (flow-controlled) echo server
  // answers everything it received, then the connection ends with a FIN.
  EchoServer echo(stackIp4(), true);
  RawSocket peer = rawConnect(stackIp4(), echo.port());
  ASSERT_TRUE(peer.valid());
  const std::string sent = pattern(kMiB, 46);
  std::string got;
  const PeerEnd end = peer.exchange(sent, true, got, 8000ms);
  EXPECT_EQ(end, PeerEnd::Eof) << toString(end) << " after receiving " << got.size() << " of "
                               << sent.size() << " bytes (server echoed " << echo.bytesEchoed()
                               << ")";
  EXPECT_EQ(got.size(), sent.size());
  EXPECT_TRUE(got == sent) << "the echo lost or reordered bytes after the peer's FIN";
  EXPECT_TRUE(echo.waitAllDisconnected(2000ms)) << "the server-side client never ended";
  EXPECT_TRUE(echo.errors().empty()) << ::testing::PrintToString(echo.errors());
}
