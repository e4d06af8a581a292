// Round trips through an AsyncServer echo server, checked byte for byte and by checksum.
#include "test_support.h"

#include <gtest/gtest.h>

#include <cstdio>

using namespace tst;

namespace {

// Streams `size` pattern bytes to a fresh echo server and checks the echo.
void expectEchoRoundTrip(size_t size, uint8_t flags, bool flowControlServer = false,
                         milliseconds timeout = 15000ms) {
  EchoServer echo(loopback4(), flowControlServer);
  ASSERT_TRUE(echo.listening());
  Sender sender(pattern(size, static_cast<uint32_t>(size)), flags);
  ClientLog log;
  AsyncClient c;
  log.attach(c, pumpingHooks(sender));
  ASSERT_TRUE(c.connect(loopback4(), echo.port()));
  ASSERT_TRUE(log.waitReceived(size, timeout))
      << "received " << log.received() << " of " << size << " bytes (sent " << sender.sent()
      << ", server echoed " << echo.bytesEchoed() << ")";
  const std::string got = log.data();
  EXPECT_EQ(got.size(), size);
  EXPECT_EQ(checksum(got), checksum(sender.payload()));
  EXPECT_TRUE(got == sender.payload()) << "echoed bytes differ from the bytes sent";
  EXPECT_TRUE(log.errors().empty()) << ::testing::PrintToString(log.errors());
  EXPECT_TRUE(echo.errors().empty()) << ::testing::PrintToString(echo.errors());
  c.close();
  EXPECT_TRUE(log.waitDisconnected());
}

}  // namespace

TEST(Echo, OneByteRoundTrip) {
  expectEchoRoundTrip(1, ASYNC_WRITE_FLAG_COPY);
}

TEST(Echo, OneKiBRoundTripChecksumMatches) {
  expectEchoRoundTrip(kKiB, ASYNC_WRITE_FLAG_COPY);
}

TEST(Echo, SixtyFourKiBRoundTripChecksumMatches) {
  expectEchoRoundTrip(64 * kKiB, ASYNC_WRITE_FLAG_COPY);
}

TEST(Echo, OneMiBRoundTripChecksumMatches) {
  expectEchoRoundTrip(kMiB, ASYNC_WRITE_FLAG_COPY);
}

TEST(Echo, SixteenMiBRoundTripChecksumMatches) {
  expectEchoRoundTrip(16 * kMiB, ASYNC_WRITE_FLAG_COPY);
}

TEST(Echo, ZeroCopyOneMiBRoundTripChecksumMatches) {
  expectEchoRoundTrip(kMiB, 0);
}

TEST(Echo, FlowControlledServerEchoesOneMiB) {
  // The server acks received data with ackLater()/ack() only once it has queued the echo.
  expectEchoRoundTrip(kMiB, ASYNC_WRITE_FLAG_COPY, true);
}

TEST(Echo, WriteFromOnConnectRoundTrip) {
  EchoServer echo;
  const std::string msg = pattern(kKiB, 7);
  std::atomic<size_t> written{0};
  ClientLog log;
  AsyncClient c;
  ClientHooks hooks;
  hooks.onConnect = [&](AsyncClient *cl) { written = cl->write(msg.data(), msg.size()); };
  log.attach(c, hooks);
  ASSERT_TRUE(c.connect(loopback4(), echo.port()));
  ASSERT_TRUE(log.waitReceived(msg.size()));
  EXPECT_EQ(written.load(), msg.size());
  EXPECT_EQ(log.data(), msg);
}

TEST(Echo, AddThenSendFromMainThreadRoundTrip) {
  EchoServer echo;
  ClientLog log;
  AsyncClient c;
  log.attach(c);
  ASSERT_TRUE(c.connect(loopback4(), echo.port()));
  ASSERT_TRUE(log.waitConnected());
  EXPECT_EQ(c.add("hello ", 6), 6u);
  EXPECT_EQ(c.add("world", 5), 5u);
  EXPECT_TRUE(c.send());
  ASSERT_TRUE(log.waitReceived(11));
  EXPECT_EQ(log.data(), "hello world");
}

TEST(Echo, FlagMoreChunksArriveConcatenatedAfterSend) {
  EchoServer echo;
  const std::string a = pattern(100, 1), b = pattern(200, 2), d = pattern(300, 3);
  std::atomic<size_t> taken{0};
  ClientLog log;
  AsyncClient c;
  ClientHooks hooks;
  hooks.onConnect = [&](AsyncClient *cl) {
    size_t n = cl->add(a.data(), a.size(), ASYNC_WRITE_FLAG_COPY | ASYNC_WRITE_FLAG_MORE);
    n += cl->add(b.data(), b.size(), ASYNC_WRITE_FLAG_COPY | ASYNC_WRITE_FLAG_MORE);
    n += cl->add(d.data(), d.size(), ASYNC_WRITE_FLAG_COPY);
    cl->send();
    taken = n;
  };
  log.attach(c, hooks);
  ASSERT_TRUE(c.connect(loopback4(), echo.port()));
  ASSERT_TRUE(log.waitReceived(600));
  EXPECT_EQ(taken.load(), 600u);
  EXPECT_EQ(log.data(), a + b + d);
}

TEST(Echo, ThousandSmallWritesArriveInOrder) {
  EchoServer echo;
  std::string expected;
  for (int i = 0; i < 1000; ++i) {
    char buf[16];
    std::snprintf(buf, sizeof buf, "msg-%05d;", i);
    expected += buf;
  }
  std::atomic<size_t> taken{0};
  ClientLog log;
  AsyncClient c;
  ClientHooks hooks;
  hooks.onConnect = [&](AsyncClient *cl) {
    size_t n = 0;
    for (size_t off = 0; off < expected.size(); off += 10)
      n += cl->write(expected.data() + off, 10);
    taken = n;
  };
  log.attach(c, hooks);
  ASSERT_TRUE(c.connect(loopback4(), echo.port()));
  ASSERT_TRUE(log.waitReceived(expected.size()));
  EXPECT_EQ(taken.load(), expected.size());
  EXPECT_EQ(log.data(), expected);
}
