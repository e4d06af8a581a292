// Fault injection: the posix backend's system calls fail on demand (asynctcp::fault). Each
// fault must take the documented path: ECONNRESET -> onError(ERR_RST), EPIPE -> ERR_CLSD,
// ENOMEM/ENOBUFS/EMFILE -> ERR_MEM, then onDisconnect once; EAGAIN and EINTR are transparent
// (no error, no lost or reordered byte); and the server keeps serving everyone else.
#include "reliability_support.h"

#include <asynctcp/engine.h>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

using namespace tst;
using namespace rel;
namespace fault = asynctcp::fault;

namespace {

// One echo round trip on a raw connection: the server still serves this client.
::testing::AssertionResult echoes(RawSocket &s, const std::string &msg) {
  if (!s.valid())
    return ::testing::AssertionFailure() << "no connection";
  if (!s.sendAll(msg, 2000ms))
    return ::testing::AssertionFailure() << "send failed";
  std::string got;
  if (!s.recvExactly(msg.size(), got, 3000ms))
    return ::testing::AssertionFailure()
           << "echo incomplete: " << got.size() << " of " << msg.size() << " bytes";
  if (got != msg)
    return ::testing::AssertionFailure() << "echo corrupted";
  return ::testing::AssertionSuccess();
}

::testing::AssertionResult newClientEchoes(uint16_t port) {
  RawSocket s = rawConnect("127.0.0.1", port);
  return echoes(s, pattern(3000, 99));
}

void printFaults(const FaultGuard &guard) {
  std::printf("[faults] %s\n", guard.summary().c_str());
}

// An AsyncClient connected to a raw peer, with its events logged.
struct ClientToRawPeer {
  RawListener listener;
  ClientLog log;
  AsyncClient client;
  RawSocket peer;
  explicit ClientToRawPeer(ClientHooks hooks = {}) {
    log.attach(client, std::move(hooks));
    peer = connectAndAccept(client, log, listener);
  }
};

// A blocking non-local connect needs no new descriptor: sockets made before the fd limit is
// lowered connect afterwards.
bool startConnect(int fd, uint16_t port) {
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  return ::connect(fd, reinterpret_cast<sockaddr *>(&a), sizeof a) == 0 || errno == EINPROGRESS;
}

}  // namespace

// ---- accept ------------------------------------------------------------------------------

TEST(FaultAccept, EmfileRefusesThatConnectionAndServesTheOthers) {
  FaultGuard guard;
  EchoServer echo;
  RawSocket bystander = rawConnect("127.0.0.1", echo.port());
  ASSERT_TRUE(echoes(bystander, "before"));
  ASSERT_TRUE(echo.waitAccepted(1));

  fault::failNext(fault::kAccept, EMFILE, 1);
  RawSocket victim = rawConnect("127.0.0.1", echo.port());
  ASSERT_TRUE(victim.valid());
  // Refused at once (accepted with the spare descriptor and closed), not left hanging.
  const PeerEnd end = victim.readUntilEnd(3000ms);
  EXPECT_TRUE(end == PeerEnd::Eof || end == PeerEnd::Reset) << toString(end);
  EXPECT_EQ(guard.injected(fault::kAccept), 1u);
  EXPECT_EQ(echo.accepted(), 1) << "onClient ran for the refused connection";

  EXPECT_TRUE(echoes(bystander, "after"));
  EXPECT_TRUE(newClientEchoes(echo.port()));
  EXPECT_EQ(echo.accepted(), 2);
  printFaults(guard);
}

TEST(FaultAccept, PersistentEmfileRefusesEveryConnectionWithoutSpinning) {
  FaultGuard guard;
  EchoServer echo;
  RawSocket bystander = rawConnect("127.0.0.1", echo.port());
  ASSERT_TRUE(echoes(bystander, "before"));

  fault::failNext(fault::kAccept, EMFILE, 1 << 30);
  const double cpu0 = cpuSeconds();
  const auto t0 = Clock::now();
  int refused = 0;
  for (int i = 0; i < 50; ++i) {
    RawSocket victim = rawConnect("127.0.0.1", echo.port());
    const PeerEnd end = victim.readUntilEnd(2000ms);
    refused += end == PeerEnd::Eof || end == PeerEnd::Reset;
    std::this_thread::sleep_for(10ms);
  }
  const double wall = std::chrono::duration<double>(Clock::now() - t0).count();
  const double cpu = cpuSeconds() - cpu0;
  EXPECT_EQ(refused, 50);
  EXPECT_EQ(echo.accepted(), 1);
  EXPECT_GE(guard.injected(fault::kAccept), 50u);
  // A listener that stays readable would burn a whole core for the wall time.
  EXPECT_LT(cpu, 0.3 * wall) << "process CPU " << cpu << " s over " << wall << " s";
  EXPECT_TRUE(echoes(bystander, "during"));

  fault::reset();
  EXPECT_TRUE(newClientEchoes(echo.port()));
  printFaults(guard);
}

