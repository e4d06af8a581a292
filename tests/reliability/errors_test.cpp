// Abnormal endings, posix-only regressions (the behaviour on both stacks: tests/errors_test.cpp).
// ESP32 AsyncTCP used the pcb after lwIP's error callback had freed it: every method called in
// onError, or after the disconnect, must be safe and do nothing. And this library once lost a
// peer's reset that arrived while the client held received data with ackLater(), and one that
// it first met in a write inside onData (Linux's failed send() consumes the socket's error, so
// the next recv() returns 0, as for a FIN).
#include "reliability_support.h"

#include <gtest/gtest.h>

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

using namespace tst;
using namespace rel;

namespace {

// Everything a user might call on a client whose connection is gone, with the results that
// show the call did nothing.
void expectDeadClientIsInert(AsyncClient *c) {
  EXPECT_EQ(c->write("x"), 0u);
  EXPECT_EQ(c->write("xyz", 3, ASYNC_WRITE_FLAG_COPY | ASYNC_WRITE_FLAG_MORE), 0u);
  EXPECT_EQ(c->add("x", 1), 0u);
  EXPECT_FALSE(c->send());
  EXPECT_EQ(c->space(), 0u);
  EXPECT_FALSE(c->canSend());
  EXPECT_EQ(c->ack(1000), 0u);
  EXPECT_EQ(c->getMss(), 0u);
  EXPECT_FALSE(c->connected());
  EXPECT_TRUE(c->freeable());
  c->setNoDelay(true);
  c->setKeepAlive(1000, 3);
  c->setRxTimeout(1);
  c->setAckTimeout(100);
  c->ackLater();
  (void)c->getNoDelay();
  (void)c->remoteIP();
  (void)c->localPort();
  (void)c->stateToString();
  c->close(true);
  c->stop();
  EXPECT_EQ(c->abort(), ERR_CONN);  // ended: nothing to abort, as ESP32Async (no pcb)
}

}  // namespace

TEST(PcbUsedAfterErrorCallback, EveryMethodInOnErrorIsSafeAndInert) {
  RawListener listener;
  ClientLog log;
  AsyncClient c;
  std::atomic<bool> checked{false};
  ClientHooks hooks;
  hooks.onError = [&](AsyncClient *cl, int8_t) {
    expectDeadClientIsInert(cl);
    checked = true;
  };
  log.attach(c, hooks);
  RawSocket peer = connectAndAccept(c, log, listener);
  ASSERT_TRUE(peer.valid());
  peer.closeWithReset();
  ASSERT_TRUE(log.waitDisconnected());
  EXPECT_TRUE(checked.load());
  // The calls in onError ended nothing else: one error, one disconnect.
  EXPECT_TRUE(staysFalse([&] { return log.disconnects() > 1; }, 200ms));
  EXPECT_EQ(log.lifecycle(), (std::vector<std::string>{"connect", "error:-14", "disconnect"}));
  EXPECT_EQ(log.lateCallbacks(), 0);
}

TEST(PcbUsedAfterErrorCallback, EveryMethodAfterDisconnectIsSafeAndInert) {
  RawListener listener;
  ClientLog log;
  AsyncClient c;
  log.attach(c);
  RawSocket peer = connectAndAccept(c, log, listener);
  ASSERT_TRUE(peer.valid());
  peer.closeWithReset();
  ASSERT_TRUE(log.waitDisconnected());
  expectDeadClientIsInert(&c);
  EXPECT_TRUE(staysFalse([&] { return log.disconnects() > 1 || log.errors().size() > 1; }, 200ms));
  EXPECT_EQ(c.state(), CLOSED);
}

TEST(PcbUsedAfterErrorCallback, WriteRacingAPeerResetFromAnotherThread) {
  // The error arrives while another thread keeps writing: every write either counts or
  // returns 0, and the connection still ends exactly once.
  for (int round = 0; round < scaled(20, 5); ++round) {
    RawListener listener;
    ClientLog log;
    AsyncClient c;
    log.attach(c);
    RawSocket peer = connectAndAccept(c, log, listener);
    ASSERT_TRUE(peer.valid());
    std::atomic<bool> stop{false};
    std::thread writer([&] {
      const std::string chunk = pattern(1000, 5);
      while (!stop)
        c.write(chunk.data(), chunk.size());
    });
    std::this_thread::sleep_for(2ms);
    peer.closeWithReset();
    EXPECT_TRUE(log.waitDisconnected());
    stop = true;
    writer.join();
    EXPECT_EQ(log.disconnects(), 1);
    EXPECT_EQ(c.write("x"), 0u);
  }
}

