// close() or delete while the name resolves, the regressions of an ESP32 AsyncTCP bug class
// (resolution on both stacks: tests/dns_test.cpp): one onDisconnect and no connect when the
// answer comes late, a reconnect the stale answer must not hijack, a server that never answers.
#include "reliability_support.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <atomic>
#include <deque>
#include <string>
#include <thread>
#include <vector>

using namespace tst;
using namespace rel;

namespace {

// A DNS server on 127.0.0.1 that answers type A queries with 127.0.0.1 after `delay`, or never
// (delay < 0), so a test can act while a name is being resolved.
class SlowDnsServer {
public:
  explicit SlowDnsServer(milliseconds delay) : _delay(delay) {
    _fd = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::bind(_fd, reinterpret_cast<sockaddr *>(&a), sizeof a);
    socklen_t len = sizeof a;
    getsockname(_fd, reinterpret_cast<sockaddr *>(&a), &len);
    _port = ntohs(a.sin_port);
    _thread = std::thread([this] { serve(); });
  }
  ~SlowDnsServer() {
    _stop = true;
    _thread.join();
    ::close(_fd);
  }
  std::string spec() const { return "127.0.0.1:" + std::to_string(_port); }
  int queries() const { return _queries.load(); }
  int answers() const { return _answers.load(); }

private:
  struct Pending {
    Clock::time_point due;
    sockaddr_in to;
    std::vector<uint8_t> reply;
  };

  void serve() {
    std::deque<Pending> pending;
    while (!_stop) {
      pollfd p{_fd, POLLIN, 0};
      if (::poll(&p, 1, 5) > 0) {
        uint8_t q[1500];
        sockaddr_in from{};
        socklen_t fromLen = sizeof from;
        ssize_t n = recvfrom(_fd, q, sizeof q, 0, reinterpret_cast<sockaddr *>(&from), &fromLen);
        if (n >= 12 && !(q[2] & 0x80)) {
          _queries++;
          if (_delay >= 0ms)
            pending.push_back(Pending{Clock::now() + _delay, from, reply(q, size_t(n))});
        }
      }
      while (!pending.empty() && pending.front().due <= Clock::now()) {
        const Pending &r = pending.front();
        if (!r.reply.empty()) {
          sendto(_fd, r.reply.data(), r.reply.size(), 0, reinterpret_cast<const sockaddr *>(&r.to),
                 sizeof r.to);
          _answers++;
        }
        pending.pop_front();
      }
    }
  }

  // The answer to one query: its question, and for type A one record 127.0.0.1.
  static std::vector<uint8_t> reply(const uint8_t *q, size_t n) {
    size_t pos = 12;
    while (pos < n && q[pos] != 0) {
      if (q[pos] & 0xC0)
        return {};
      pos += 1 + q[pos];
    }
    if (pos + 5 > n)
      return {};
    const size_t end = pos + 5;
    const bool typeA = q[pos + 1] == 0 && q[pos + 2] == 1;
    std::vector<uint8_t> r(q, q + end);
    r[2] = static_cast<uint8_t>(0x80 | (q[2] & 0x79));
    r[3] = 0x80;
    r[4] = 0;
    r[5] = 1;
    r[6] = 0;
    r[7] = typeA ? 1 : 0;
    r[8] = r[9] = r[10] = r[11] = 0;
    if (typeA) {
      const uint8_t rr[] = {0xC0, 0x0C, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4, 127, 0, 0, 1};
      r.insert(r.end(), rr, rr + sizeof rr);
    }
    return r;
  }

  milliseconds _delay;
  int _fd = -1;
  uint16_t _port = 0;
  std::atomic<bool> _stop{false};
  std::atomic<int> _queries{0}, _answers{0};
  std::thread _thread;
};

}  // namespace