TEST(FaultAccept, RealEmfileDoesNotSpinAndPendingConnectionsAreRefused) {
  FaultGuard guard;
  EchoServer echo;
  RawSocket bystander = rawConnect("127.0.0.1", echo.port());
  ASSERT_TRUE(echoes(bystander, "before"));
  constexpr int kPending = 40;
  std::vector<RawSocket> pending;
  for (int i = 0; i < kPending; ++i)
    pending.emplace_back(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));

  int refused = 0;
  double cpu = 0, wall = 0;
  {
    FdLimitReached limit;
    ASSERT_TRUE(limit.reached());
    // Connections keep arriving at the full process for about a second.
    const double cpu0 = cpuSeconds();
    const auto t0 = Clock::now();
    for (auto &s : pending) {
      ASSERT_TRUE(startConnect(s.fd(), echo.port())) << std::strerror(errno);
      std::this_thread::sleep_for(25ms);
    }
    cpu = cpuSeconds() - cpu0;
    wall = std::chrono::duration<double>(Clock::now() - t0).count();
    for (auto &s : pending) {
      const PeerEnd end = s.readUntilEnd(2000ms);
      refused += end == PeerEnd::Eof || end == PeerEnd::Reset;
    }
    EXPECT_TRUE(echoes(bystander, "during")) << "an established client starved at the fd limit";
  }
  EXPECT_EQ(refused, kPending) << "connections left hanging in the accept queue";
  EXPECT_EQ(echo.accepted(), 1);
  EXPECT_LT(cpu, 0.3 * wall) << "process CPU " << cpu << " s over " << wall
                             << " s while accept() failed with EMFILE";
  EXPECT_TRUE(newClientEchoes(echo.port()));
  printFaults(guard);
}

TEST(FaultAccept, EintrAndEagainAreTransparent) {
  FaultGuard guard;
  EchoServer echo;
  fault::failNext(fault::kAccept, EINTR, 3);
  EXPECT_TRUE(newClientEchoes(echo.port()));
  fault::failNext(fault::kAccept, EAGAIN, 3);
  EXPECT_TRUE(newClientEchoes(echo.port()));
  EXPECT_EQ(guard.injected(fault::kAccept), 6u);
  EXPECT_EQ(echo.accepted(), 2);
  EXPECT_TRUE(echo.errors().empty());
  printFaults(guard);
}

TEST(FaultAccept, EnomemIsRetriedAndTheConnectionServed) {
  FaultGuard guard;
  EchoServer echo;
  fault::failNext(fault::kAccept, ENOMEM, 2);
  EXPECT_TRUE(newClientEchoes(echo.port()));
  EXPECT_EQ(guard.injected(fault::kAccept), 2u);
  EXPECT_EQ(echo.accepted(), 1);
}

// ---- recv --------------------------------------------------------------------------------

namespace {

// The peer sends `messages` messages one by one and the client must receive each before the
// next goes, while every recv() of the client fails `faults` times first.
void expectTransparentRecvFault(int err) {
  FaultGuard guard;
  ClientToRawPeer t;
  ASSERT_TRUE(t.peer.valid());
  std::string expected;
  for (int i = 0; i < 5; ++i) {
    fault::failNext(fault::kRecv, err, 1);
    const std::string msg = pattern(100 + i, 20 + i);
    expected += msg;
    ASSERT_TRUE(t.peer.sendAll(msg));
    ASSERT_TRUE(t.log.waitReceived(expected.size(), 2000ms))
        << "message " << i << ": the client received " << t.log.received() << " of "
        << expected.size() << " bytes after a recv() " << std::strerror(err);
    EXPECT_EQ(guard.injected(fault::kRecv), uint64_t(i + 1));
  }
  EXPECT_EQ(t.log.data(), expected);
  EXPECT_TRUE(t.log.errors().empty());
  EXPECT_EQ(t.log.disconnects(), 0);
  printFaults(guard);
}

}  // namespace