TEST(ResetWhileReceiveThrottled, PeerResetBehindHeldDataIsStillReported) {
  // The peer sends more than the receive window and resets at once. Data and RST reach the
  // loop in one wake-up (the service thread is kept busy meanwhile): the client reads one
  // window's worth, holds it with ackLater(), so reading stops. The reset must still end the
  // connection (lwIP reports a RST at once, whatever the application holds).
  RawListener listener;
  ClientLog log;
  AsyncClient c;
  attachHolding(c, log);
  RawSocket peer = connectAndAccept(c, log, listener);
  ASSERT_TRUE(peer.valid());

  // A second client whose poll callback blocks the service thread for a moment.
  EchoServer echo;
  std::atomic<int> stage{0};
  AsyncClient blocker;
  blocker.onPoll([&](void *, AsyncClient *) {
    if (stage.load() == 0) {
      stage = 1;
      std::this_thread::sleep_for(300ms);
    }
  });
  blocker.setPollInterval(20);
  ASSERT_TRUE(blocker.connect(loopback4(), echo.port()));
  ASSERT_TRUE(waitFor([&] { return stage.load() == 1; }));
  ASSERT_TRUE(peer.sendAll(pattern(100 * kKiB, 9)));
  peer.closeWithReset();

  EXPECT_TRUE(log.waitDisconnected(3000ms))
      << "the peer's reset was never reported: " << ::testing::PrintToString(log.events()) << ", "
      << log.received() << " bytes received";
  EXPECT_EQ(log.errors(), std::vector<int>{ERR_RST});
  blocker.close();
}

TEST(ResetWhileReceiveThrottled, PeerResetAfterItsFinWhileDataIsHeldIsReported) {
  // The peer sends a little, half-closes, then resets. The client holds the data with
  // ackLater(), so the FIN waits behind it (as documented). The reset must still end the
  // connection: after a FIN, recv() keeps returning 0 and never shows the socket's error, so
  // the error has to be asked for.
  RawListener listener;
  ClientLog log;
  AsyncClient c;
  attachHolding(c, log);
  RawSocket peer = connectAndAccept(c, log, listener);
  ASSERT_TRUE(peer.valid());
  ASSERT_TRUE(peer.sendAll("held"));
  ASSERT_TRUE(log.waitReceived(4));
  peer.shutdownWrite();
  std::this_thread::sleep_for(100ms);  // the FIN is seen and waits behind the held bytes
  EXPECT_TRUE(c.connected());
  peer.closeWithReset();
  EXPECT_TRUE(log.waitDisconnected(2000ms)) << "the reset after the peer's FIN was never reported: "
                                            << ::testing::PrintToString(log.events());
  EXPECT_EQ(log.errors().size(), 1u);
  EXPECT_TRUE(staysFalse([&] { return log.disconnects() > 1; }, 100ms));
}

namespace {

// Holds the service thread inside onClient until opened.
struct ResetGate {
  std::mutex m;
  std::condition_variable cv;
  bool open = false;
  void wait() {
    std::unique_lock<std::mutex> lock(m);
    cv.wait(lock, [this] { return open; });
  }
  void release() {
    std::lock_guard<std::mutex> lock(m);
    open = true;
    cv.notify_all();
  }
};

}  // namespace

// Found by the scale run: an echo's write meets the peer's reset before any read does.
TEST(PeerReset, FoundByAWriteInOnData_IsReportedAsErrorNotAsFin) {
  ResetGate gate;
  std::atomic<bool> accepted{false};
  std::atomic<int> errors{0}, lastError{0}, disconnects{0};
  AsyncServer server(loopback4(), 0);
  server.onClient(
      [&](void *, AsyncClient *c) {
        c->onData([](void *, AsyncClient *cl, void *d, size_t len) {
          cl->write(static_cast<const char *>(d), len);  // meets the reset
        });
        c->onError([&](void *, AsyncClient *, int8_t err) {
          lastError = err;
          errors++;
        });
        c->onDisconnect([&](void *, AsyncClient *cl) {
          disconnects++;
          delete cl;
        });
        accepted = true;
        gate.wait();  // meanwhile the peer's data and its reset both arrive
      },
      nullptr);
  server.begin();
  ASSERT_EQ(server.status(), LISTEN);
  RawSocket peer = rawConnect("127.0.0.1", server.port());
  ASSERT_TRUE(peer.valid());
  ASSERT_TRUE(waitFor([&] { return accepted.load(); }));
  ASSERT_TRUE(peer.sendAll("hello"));
  peer.closeWithReset();
  gate.release();
  ASSERT_TRUE(waitFor([&] { return disconnects.load() > 0; }));
  EXPECT_EQ(errors.load(), 1) << "the reset ended the connection as if the peer sent FIN";
  EXPECT_EQ(lastError.load(), ERR_RST);
  EXPECT_EQ(disconnects.load(), 1);
}
