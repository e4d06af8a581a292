// lwIP out of tcp_pcbs (MEMP_NUM_TCP_PCB on an ESP32; here the pool limit of
// pcb_pool_limit.h, since Debian's lwIP takes pcbs from malloc). An outgoing connect
// must fail cleanly (connect() false, no callbacks), begin() must report CLOSED, a
// listener must drop new SYNs (lwIP's accept callback gets ERR_MEM) so the peer
// retries, connections already up must keep being served, and once pcbs free up
// everything works again with no pcb left behind.
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>

#include <cstring>
#include <memory>
#include <vector>

#include "lwip/pcb_pool_limit.h"
#include "test_support.h"

using namespace tst;
using tst::lwip::limitTcpPcbs;
using tst::lwip::tcpPcbRefusals;
using tst::lwip::tcpPcbsInUse;

namespace {

// Removes the limit however the test ends.
struct PoolLimit {
  explicit PoolLimit(int max) { limitTcpPcbs(max); }
  ~PoolLimit() { limitTcpPcbs(-1); }
};

bool echoes(AsyncClient &c, ClientLog &log, const std::string &msg) {
  const size_t before = log.received();
  return c.write(msg.data(), msg.size()) == msg.size() && log.waitReceived(before + msg.size());
}

bool rawEchoes(RawSocket &s, const std::string &msg) {
  std::string got;
  return s.sendAll(msg) && s.recvExactly(msg.size(), got) && got == msg;
}

// A non-blocking connect to the stack; the SYN goes out at once.
RawSocket startConnect(uint16_t port) {
  RawSocket s(::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  std::memcpy(&a.sin_addr, stackIp4().raw4(), 4);
  ::connect(s.fd(), reinterpret_cast<sockaddr *>(&a), sizeof a);
  return s;
}

bool connectDone(const RawSocket &s, milliseconds timeout) {
  pollfd p{s.fd(), POLLOUT, 0};
  if (::poll(&p, 1, int(timeout.count())) != 1)
    return false;
  int err = 0;
  socklen_t len = sizeof err;
  getsockopt(s.fd(), SOL_SOCKET, SO_ERROR, &err, &len);
  return err == 0;
}

}  // namespace

TEST(PcbExhaustion, ConnectAndBeginFailCleanlyWhileThePoolIsEmpty) {
  ASSERT_TRUE(tst::lwip::pcbPoolInterposed()) << "lwIP does not allocate through memp_malloc";
  const int base = tcpPcbsInUse();
  constexpr int kClients = 4;
  EchoServer echo;  // on lwIP's loopback: each connection takes two pcbs
  ASSERT_TRUE(echo.listening());
  std::vector<std::unique_ptr<AsyncClient>> clients;
  std::vector<std::unique_ptr<ClientLog>> logs;
  for (int i = 0; i < kClients; ++i) {
    clients.push_back(std::make_unique<AsyncClient>());
    logs.push_back(std::make_unique<ClientLog>());
    logs.back()->attach(*clients.back());
    ASSERT_TRUE(clients.back()->connect(loopback4(), echo.port()));
    ASSERT_TRUE(logs.back()->waitConnected());
  }
  ASSERT_TRUE(echo.waitAccepted(kClients));
  EXPECT_EQ(tcpPcbsInUse(), base + 2 * kClients);

  const uint64_t refused0 = tcpPcbRefusals();
  {
    PoolLimit full(tcpPcbsInUse());
    ClientLog lateLog;
    AsyncClient late;
    lateLog.attach(late);
    EXPECT_FALSE(late.connect(loopback4(), echo.port())) << "connected without a pcb";
    AsyncServer server(loopback4(), 0);
    server.onClient([](void *, AsyncClient *c) { delete c; }, nullptr);
    server.begin();
    EXPECT_NE(server.status(), LISTEN);
    EXPECT_GT(tcpPcbRefusals(), refused0) << "lwIP never asked for a pcb past the limit";
    // Connections already up are still served while the pool is empty.
    for (int i = 0; i < kClients; ++i)
      EXPECT_TRUE(echoes(*clients[size_t(i)], *logs[size_t(i)], "still here")) << "client " << i;
    EXPECT_TRUE(staysFalse([&] { return !lateLog.events().empty(); }, 200ms))
        << "a failed connect() produced callbacks";
  }

  // The pool has room again: a new connection works.
  ClientLog againLog;
  AsyncClient again;
  againLog.attach(again);
  ASSERT_TRUE(again.connect(loopback4(), echo.port()));
  ASSERT_TRUE(againLog.waitConnected());
  EXPECT_TRUE(echoes(again, againLog, "works again"));

  // RST on every connection (no TIME_WAIT to wait out): every pcb is returned.
  again.abort();
  for (auto &c : clients)
    c->abort();
  EXPECT_TRUE(echo.waitAllDisconnected());
  EXPECT_TRUE(waitFor([&] { return tcpPcbsInUse() == base; }))
      << tcpPcbsInUse() << " pcbs in use, " << base << " before";
}

TEST(PcbExhaustion, ListenerDropsSynsWhileThePoolIsEmptyThenAcceptsTheRetry) {
  ASSERT_TRUE(tst::lwip::pcbPoolInterposed()) << "lwIP does not allocate through memp_malloc";
  const int base = tcpPcbsInUse();
  constexpr int kPeers = 3;
  EchoServer echo(stackIp4());
  ASSERT_TRUE(echo.listening());
  std::vector<RawSocket> peers;
  for (int i = 0; i < kPeers; ++i) {
    peers.push_back(rawConnect(stackIp4(), echo.port()));
    ASSERT_TRUE(peers.back().valid());
  }
  ASSERT_TRUE(echo.waitAccepted(kPeers));
  const uint64_t refused0 = tcpPcbRefusals();
  RawSocket waiting;
  {
    PoolLimit full(tcpPcbsInUse());
    waiting = startConnect(echo.port());
    // lwIP cannot allocate a pcb for the SYN: it tells the listener (ERR_MEM) and drops
    // it, so the handshake does not complete and the server sees nothing.
    EXPECT_FALSE(connectDone(waiting, 500ms)) << "a connection was accepted without a pcb";
    EXPECT_GT(tcpPcbRefusals(), refused0) << "the SYN never reached lwIP's tcp_alloc()";
    EXPECT_EQ(echo.accepted(), kPeers);
    for (int i = 0; i < kPeers; ++i)
      EXPECT_TRUE(rawEchoes(peers[size_t(i)], "served")) << "peer " << i;
    // A peer leaves (RST: lwIP frees its pcb at once); Linux retransmits the SYN (after
    // 1 s) and the retry gets the freed pcb, with the limit still in force.
    peers.back().closeWithReset();
    peers.pop_back();
    ASSERT_TRUE(waitFor([&] { return echo.live() == kPeers - 1; }));
    EXPECT_TRUE(connectDone(waiting, 4000ms)) << "the retried SYN was not accepted";
    EXPECT_TRUE(echo.waitAccepted(kPeers + 1));
    EXPECT_TRUE(rawEchoes(waiting, "accepted on retry"));
  }
  for (auto &p : peers)
    p.closeWithReset();
  waiting.closeWithReset();
  EXPECT_TRUE(echo.waitAllDisconnected());
  EXPECT_TRUE(waitFor([&] { return tcpPcbsInUse() == base; }))
      << tcpPcbsInUse() << " pcbs in use, " << base << " before";
  EXPECT_TRUE(echo.errors().size() == size_t(kPeers + 1)) << "each RST ends one connection";
}