TEST(FaultRecv, EagainIsTransparent) {
  expectTransparentRecvFault(EAGAIN);
}

TEST(FaultRecv, EintrIsTransparent) {
  expectTransparentRecvFault(EINTR);
}

TEST(FaultRecv, EagainOnTheServerSideIsTransparent) {
  FaultGuard guard;
  EchoServer echo;
  RawSocket s = rawConnect("127.0.0.1", echo.port());
  ASSERT_TRUE(echoes(s, "hello"));
  fault::failNext(fault::kRecv, EAGAIN, 1);
  EXPECT_TRUE(echoes(s, "world")) << "the server lost the wake-up of data it did not read";
  EXPECT_EQ(guard.injected(fault::kRecv), 1u);
  printFaults(guard);
}

TEST(FaultRecv, EconnresetReportsErrRstThenDisconnect) {
  FaultGuard guard;
  EchoServer echo;
  RawSocket bystander = rawConnect("127.0.0.1", echo.port());
  ASSERT_TRUE(echoes(bystander, "before"));
  ClientToRawPeer t;
  ASSERT_TRUE(t.peer.valid());
  fault::failNext(fault::kRecv, ECONNRESET, 1);
  ASSERT_TRUE(t.peer.sendAll("data"));
  ASSERT_TRUE(t.log.waitDisconnected(3000ms));
  EXPECT_EQ(t.log.lifecycle(), (std::vector<std::string>{"connect", "error:-14", "disconnect"}));
  EXPECT_EQ(t.client.lastErrno(), ECONNRESET);
  EXPECT_EQ(t.client.state(), CLOSED);
  EXPECT_TRUE(
      staysFalse([&] { return t.log.disconnects() > 1 || t.log.lateCallbacks() > 0; }, 100ms));
  EXPECT_TRUE(echoes(bystander, "after"));
  printFaults(guard);
}

TEST(FaultRecv, EnomemReportsErrMemThenDisconnect) {
  FaultGuard guard;
  ClientToRawPeer t;
  ASSERT_TRUE(t.peer.valid());
  fault::failNext(fault::kRecv, ENOMEM, 1);
  ASSERT_TRUE(t.peer.sendAll("data"));
  ASSERT_TRUE(t.log.waitDisconnected(3000ms));
  EXPECT_EQ(t.log.lifecycle(), (std::vector<std::string>{"connect", "error:-1", "disconnect"}));
  EXPECT_EQ(t.client.lastErrno(), ENOMEM);
  // The peer learns that the connection is gone.
  const PeerEnd end = t.peer.readUntilEnd(3000ms);
  EXPECT_TRUE(end == PeerEnd::Eof || end == PeerEnd::Reset) << toString(end);
  printFaults(guard);
}

TEST(FaultRecv, ServerSideEconnresetEndsOnlyThatConnection) {
  FaultGuard guard;
  EchoServer echo;
  RawSocket bystander = rawConnect("127.0.0.1", echo.port());
  RawSocket victim = rawConnect("127.0.0.1", echo.port());
  ASSERT_TRUE(echoes(bystander, "before"));
  ASSERT_TRUE(echoes(victim, "before"));
  fault::failNext(fault::kRecv, ECONNRESET, 1);
  ASSERT_TRUE(victim.sendAll("boom"));
  const PeerEnd end = victim.readUntilEnd(3000ms);
  EXPECT_TRUE(end == PeerEnd::Eof || end == PeerEnd::Reset) << toString(end);
  ASSERT_TRUE(waitFor([&] { return echo.disconnects() == 1; }, 3000ms));
  EXPECT_EQ(echo.errors(), std::vector<int>{ERR_RST});
  EXPECT_TRUE(echoes(bystander, "after"));
  EXPECT_TRUE(newClientEchoes(echo.port()));
}

// ---- send --------------------------------------------------------------------------------

