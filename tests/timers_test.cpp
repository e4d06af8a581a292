// Timers: onPoll cadence, ack timeout (onTimeout, connection kept), rx timeout (close),
// connect timeout (onError(ERR_TIMEOUT)).
// Posix-only regressions of the timeouts: reliability/timers_test.cpp, and
// reliability/connect_test.cpp for descriptors left by connect timeouts.
#include "test_support.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <vector>

using namespace tst;
using std::chrono::duration_cast;

namespace {

long long msBetween(Clock::time_point a, Clock::time_point b) {
  return duration_cast<milliseconds>(b - a).count();
}

// The gaps between successive polls from index `first` on, sorted.
std::vector<long long> gapsFrom(const std::vector<Clock::time_point> &times, size_t first) {
  std::vector<long long> gaps;
  for (size_t i = first + 1; i < times.size(); ++i)
    gaps.push_back(msBetween(times[i - 1], times[i]));
  std::sort(gaps.begin(), gaps.end());
  return gaps;
}

}  // namespace

TEST(Poll, DefaultIntervalIsAbout500ms) {
  EchoServer echo;
  ClientLog log;
  AsyncClient c;
  log.attach(c);
  EXPECT_EQ(c.getPollInterval(), 500u);
  ASSERT_TRUE(c.connect(loopback4(), echo.port()));
  ASSERT_TRUE(log.waitConnected());
  ASSERT_TRUE(waitFor([&] { return log.polls() >= 3; }, 3000ms)) << "polls " << log.polls();
  const std::vector<long long> gaps = gapsFrom(log.pollTimes(), 0);
  EXPECT_GE(gaps.front(), 450) << "a poll came early";
  EXPECT_LE(gaps.front(), 900) << "the typical gap is not the interval";  // the shorter of two
}

// Judged on the gaps between polls, not on a count in a fixed window: a loaded machine
// may delay a poll, never make one early, and the typical gap stays the interval.
TEST(Poll, HundredMsIntervalGivesAboutTenPerSecond) {
  EchoServer echo;
  ClientLog log;
  AsyncClient c;
  log.attach(c);
  c.setPollInterval(100);
  ASSERT_TRUE(c.connect(loopback4(), echo.port()));
  ASSERT_TRUE(log.waitConnected());
  ASSERT_TRUE(waitFor([&] { return log.polls() >= 12; }, 10000ms)) << "polls " << log.polls();
  const std::vector<long long> gaps = gapsFrom(log.pollTimes(), 0);
  EXPECT_GE(gaps.front(), 90) << "a poll came early";
  EXPECT_GE(gaps[gaps.size() / 2], 90);
  EXPECT_LE(gaps[gaps.size() / 2], 200) << "the typical gap is not the interval";
}

TEST(Poll, IntervalChangedWhileConnectedTakesEffect) {
  EchoServer echo;
  ClientLog log;
  AsyncClient c;
  log.attach(c);
  ASSERT_TRUE(c.connect(loopback4(), echo.port()));
  ASSERT_TRUE(log.waitConnected());
  c.setPollInterval(50);
  EXPECT_EQ(c.getPollInterval(), 50u);
  const size_t before = size_t(log.polls());
  // The pending 500 ms period may run out first; the polls after it come every 50 ms.
  ASSERT_TRUE(waitFor([&] { return size_t(log.polls()) >= before + 10; }, 10000ms));
  const std::vector<long long> gaps = gapsFrom(log.pollTimes(), before + 1);
  EXPECT_GE(gaps.front(), 40) << "a poll came early";
  EXPECT_LE(gaps[gaps.size() / 2], 150) << "the new interval did not take effect";
}

TEST(Poll, StopsAfterDisconnect) {
  EchoServer echo;
  ClientLog log;
  AsyncClient c;
  log.attach(c);
  c.setPollInterval(50);
  ASSERT_TRUE(c.connect(loopback4(), echo.port()));
  ASSERT_TRUE(waitFor([&] { return log.polls() >= 2; }, 2000ms));
  c.close();
  ASSERT_TRUE(log.waitDisconnected());
  const int n = log.polls();
  EXPECT_TRUE(staysFalse([&] { return log.polls() > n; }, 300ms));
  EXPECT_EQ(log.lateCallbacks(), 0);
}

namespace {

// A client whose peer never reads (tiny receive buffer): sent data stays unacknowledged.
struct UnackedWriter {
  RawListener listener{peerIp4(), 8, 2048, 0};
  std::atomic<long long> writtenAtMs{0};
  Clock::time_point base = Clock::now();
  ClientLog log;
  AsyncClient c;
  RawSocket peer;
  std::string payload = pattern(sendBudget(), 81);

  void start(uint32_t ackTimeoutMs) {
    c.setAckTimeout(ackTimeoutMs);
    c.setPollInterval(50);
    ClientHooks hooks;
    hooks.onConnect = [this](AsyncClient *cl) {
      cl->write(payload.data(), payload.size());
      writtenAtMs = msBetween(base, Clock::now());
    };
    log.attach(c, hooks);
    peer = connectAndAccept(c, log, listener);
  }
};

}  // namespace

