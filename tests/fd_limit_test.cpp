// File-descriptor exhaustion: connect() and accept() at the RLIMIT_NOFILE limit must fail
// cleanly (false, or onError(ERR_MEM)), never crash or hang, and the library must recover.
#include "test_support.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <vector>

using namespace tst;

TEST(FdExhaustion, ConnectFailsCleanlyAndClientWorksAfterwards) {
  if (kLwip)
    GTEST_SKIP() << "posix only: lwIP connections use no file descriptors";
  EchoServer echo;
  ClientLog log;
  AsyncClient c;
  log.attach(c);
  {
    FdLimitReached ex(32);
    ASSERT_TRUE(ex.reached());
    if (c.connect(loopback4(), echo.port())) {
      ASSERT_TRUE(log.waitDisconnected());
      EXPECT_EQ(log.lifecycle(), (std::vector<std::string>{"error:-1", "disconnect"}));
      EXPECT_EQ(c.lastErrno(), EMFILE);
    } else {
      EXPECT_TRUE(staysFalse([&] { return !log.events().empty(); }, 100ms))
          << "connect() returned false but callbacks ran";
    }
    EXPECT_EQ(c.state(), CLOSED);
  }
  log.resetForReconnect();
  ASSERT_TRUE(c.connect(loopback4(), echo.port()));
  ASSERT_TRUE(log.waitConnected());
  EXPECT_EQ(c.write("recovered"), 9u);
  ASSERT_TRUE(log.waitReceived(9));
  EXPECT_EQ(log.data(), "recovered");
}

TEST(FdExhaustion, PendingConnectionIsRefusedOrServedOnceFdsFreeUp) {
  if (kLwip)
    GTEST_SKIP() << "posix only: lwIP connections use no file descriptors";
  EchoServer echo;
  // The peer's socket exists before the limit is hit; connect() needs no new descriptor.
  RawSocket peer(::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
  ASSERT_TRUE(peer.valid());
  bool refused = false;
  {
    FdLimitReached ex(32);
    ASSERT_TRUE(ex.reached());
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(echo.port());
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    int r = ::connect(peer.fd(), reinterpret_cast<sockaddr *>(&a), sizeof a);
    ASSERT_TRUE(r == 0 || errno == EINPROGRESS) << std::strerror(errno);
    pollfd p{peer.fd(), POLLOUT, 0};
    ASSERT_EQ(::poll(&p, 1, 2000), 1);
    // Either the library refuses it now (accept with a spare fd, close)...
    if (peer.waitReadable(500ms)) {
      const PeerEnd end = peer.readUntilEnd(1000ms);
      EXPECT_TRUE(end == PeerEnd::Eof || end == PeerEnd::Reset) << toString(end);
      refused = true;
    }
    EXPECT_EQ(echo.accepted(), 0);
  }
  // ...or it accepts it once descriptors are back. Nothing may stay stuck.
  if (!refused) {
    ASSERT_TRUE(peer.sendAll("late"));
    std::string got;
    EXPECT_TRUE(peer.recvExactly(4, got, 5000ms)) << "the pending connection was never served";
    EXPECT_EQ(got, "late");
  }
  // And new connections work again.
  RawSocket next = rawConnect("127.0.0.1", echo.port());
  ASSERT_TRUE(next.valid());
  ASSERT_TRUE(next.sendAll("back"));
  std::string got;
  EXPECT_TRUE(next.recvExactly(4, got));
  EXPECT_EQ(got, "back");
}