namespace {

// The client pushes `size` bytes to a reading raw peer while sends fail as armed by `arm`;
// every byte must arrive once, in order, with no error.
void expectIntactTransfer(size_t size, const std::function<void()> &arm, uint64_t minFaults) {
  FaultGuard guard;
  Sender sender(pattern(size, 31));
  ClientToRawPeer t(pumpingHooks(sender));
  ASSERT_TRUE(t.peer.valid());
  // Arm before anything is written: onConnect's first pump already ran, so wait for it.
  ASSERT_TRUE(waitFor([&] { return sender.sent() > 0; }));
  arm();
  std::string got;
  // More data after arming: the acks of what the peer reads pump the rest.
  EXPECT_TRUE(t.peer.recvExactly(size, got, 5000ms))
      << "received " << got.size() << " of " << size << " bytes; " << guard.summary();
  EXPECT_TRUE(got == sender.payload()) << "corrupted or reordered data";
  EXPECT_TRUE(t.log.errors().empty());
  EXPECT_EQ(t.log.disconnects(), 0);
  EXPECT_GE(guard.injected(fault::kSend), minFaults);
  printFaults(guard);
}

}  // namespace

TEST(FaultSend, EagainIsTransparent) {
  expectIntactTransfer(
      1 * kMiB, [] { fault::failNext(fault::kSend, EAGAIN, 5); }, 5);
}

TEST(FaultSend, EintrIsTransparent) {
  expectIntactTransfer(
      1 * kMiB, [] { fault::failNext(fault::kSend, EINTR, 5); }, 5);
}

TEST(FaultSend, EagainOnAWriteWithNothingElsePendingIsTransparent) {
  // The hardest case: the only send of a small write fails with EAGAIN and nothing else
  // happens on the connection afterwards.
  FaultGuard guard;
  ClientToRawPeer t;
  ASSERT_TRUE(t.peer.valid());
  fault::failNext(fault::kSend, EAGAIN, 1);
  EXPECT_EQ(t.client.write("ping"), 4u);
  std::string got;
  EXPECT_TRUE(t.peer.recvExactly(4, got, 2000ms))
      << "the write was queued after a spurious EAGAIN and never sent";
  EXPECT_EQ(guard.injected(fault::kSend), 1u);
  EXPECT_TRUE(t.log.errors().empty());
  printFaults(guard);
}

TEST(FaultSend, OneByteShortSendsKeepDataIntactAndOrdered) {
  expectIntactTransfer(
      256 * kKiB, [] { fault::shortSends(1, 3000); }, 3000);
}

TEST(FaultSend, OneByteShortSendsThroughTheEchoServer) {
  FaultGuard guard;
  EchoServer echo;
  RawSocket s = rawConnect("127.0.0.1", echo.port());
  ASSERT_TRUE(echoes(s, "before"));
  fault::shortSends(1, 5000);
  const std::string msg = pattern(4000, 41);
  EXPECT_TRUE(echoes(s, msg));
  EXPECT_GE(guard.injected(fault::kSend), 1000u);
  EXPECT_TRUE(echo.errors().empty());
  printFaults(guard);
}

TEST(FaultSend, EconnresetMidWriteReportsErrRstOnce) {
  FaultGuard guard;
  EchoServer echo;
  RawSocket bystander = rawConnect("127.0.0.1", echo.port());
  ASSERT_TRUE(echoes(bystander, "before"));
  Sender sender(pattern(4 * kMiB, 33));
  ClientToRawPeer t(pumpingHooks(sender));
  ASSERT_TRUE(t.peer.valid());
  ASSERT_TRUE(waitFor([&] { return sender.sent() > 0; }));
  fault::failNext(fault::kSend, ECONNRESET, 1, 3);  // a few sends pass, then the reset
  // The peer reads what comes; the transfer breaks off somewhere in the middle.
  std::string got;
  const PeerEnd end = t.peer.readUntilEnd(5000ms, &got);
  EXPECT_TRUE(end == PeerEnd::Eof || end == PeerEnd::Reset) << toString(end);
  ASSERT_TRUE(t.log.waitDisconnected(3000ms));
  EXPECT_EQ(t.log.lifecycle(), (std::vector<std::string>{"connect", "error:-14", "disconnect"}));
  EXPECT_EQ(t.client.lastErrno(), ECONNRESET);
  EXPECT_EQ(guard.injected(fault::kSend), 1u);
  EXPECT_LT(got.size(), sender.payload().size());
  EXPECT_EQ(got, sender.payload().substr(0, got.size())) << "what did arrive is corrupted";
  EXPECT_TRUE(
      staysFalse([&] { return t.log.disconnects() > 1 || t.log.lateCallbacks() > 0; }, 100ms));
  EXPECT_EQ(t.client.write("more"), 0u);
  EXPECT_TRUE(echoes(bystander, "after"));
  EXPECT_TRUE(newClientEchoes(echo.port()));
  printFaults(guard);
}