TEST(AckTimeout, FiresOnTimeoutAndKeepsConnection) {
  UnackedWriter w;
  w.start(300);
  ASSERT_TRUE(w.peer.valid());
  ASSERT_TRUE(waitFor([&] { return w.log.timeouts() > 0; }, 5000ms)) << "no onTimeout";
  const auto values = w.log.timeoutValues();
  EXPECT_GE(values.at(0), 300u);
  const auto firedAt = msBetween(w.base, Clock::now());
  EXPECT_GE(firedAt - w.writtenAtMs.load(), 250) << "onTimeout came too early";
  // The library does not close by itself.
  EXPECT_TRUE(staysFalse([&] { return w.log.disconnects() > 0; }, 200ms));
  EXPECT_TRUE(w.c.connected());
  EXPECT_TRUE(w.log.errors().empty());
  // Once the peer reads, everything is acknowledged and the connection still works.
  std::string got;
  ASSERT_TRUE(w.peer.recvExactly(w.payload.size(), got));
  EXPECT_TRUE(got == w.payload);
  ASSERT_TRUE(w.log.waitAcked(w.payload.size()));
  EXPECT_EQ(w.c.write("more"), 4u);
  std::string more;
  ASSERT_TRUE(w.peer.recvExactly(4, more));
  EXPECT_EQ(more, "more");
}

TEST(AckTimeout, ZeroDisablesIt) {
  UnackedWriter w;
  w.c.setAckTimeout(300);
  w.start(0);
  ASSERT_TRUE(w.peer.valid());
  EXPECT_EQ(w.c.getAckTimeout(), 0u);
  EXPECT_TRUE(staysFalse([&] { return w.log.timeouts() > 0; }, 1000ms));
  EXPECT_TRUE(w.c.connected());
}

TEST(AckTimeout, NotCalledWhilePeerAcknowledges) {
  EchoServer echo;
  ClientLog log;
  AsyncClient c;
  // A tick every 50 ms, each acknowledged at once: only a stall of the whole machine for
  // 600 ms (a loaded CI runner under sanitizers) could let the timeout fire.
  c.setAckTimeout(600);
  c.setPollInterval(50);
  ClientHooks hooks;
  hooks.onPoll = [](AsyncClient *cl) { cl->write("tick"); };
  log.attach(c, hooks);
  ASSERT_TRUE(c.connect(loopback4(), echo.port()));
  ASSERT_TRUE(log.waitConnected());
  EXPECT_TRUE(staysFalse([&] { return log.timeouts() > 0; }, 1500ms));
  EXPECT_GT(log.received(), 4u * 5) << "the ticks were not echoed";
}

TEST(RxTimeout, ClosesIdleConnectionWithoutError) {
  RawListener listener;
  ClientLog log;
  AsyncClient c;
  c.setRxTimeout(1);
  log.attach(c);
  RawSocket peer = connectAndAccept(c, log, listener);
  ASSERT_TRUE(peer.valid());
  const auto connectedAt = Clock::now();
  ASSERT_TRUE(log.waitDisconnected(4000ms)) << "rx timeout did not close the connection";
  const auto elapsed = msBetween(connectedAt, log.disconnectTime());
  EXPECT_GE(elapsed, 900);
  EXPECT_LE(elapsed, 3000);
  EXPECT_EQ(log.lifecycle(), (std::vector<std::string>{"connect", "disconnect"}));
  EXPECT_EQ(peer.readUntilEnd(2000ms), PeerEnd::Eof);
}

TEST(RxTimeout, IncomingDataKeepsConnectionOpen) {
  RawListener listener;
  ClientLog log;
  AsyncClient c;
  c.setRxTimeout(1);
  log.attach(c);
  RawSocket peer = connectAndAccept(c, log, listener);
  ASSERT_TRUE(peer.valid());
  for (int i = 0; i < 18; ++i) {  // 1.8 s of traffic, one byte every 100 ms
    ASSERT_TRUE(peer.sendAll("."));
    std::this_thread::sleep_for(100ms);
    ASSERT_EQ(log.disconnects(), 0) << "closed after " << (i + 1) * 100 << " ms despite traffic";
  }
  const auto lastSend = Clock::now();
  ASSERT_TRUE(log.waitDisconnected(4000ms));
  EXPECT_GE(msBetween(lastSend, log.disconnectTime()), 600);
  EXPECT_TRUE(log.errors().empty());
}