TEST(CloseDuringDnsResolution, OneDisconnectAndTheLateAnswerIsIgnored) {
  SlowDnsServer dns(300ms);
  ASSERT_TRUE(asynctcp::setDnsServers(dns.spec().c_str()));
  RawListener listener;
  ClientLog log;
  AsyncClient c;
  log.attach(c);
  ASSERT_TRUE(c.connect("slow.asynctcp.test", listener.port()));
  ASSERT_TRUE(waitFor([&] { return dns.queries() > 0; }));
  EXPECT_TRUE(c.connecting());
  c.close();
  ASSERT_TRUE(log.waitDisconnected());
  EXPECT_EQ(log.lifecycle(), std::vector<std::string>{"disconnect"});
  EXPECT_EQ(c.state(), CLOSED);
  // The answer arrives later: no connect may follow from it.
  ASSERT_TRUE(waitFor([&] { return dns.answers() > 0; }, 3000ms));
  RawSocket unexpected = listener.accept(300ms);
  EXPECT_FALSE(unexpected.valid()) << "the cancelled resolution still connected";
  EXPECT_EQ(log.disconnects(), 1);
  EXPECT_EQ(log.connects(), 0);
}

TEST(CloseDuringDnsResolution, ReconnectAfterCloseIsNotHijackedByTheStaleAnswer) {
  SlowDnsServer dns(300ms);
  ASSERT_TRUE(asynctcp::setDnsServers(dns.spec().c_str()));
  RawListener stale, fresh;
  ClientLog log;
  AsyncClient c;
  log.attach(c);
  ASSERT_TRUE(c.connect("first.asynctcp.test", stale.port()));
  ASSERT_TRUE(waitFor([&] { return dns.queries() > 0; }));
  c.close();
  ASSERT_TRUE(log.waitDisconnected());
  log.resetForReconnect();
  ASSERT_TRUE(c.connect(loopback4(), fresh.port()));
  RawSocket peer = fresh.accept();
  ASSERT_TRUE(peer.valid());
  ASSERT_TRUE(log.waitConnected());
  ASSERT_TRUE(waitFor([&] { return dns.answers() > 0; }, 3000ms));
  std::this_thread::sleep_for(100ms);
  EXPECT_FALSE(stale.accept(100ms).valid()) << "the stale answer started a second connection";
  EXPECT_TRUE(c.connected());
  EXPECT_EQ(c.remotePort(), fresh.port());
  EXPECT_EQ(c.write("still here"), 10u);
  std::string got;
  EXPECT_TRUE(peer.recvExactly(10, got));
  EXPECT_EQ(log.disconnects(), 1);
}

TEST(DeleteDuringDnsResolution, NoCallbacksNoConnectNoLeak) {
  SlowDnsServer dns(200ms);
  ASSERT_TRUE(asynctcp::setDnsServers(dns.spec().c_str()));
  RawListener listener;
  warmUp();
  const size_t fds = openFdCount();
  ClientLog log;
  auto *c = new AsyncClient;
  log.attach(*c);
  ASSERT_TRUE(c->connect("deleted.asynctcp.test", listener.port()));
  ASSERT_TRUE(waitFor([&] { return dns.queries() > 0; }));
  log.markDeleted();
  delete c;
  ASSERT_TRUE(waitFor([&] { return dns.answers() > 0; }, 3000ms));
  EXPECT_FALSE(listener.accept(300ms).valid());
  EXPECT_EQ(log.lateCallbacks(), 0) << ::testing::PrintToString(log.events());
  EXPECT_TRUE(waitFdsAtMost(fds, 2000ms)) << openFdCount() << " fds, baseline " << fds;
}

TEST(DeleteDuringDnsResolution, ServerThatNeverAnswers) {
  SlowDnsServer dns(-1ms);
  ASSERT_TRUE(asynctcp::setDnsServers(dns.spec().c_str()));
  for (int i = 0; i < 10; ++i) {
    ClientLog log;
    auto *c = new AsyncClient;
    log.attach(*c);
    ASSERT_TRUE(c->connect("hang.asynctcp.test", 80));
    if (i % 2) {
      c->close();  // close first (onDisconnect), then delete
      EXPECT_TRUE(log.waitDisconnected());
    }
    log.markDeleted();
    delete c;
    EXPECT_EQ(log.lateCallbacks(), 0);
    EXPECT_EQ(log.connects(), 0);
  }
  EXPECT_TRUE(waitFor([&] { return dns.queries() >= 10; }, 2000ms));
}