TEST(FaultSend, EpipeReportsErrClsd) {
  FaultGuard guard;
  ClientToRawPeer t;
  ASSERT_TRUE(t.peer.valid());
  fault::failNext(fault::kSend, EPIPE, 1);
  // epoll sends inside write() and knows at once; io_uring queues the bytes for the loop's
  // next submit (as ESP32's tcp_write queues them) and learns of the failure from its
  // completion: either way the error and the disconnect follow.
  const size_t written = t.client.write("doomed");
  if (std::strcmp(asynctcp::engineName(), "io_uring") == 0)
    EXPECT_EQ(written, 6u);
  else
    EXPECT_EQ(written, 0u) << "the failed write must not claim to have sent";
  ASSERT_TRUE(t.log.waitDisconnected(3000ms));
  EXPECT_EQ(t.log.lifecycle(), (std::vector<std::string>{"connect", "error:-15", "disconnect"}));
  EXPECT_EQ(t.client.lastErrno(), EPIPE);
  printFaults(guard);
}

TEST(FaultSend, EnobufsReportsErrMem) {
  FaultGuard guard;
  ClientToRawPeer t;
  ASSERT_TRUE(t.peer.valid());
  fault::failNext(fault::kSend, ENOBUFS, 1);
  t.client.write("doomed");
  ASSERT_TRUE(t.log.waitDisconnected(3000ms));
  EXPECT_EQ(t.log.lifecycle(), (std::vector<std::string>{"connect", "error:-1", "disconnect"}));
  EXPECT_EQ(t.client.lastErrno(), ENOBUFS);
  printFaults(guard);
}

TEST(FaultSend, ServerSideEconnresetEndsOnlyThatConnection) {
  FaultGuard guard;
  EchoServer echo;
  RawSocket bystander = rawConnect("127.0.0.1", echo.port());
  RawSocket victim = rawConnect("127.0.0.1", echo.port());
  ASSERT_TRUE(echoes(bystander, "before"));
  ASSERT_TRUE(echoes(victim, "before"));
  fault::failNext(fault::kSend, ECONNRESET, 1);
  ASSERT_TRUE(victim.sendAll("boom"));  // its echo is the next send
  const PeerEnd end = victim.readUntilEnd(3000ms);
  EXPECT_TRUE(end == PeerEnd::Eof || end == PeerEnd::Reset) << toString(end);
  ASSERT_TRUE(waitFor([&] { return echo.disconnects() == 1; }, 3000ms));
  EXPECT_EQ(echo.errors(), std::vector<int>{ERR_RST});
  EXPECT_TRUE(echoes(bystander, "after"));
  EXPECT_TRUE(newClientEchoes(echo.port()));
  printFaults(guard);
}

// ---- socket and connect -------------------------------------------------------------------

TEST(FaultSocket, EnomemFailsConnectCleanlyAndTheClientRecovers) {
  FaultGuard guard;
  EchoServer echo;
  warmUp();
  const size_t fds = openFdCount();
  ClientLog log;
  AsyncClient c;
  log.attach(c);
  fault::failNext(fault::kSocket, ENOMEM, 1);
  if (c.connect(loopback4(), echo.port())) {
    ASSERT_TRUE(log.waitDisconnected());
    EXPECT_EQ(log.lifecycle(), (std::vector<std::string>{"error:-1", "disconnect"}));
  } else {
    EXPECT_TRUE(staysFalse([&] { return !log.events().empty(); }, 100ms));
  }
  EXPECT_EQ(c.lastErrno(), ENOMEM);
  EXPECT_EQ(c.state(), CLOSED);
  EXPECT_EQ(guard.injected(fault::kSocket), 1u);
  EXPECT_EQ(openFdCount(), fds);

  log.resetForReconnect();
  ASSERT_TRUE(c.connect(loopback4(), echo.port()));
  ASSERT_TRUE(log.waitConnected());
  EXPECT_EQ(c.write("again"), 5u);
  EXPECT_TRUE(log.waitReceived(5));
  printFaults(guard);
}

