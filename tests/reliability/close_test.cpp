// Graceful close while the peer talks back, the regressions of a data-loss bug (orderly
// endings on both stacks: tests/close_test.cpp): close() delivers what it accepted, whether
// it waits in the library's queue or in the kernel, even when the peer keeps sending.
#include "reliability_support.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>

#include <gtest/gtest.h>

#include <atomic>
#include <cerrno>
#include <string>
#include <thread>

using namespace tst;
using namespace rel;

namespace {

// The descriptor of this process's TCP socket bound to local port `port` (-1 if none).
int socketWithLocalPort(uint16_t port) {
  for (int fd = 3; fd < 4096; ++fd) {
    sockaddr_storage ss{};
    socklen_t len = sizeof ss;
    if (getsockname(fd, reinterpret_cast<sockaddr *>(&ss), &len) != 0)
      continue;
    if (ss.ss_family == AF_INET && ntohs(reinterpret_cast<sockaddr_in *>(&ss)->sin_port) == port)
      return fd;
  }
  return -1;
}

}  // namespace

TEST(GracefulCloseWhilePeerTalks, QueuedDataIsDeliveredWithoutWaitingForTheLinger) {
  // The peer writes a lot with blocking sends and reads only between them, as a
  // request/response peer with a big response does. The client close()s with data still in
  // its user-space queue. close() is graceful ("data already queued is still sent"), so the
  // closing client must keep draining what the peer sends while it flushes; otherwise the
  // peer never gets back to reading, the queue never drains, and the connection hangs until
  // the 10 s linger resets it, the queued data lost.
  RawListener listener("127.0.0.1", 8, 16384, 0);
  Sender sender(pattern(4 * kMiB, 17));
  ClientLog log;
  AsyncClient c;
  log.attach(c, pumpingHooks(sender));
  RawSocket peer = connectAndAccept(c, log, listener);
  ASSERT_TRUE(peer.valid());
  // A small kernel send buffer on the client's socket, so what it accepts waits in its queue.
  const int clientFd = socketWithLocalPort(c.localPort());
  ASSERT_GE(clientFd, 0);
  int small = 4096;
  setsockopt(clientFd, SOL_SOCKET, SO_SNDBUF, &small, sizeof small);

  std::atomic<size_t> peerReceived{0};
  std::atomic<bool> peerEnded{false}, stop{false};
  std::thread talker([&] {
    const std::string blob = pattern(1 * kMiB, 18);
    char buf[64 * 1024];
    // Reads what is there; false once the connection has ended (EOF, or a reset once the
    // client closed while this side was still talking: TCP's answer to data for a closed
    // socket, which the client's close() may legitimately cause).
    auto drain = [&](milliseconds wait) {
      for (;;) {
        const ssize_t n = ::recv(peer.fd(), buf, sizeof buf, MSG_DONTWAIT);
        if (n > 0) {
          peerReceived += size_t(n);
          continue;
        }
        if (n == 0 || (errno != EAGAIN && errno != EINTR))
          return false;
        if (wait == 0ms || !peer.waitReadable(wait))
          return true;
      }
    };
    bool talking = true;
    while (!stop) {
      // The whole blob before reading again, however long that takes.
      for (size_t sent = 0; talking && sent < blob.size() && !stop;) {
        const long n = peer.trySend(blob.data() + sent, blob.size() - sent);
        if (n < 0) {
          talking = false;  // the client is gone: read what it sent until the end
          break;
        }
        sent += size_t(n);
        if (n == 0) {
          pollfd p{peer.fd(), POLLOUT, 0};
          ::poll(&p, 1, 50);
        }
      }
      if (!drain(talking ? 0ms : 50ms)) {
        peerEnded = true;
        return;
      }
    }
  });
  // Data flows both ways; then the client's budget is full and part of it is queued.
  ASSERT_TRUE(waitFor([&] { return sender.sent() > 256 * kKiB && c.space() == 0; }, 5000ms));
  c.close();
  const size_t accepted = sender.sent();
  EXPECT_TRUE(waitFor([&] { return peerReceived.load() == accepted; }, 2000ms))
      << "after close() the peer got " << peerReceived.load() << " of " << accepted
      << " accepted bytes; sockets:\n"
      << describeOpenSockets();
  EXPECT_TRUE(waitFor([&] { return peerEnded.load(); }, 1000ms))
      << "the connection did not end after close()";
  stop = true;
  ::shutdown(peer.fd(), SHUT_RDWR);
  talker.join();
  EXPECT_TRUE(log.waitDisconnected());
  EXPECT_EQ(log.lifecycle(), (std::vector<std::string>{"connect", "disconnect"}));
}

TEST(GracefulCloseWhilePeerTalks, DataStillInTheKernelSurvivesAPeerThatSpeaksAfterTheClose) {
  // The client's last bytes sit in its kernel send buffer (the peer is not reading yet) when
  // it close()s; nothing is unread at that moment. Then the peer sends something (the next
  // request of a pipelining client, say) before reading. A socket already closed answers
  // that with a RST, which throws away the unsent bytes: graceful close has to keep the
  // socket open (shutdown(SHUT_WR), read and drop until the peer's FIN) instead.
  RawListener listener("127.0.0.1", 8, 4096, 0);
  ClientLog log;
  AsyncClient c;
  log.attach(c);
  RawSocket peer = connectAndAccept(c, log, listener);
  ASSERT_TRUE(peer.valid());
  const int clientFd = socketWithLocalPort(c.localPort());
  ASSERT_GE(clientFd, 0);
  int big = 1 << 20;  // the kernel takes everything: nothing waits in the library's queue
  setsockopt(clientFd, SOL_SOCKET, SO_SNDBUF, &big, sizeof big);
  const std::string data = pattern(48 * kKiB, 19);
  ASSERT_EQ(c.write(data.data(), data.size()), data.size());
  std::this_thread::sleep_for(50ms);
  c.close();
  ASSERT_TRUE(log.waitDisconnected());
  std::this_thread::sleep_for(100ms);
  ASSERT_TRUE(peer.sendAll("next request"));
  std::this_thread::sleep_for(100ms);
  std::string got;
  const PeerEnd end = peer.readUntilEnd(3000ms, &got);
  EXPECT_EQ(got.size(), data.size())
      << "close() lost data it had accepted (the peer saw " << toString(end) << ")";
  EXPECT_TRUE(got == data.substr(0, got.size()));
  EXPECT_EQ(end, PeerEnd::Eof);
}