TEST(ConnectTimeout, HangingConnectReportsErrTimeoutThenDisconnect) {
  HangingListener hang;
  ClientLog log;
  AsyncClient c;
  c.setConnectTimeout(300);
  EXPECT_EQ(c.getConnectTimeout(), 300u);
  log.attach(c);
  const auto start = Clock::now();
  ASSERT_TRUE(c.connect(peerIp4(), hang.port()));
  ASSERT_TRUE(log.waitDisconnected(5000ms)) << "connect never timed out";
  const auto elapsed = msBetween(start, log.disconnectTime());
  EXPECT_GE(elapsed, 250);
  EXPECT_LE(elapsed, 3000);
  EXPECT_EQ(log.lifecycle(), (std::vector<std::string>{"error:-3", "disconnect"}));
  EXPECT_EQ(log.connects(), 0);
  EXPECT_EQ(c.state(), CLOSED);
}

TEST(RxTimeout, ReconnectedClientStartsWithAFreshTimer) {
  // The first connection ends early; the reused client must not inherit its stale timestamps.
  RawListener listener;
  ClientLog log;
  AsyncClient c;
  c.setRxTimeout(1);
  log.attach(c);
  RawSocket first = connectAndAccept(c, log, listener);
  ASSERT_TRUE(first.valid());
  first.close();
  ASSERT_TRUE(log.waitDisconnected());
  std::this_thread::sleep_for(1200ms);  // longer than the rx timeout
  log.resetForReconnect();
  ASSERT_TRUE(c.connect(listener.ip(), listener.port()));
  RawSocket second = listener.accept();
  ASSERT_TRUE(second.valid());
  ASSERT_TRUE(waitFor([&] { return log.connects() == 2; }));
  const auto reconnectedAt = Clock::now();
  ASSERT_TRUE(waitFor([&] { return log.disconnects() == 2; }, 4000ms));
  EXPECT_GE(msBetween(reconnectedAt, log.disconnectTime()), 900)
      << "closed by a timer left over from the previous connection";
}

namespace {
// A peer that reads `total` bytes in 32 KiB steps, one every `pause`, and never sends.
bool readSlowly(RawSocket &peer, size_t total, milliseconds pause, std::string &got) {
  while (got.size() < total) {
    if (!peer.recvExactly(std::min<size_t>(32 * kKiB, total - got.size()), got, 5000ms))
      return false;
    std::this_thread::sleep_for(pause);
  }
  return true;
}
}  // namespace

// ESP32's sent callback restarts the rx clock: a long response to a slow reader is not
// cut off by the rx timeout while the peer keeps acknowledging (ESPAsyncWebServer sets
// setRxTimeout(3) on every request).
TEST(RxTimeout, AcknowledgedSendingKeepsConnectionOpen) {
  RawListener listener(peerIp4(), 64, 32 * kKiB);
  Sender sender(pattern(2 * kMiB, 7));
  ClientLog log;
  AsyncClient c;
  c.setRxTimeout(1);
  log.attach(c, pumpingHooks(sender));
  RawSocket peer = connectAndAccept(c, log, listener);
  ASSERT_TRUE(peer.valid());
  std::string got;
  const auto start = Clock::now();
  ASSERT_TRUE(readSlowly(peer, sender.payload().size(), 40ms, got))
      << "got " << got.size() << " bytes; disconnects " << log.disconnects();
  EXPECT_GT(msBetween(start, Clock::now()), 1500) << "the transfer must outlast the rx timeout";
  EXPECT_EQ(checksum(got), checksum(sender.payload()));
  EXPECT_EQ(log.disconnects(), 0);
  // Quiet afterwards: the rx timeout closes it, without an error (its clock ran from the
  // last ack, which the peer's kernel sent before the reader caught up: no lower bound).
  ASSERT_TRUE(log.waitDisconnected(4000ms));
  EXPECT_TRUE(log.errors().empty());
}

// The same without an onAck handler (acks are then learnt lazily, when the rx deadline
// asks): the data is written from onPoll.
TEST(RxTimeout, AcknowledgedSendingKeepsConnectionOpenWithoutOnAck) {
  RawListener listener(peerIp4(), 64, 32 * kKiB);
  Sender sender(pattern(2 * kMiB, 8));
  std::atomic<int> disconnects{0};
  AsyncClient c;
  c.setRxTimeout(1);
  c.setPollInterval(10);
  c.onConnect([&](void *, AsyncClient *cl) { sender.pump(cl); });
  c.onPoll([&](void *, AsyncClient *cl) { sender.pump(cl); });
  c.onDisconnect([&](void *, AsyncClient *) { ++disconnects; });
  ASSERT_TRUE(c.connect(listener.ip(), listener.port()));
  RawSocket peer = listener.accept();
  ASSERT_TRUE(peer.valid());
  std::string got;
  const auto start = Clock::now();
  ASSERT_TRUE(readSlowly(peer, sender.payload().size(), 40ms, got))
      << "got " << got.size() << " bytes; disconnects " << disconnects.load();
  EXPECT_GT(msBetween(start, Clock::now()), 1500);
  EXPECT_EQ(checksum(got), checksum(sender.payload()));
  EXPECT_EQ(disconnects.load(), 0);
  ASSERT_TRUE(waitFor([&] { return disconnects.load() == 1; }, 4000ms));
}