TEST(FaultSocket, EnomemAfterNameResolutionReportsErrMem) {
  FaultGuard guard;
  FakeDnsServer dns(FakeDnsServer::Mode::AnswerLoopback);
  ASSERT_TRUE(asynctcp::setDnsServers(dns.spec().c_str()));
  EchoServer echo;
  ClientLog log;
  AsyncClient c;
  log.attach(c);
  fault::failNext(fault::kSocket, ENOMEM, 1);  // c-ares makes its own sockets: not counted
  ASSERT_TRUE(c.connect("enomem.asynctcp.test", echo.port()));
  ASSERT_TRUE(log.waitDisconnected(5000ms));
  EXPECT_EQ(log.lifecycle(), (std::vector<std::string>{"error:-1", "disconnect"}));
  EXPECT_EQ(c.lastErrno(), ENOMEM);
  EXPECT_EQ(guard.injected(fault::kSocket), 1u);
  EXPECT_TRUE(staysFalse([&] { return log.disconnects() > 1; }, 100ms));
  printFaults(guard);
}

TEST(FaultSocket, EmfileFailsBeginAndASecondBeginListens) {
  FaultGuard guard;
  AsyncServer server(loopback4(), 0);
  server.onClient([](void *, AsyncClient *c) { c->close(); }, nullptr);
  fault::failNext(fault::kSocket, EMFILE, 1);
  server.begin();
  EXPECT_EQ(server.status(), CLOSED);
  EXPECT_EQ(server.lastErrno(), EMFILE);
  EXPECT_EQ(server.port(), 0);
  server.begin();
  EXPECT_EQ(server.status(), LISTEN);
  EXPECT_NE(server.port(), 0);
  server.end();
  printFaults(guard);
}

TEST(FaultConnect, EconnrefusedReportsErrRst) {
  FaultGuard guard;
  EchoServer echo;
  ClientLog log;
  AsyncClient c;
  log.attach(c);
  fault::failNext(fault::kConnect, ECONNREFUSED, 1);
  ASSERT_TRUE(c.connect(loopback4(), echo.port()));
  ASSERT_TRUE(log.waitDisconnected());
  EXPECT_EQ(log.lifecycle(), (std::vector<std::string>{"error:-14", "disconnect"}));
  EXPECT_EQ(c.lastErrno(), ECONNREFUSED);
  EXPECT_EQ(echo.accepted(), 0);
  printFaults(guard);
}

TEST(FaultConnect, EnetunreachReportsErrRte) {
  FaultGuard guard;
  EchoServer echo;
  ClientLog log;
  AsyncClient c;
  log.attach(c);
  fault::failNext(fault::kConnect, ENETUNREACH, 1);
  ASSERT_TRUE(c.connect(loopback4(), echo.port()));
  ASSERT_TRUE(log.waitDisconnected());
  EXPECT_EQ(log.lifecycle(), (std::vector<std::string>{"error:-4", "disconnect"}));
  EXPECT_EQ(c.lastErrno(), ENETUNREACH);
  printFaults(guard);
}

TEST(FaultConnect, EaddrnotavailFailsConnectWithoutLeakingTheSocket) {
  FaultGuard guard;
  EchoServer echo;
  warmUp();
  const size_t fds = openFdCount();
  ClientLog log;
  AsyncClient c;
  log.attach(c);
  for (int i = 0; i < 100; ++i) {
    fault::failNext(fault::kConnect, EADDRNOTAVAIL, 1);
    EXPECT_FALSE(c.connect(loopback4(), echo.port()));
  }
  EXPECT_EQ(c.lastErrno(), EADDRNOTAVAIL);
  EXPECT_EQ(c.state(), CLOSED);
  EXPECT_TRUE(staysFalse([&] { return !log.events().empty(); }, 50ms));
  EXPECT_TRUE(waitFdsAtMost(fds, 2000ms)) << openFdCount() << " fds, baseline " << fds;
  EXPECT_EQ(guard.injected(fault::kConnect), 100u);
  printFaults(guard);
}
