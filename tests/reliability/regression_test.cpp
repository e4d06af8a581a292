// Regressions, each named after a bug class of the ESP32 AsyncTCP library: a pcb used after
// lwIP's error callback freed it, delete in onError after close(true), close/delete while the
// name resolves or the connect is pending, failed connects leaking descriptors, over-acking,
// stale timeout timestamps on a reused client, onDisconnect missing after an rx timeout, and
// memory per connection that never comes back.
#include "reliability_support.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <cerrno>
#include <cstdio>
#include <deque>
#include <memory>

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

// ---- the pcb freed by lwIP's error callback -----------------------------------------------

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

// ---- ESP32 sketches: close(true); delete client; in onError --------------------------------

TEST(DeleteInOnErrorAfterCloseTrue, PeerReset_NoUseAfterFreeNoLaterCallbacks) {
  RawListener listener;
  ClientLog log;
  auto *c = new AsyncClient;
  std::atomic<int> deleted{0};
  ClientHooks hooks;
  hooks.onError = [&](AsyncClient *cl, int8_t) {
    cl->close(true);
    log.markDeleted();
    delete cl;
    deleted++;
  };
  log.attach(*c, hooks);
  RawSocket peer = connectAndAccept(*c, log, listener);
  ASSERT_TRUE(peer.valid());
  peer.closeWithReset();
  ASSERT_TRUE(waitFor([&] { return deleted.load() == 1; }));
  EXPECT_TRUE(staysFalse([&] { return log.lateCallbacks() > 0; }, 300ms))
      << ::testing::PrintToString(log.events());
  EXPECT_EQ(log.disconnects(), 0) << "onDisconnect ran for a client deleted in onError";
}

TEST(DeleteInOnErrorAfterCloseTrue, RefusedConnect_NoUseAfterFree) {
  ClosedPort closed;
  for (int i = 0; i < 20; ++i) {
    ClientLog log;
    auto *c = new AsyncClient;
    std::atomic<int> deleted{0};
    ClientHooks hooks;
    hooks.onError = [&](AsyncClient *cl, int8_t) {
      cl->close(true);
      log.markDeleted();
      delete cl;
      deleted++;
    };
    log.attach(*c, hooks);
    ASSERT_TRUE(c->connect(loopback4(), closed.port()));
    ASSERT_TRUE(waitFor([&] { return deleted.load() == 1; }));
    EXPECT_TRUE(staysFalse([&] { return log.lateCallbacks() > 0; }, 20ms));
  }
}

TEST(DeleteInOnErrorAfterCloseTrue, ServerSideClientOnPeerReset) {
  AsyncServer server(loopback4(), 0);
  std::atomic<int> errors{0}, disconnects{0};
  server.onClient(
      [&](void *, AsyncClient *c) {
        c->onError([&](void *, AsyncClient *cl, int8_t) {
          errors++;
          cl->close(true);
          delete cl;
        });
        c->onDisconnect([&](void *, AsyncClient *) { disconnects++; });
      },
      nullptr);
  server.begin();
  ASSERT_EQ(server.status(), LISTEN);
  for (int i = 0; i < 20; ++i) {
    RawSocket s = rawConnect("127.0.0.1", server.port());
    ASSERT_TRUE(s.valid());
    ASSERT_TRUE(s.sendAll("unread"));  // unread data: close() then sends RST
    std::this_thread::sleep_for(1ms);
    s.closeWithReset();
  }
  EXPECT_TRUE(waitFor([&] { return errors.load() == 20; })) << errors.load();
  EXPECT_TRUE(staysFalse([&] { return disconnects.load() > 0; }, 200ms))
      << "onDisconnect ran for clients deleted in onError";
  server.end();
}

TEST(DeleteInOnErrorAfterCloseTrue, AbortThenDeleteFromOnError) {
  RawListener listener;
  ClientLog log;
  auto *c = new AsyncClient;
  std::atomic<int> deleted{0};
  ClientHooks hooks;
  hooks.onData = [&](AsyncClient *cl, void *, size_t) { cl->abort(); };
  hooks.onError = [&](AsyncClient *cl, int8_t) {
    cl->close(true);
    log.markDeleted();
    delete cl;
    deleted++;
  };
  log.attach(*c, hooks);
  RawSocket peer = connectAndAccept(*c, log, listener);
  ASSERT_TRUE(peer.valid());
  ASSERT_TRUE(peer.sendAll("trigger"));
  ASSERT_TRUE(waitFor([&] { return deleted.load() == 1; }));
  EXPECT_EQ(log.errors(), std::vector<int>{ERR_ABRT});
  EXPECT_TRUE(staysFalse([&] { return log.lateCallbacks() > 0; }, 200ms));
  EXPECT_EQ(peer.readUntilEnd(2000ms), PeerEnd::Reset);
}

// ---- close or delete while the name resolves ----------------------------------------------

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

// ---- close or delete while connecting -----------------------------------------------------

TEST(CloseDuringConnect, OneDisconnectNoConnectNoLeakedFd) {
  HangingListener hanging;
  warmUp();
  const size_t fds = openFdCount();
  for (int i = 0; i < 50; ++i) {
    ClientLog log;
    AsyncClient c;
    log.attach(c);
    ASSERT_TRUE(c.connect(loopback4(), hanging.port()));
    EXPECT_TRUE(c.connecting());
    if (i % 2)
      c.close();
    else
      c.abort();
    ASSERT_TRUE(log.waitDisconnected());
    EXPECT_EQ(log.connects(), 0);
    EXPECT_EQ(log.disconnects(), 1);
    if (i % 2)
      EXPECT_TRUE(log.errors().empty());
    else
      EXPECT_EQ(log.errors(), std::vector<int>{ERR_ABRT});
  }
  EXPECT_TRUE(waitFdsAtMost(fds, 2000ms)) << openFdCount() << " fds, baseline " << fds;
}

TEST(DeleteDuringConnect, FromAnotherThreadAndFromOnPollOfAnotherClient) {
  HangingListener hanging;
  EchoServer echo;
  warmUp();
  const size_t fds = openFdCount();
  // From the main thread.
  for (int i = 0; i < 50; ++i) {
    ClientLog log;
    auto *c = new AsyncClient;
    log.attach(*c);
    ASSERT_TRUE(c->connect(loopback4(), hanging.port()));
    log.markDeleted();
    delete c;
    EXPECT_EQ(log.lateCallbacks(), 0);
  }
  // From a callback of another client on the service thread.
  ClientLog pollerLog, victimLog;
  AsyncClient poller;
  auto *victim = new AsyncClient;
  victimLog.attach(*victim);
  std::atomic<bool> done{false};
  ClientHooks hooks;
  hooks.onPoll = [&](AsyncClient *) {
    if (victim) {
      victimLog.markDeleted();
      delete victim;
      victim = nullptr;
      done = true;
    }
  };
  pollerLog.attach(poller, hooks);
  poller.setPollInterval(50);
  ASSERT_TRUE(victim->connect(loopback4(), hanging.port()));
  ASSERT_TRUE(poller.connect(loopback4(), echo.port()));
  ASSERT_TRUE(waitFor([&] { return done.load(); }));
  EXPECT_TRUE(staysFalse([&] { return victimLog.lateCallbacks() > 0; }, 200ms));
  poller.close();
  ASSERT_TRUE(pollerLog.waitDisconnected());
  EXPECT_TRUE(waitFdsAtMost(fds, 2000ms)) << openFdCount() << " fds, baseline " << fds;
}

// ---- failed connects leaking ports or descriptors -----------------------------------------

TEST(FailedConnectLeak, FiveHundredRefusedConnectsLeaveNoFd) {
  ClosedPort closed;
  warmUp();
  const size_t fds = openFdCount();
  const int rounds = scaled(500, 200);
  ClientLog log;
  AsyncClient c;
  std::atomic<int> ends{0};
  ClientHooks hooks;
  hooks.onDisconnect = [&](AsyncClient *) { ends++; };
  log.attach(c, hooks);
  for (int i = 0; i < rounds; ++i) {
    log.resetForReconnect();
    ASSERT_TRUE(c.connect(loopback4(), closed.port())) << "round " << i;
    ASSERT_TRUE(waitFor([&] { return ends.load() == i + 1; })) << "round " << i;
  }
  EXPECT_EQ(log.connects(), 0);
  EXPECT_EQ(log.errors(), std::vector<int>(size_t(rounds), ERR_RST));
  EXPECT_TRUE(waitFdsAtMost(fds, 2000ms)) << openFdCount() << " fds, baseline " << fds;
  // The ports were not kept either: the last refused connect's local port is reusable.
  EchoServer echo;
  log.resetForReconnect();
  ASSERT_TRUE(c.connect(loopback4(), echo.port()));
  EXPECT_TRUE(log.waitConnected());
  c.close();
  EXPECT_TRUE(waitFor([&] { return ends.load() == rounds + 1; }));
}

TEST(FailedConnectLeak, ConnectTimeoutsLeaveNoFd) {
  HangingListener hanging;
  warmUp();
  const size_t fds = openFdCount();
  constexpr int kClients = 20;
  std::vector<std::unique_ptr<AsyncClient>> clients;
  std::vector<std::unique_ptr<ClientLog>> logs;
  for (int i = 0; i < kClients; ++i) {
    clients.push_back(std::make_unique<AsyncClient>());
    logs.push_back(std::make_unique<ClientLog>());
    logs.back()->attach(*clients.back());
    clients.back()->setConnectTimeout(100);
    ASSERT_TRUE(clients.back()->connect(loopback4(), hanging.port()));
  }
  for (int i = 0; i < kClients; ++i) {
    ASSERT_TRUE(logs[i]->waitDisconnected(3000ms));
    EXPECT_EQ(logs[i]->lifecycle(), (std::vector<std::string>{"error:-3", "disconnect"}));
  }
  EXPECT_TRUE(waitFdsAtMost(fds, 2000ms)) << openFdCount() << " fds, baseline " << fds;
}

TEST(FailedConnectLeak, DeletedFromOnErrorOfARefusedConnectLeavesNoFd) {
  ClosedPort closed;
  warmUp();
  const size_t fds = openFdCount();
  std::atomic<int> deleted{0};
  const int rounds = scaled(500, 200);
  for (int i = 0; i < rounds; ++i) {
    auto *c = new AsyncClient;
    c->onError([&](void *, AsyncClient *cl, int8_t) {
      delete cl;
      deleted++;
    });
    ASSERT_TRUE(c->connect(loopback4(), closed.port()));
  }
  EXPECT_TRUE(waitFor([&] { return deleted.load() == rounds; }, 10000ms)) << deleted.load();
  EXPECT_TRUE(waitFdsAtMost(fds, 2000ms)) << openFdCount() << " fds, baseline " << fds;
}

// ---- over-acking ---------------------------------------------------------------------------

TEST(OverAck, AckOfHugeLengthReturnsOnlyWhatWasHeld) {
  RawListener listener;
  ClientLog log;
  AsyncClient c;
  ClientHooks hooks;
  hooks.onData = [](AsyncClient *cl, void *, size_t) { cl->ackLater(); };
  log.attach(c, hooks);
  EXPECT_EQ(c.ack(SIZE_MAX), 0u) << "acked data on a client that never connected";
  RawSocket peer = connectAndAccept(c, log, listener);
  ASSERT_TRUE(peer.valid());
  EXPECT_EQ(c.ack(12345), 0u) << "acked data that was never received";
  ASSERT_TRUE(peer.sendAll(pattern(1000, 3)));
  ASSERT_TRUE(log.waitReceived(1000));
  EXPECT_EQ(c.ack(SIZE_MAX), 1000u);
  EXPECT_EQ(c.ack(SIZE_MAX), 0u);
  EXPECT_EQ(c.ack(1), 0u);
  // Partial acks add up to what was held, never more.
  ASSERT_TRUE(peer.sendAll(pattern(500, 4)));
  ASSERT_TRUE(log.waitReceived(1500));
  EXPECT_EQ(c.ack(200), 200u);
  EXPECT_EQ(c.ack(1000), 300u);
  EXPECT_EQ(c.ack(1000), 0u);
  // The receive window is intact afterwards: a large transfer still flows.
  const std::string big = pattern(512 * kKiB, 5);
  std::thread acker([&] {
    while (log.received() < 1500 + big.size() && c.connected()) {
      c.ack(SIZE_MAX);
      std::this_thread::sleep_for(1ms);
    }
  });
  EXPECT_TRUE(peer.sendAll(big, 5000ms));
  EXPECT_TRUE(log.waitReceived(1500 + big.size()));
  acker.join();
  EXPECT_EQ(log.data().substr(1500), big);
  EXPECT_TRUE(log.errors().empty());
}

TEST(OverAck, AckAfterDisconnectNeverExceedsWhatWasHeld) {
  RawListener listener;
  ClientLog log;
  AsyncClient c;
  ClientHooks hooks;
  hooks.onData = [](AsyncClient *cl, void *, size_t) { cl->ackLater(); };
  log.attach(c, hooks);
  RawSocket peer = connectAndAccept(c, log, listener);
  ASSERT_TRUE(peer.valid());
  ASSERT_TRUE(peer.sendAll("held"));
  ASSERT_TRUE(log.waitReceived(4));
  peer.closeWithReset();
  ASSERT_TRUE(log.waitDisconnected());
  // ESP32 returns what was held (its pcb is gone, so nothing reaches the stack); never more.
  EXPECT_LE(c.ack(SIZE_MAX), 4u);
  EXPECT_EQ(c.ack(SIZE_MAX), 0u);
  // A new connection starts with nothing held.
  log.resetForReconnect();
  RawSocket again = connectAndAccept(c, log, listener);
  ASSERT_TRUE(waitFor([&] { return log.connects() == 2; }));
  EXPECT_EQ(c.ack(SIZE_MAX), 0u) << "bytes held on the previous connection carried over";
}

// ---- stale timestamps after a client is reused ---------------------------------------------

TEST(StaleTimestampsAfterReuse, NoImmediateAckTimeoutOnReconnect) {
  constexpr uint32_t kAckTimeoutMs = 300;
  // First connection: data stays unacknowledged (the peer's window is closed), the client
  // disconnects before the ack timeout.
  RawListener stuck("127.0.0.1", 8, 2048, 0);
  ClientLog log;
  AsyncClient c;
  Sender flood(pattern(8 * kMiB, 6));
  std::atomic<bool> flooding{true};  // the first connection only
  ClientHooks hooks;
  hooks.onConnect = [&](AsyncClient *cl) {
    if (flooding)
      flood.pump(cl);
  };
  hooks.onAck = [&](AsyncClient *cl, size_t, uint32_t) {
    if (flooding)
      flood.pump(cl);
  };
  log.attach(c, hooks);
  c.setAckTimeout(kAckTimeoutMs);
  RawSocket peer = connectAndAccept(c, log, stuck);
  ASSERT_TRUE(peer.valid());
  ASSERT_TRUE(waitFor([&] { return c.space() == 0; }, 3000ms));
  c.close();
  ASSERT_TRUE(log.waitDisconnected());
  flooding = false;
  const int timeoutsBefore = log.timeouts();
  peer.closeWithReset();
  // Longer than the ack timeout, so a stale "unacked since" would be overdue.
  std::this_thread::sleep_for(std::chrono::milliseconds(2 * kAckTimeoutMs));
  // Second connection on the same object: a peer that reads everything promptly.
  EchoServer echo;
  log.resetForReconnect();
  ASSERT_TRUE(c.connect(loopback4(), echo.port()));
  ASSERT_TRUE(waitFor([&] { return log.connects() == 2; }));
  EXPECT_EQ(c.write("fresh"), 5u);
  EXPECT_TRUE(staysFalse([&] { return log.timeouts() > timeoutsBefore; },
                         milliseconds(kAckTimeoutMs + 200)))
      << "onTimeout fired on the reused client from the previous connection's timestamps";
  EXPECT_TRUE(c.connected());
  c.close();
  EXPECT_TRUE(waitFor([&] { return log.disconnects() == 2; }));
}

TEST(StaleTimestampsAfterReuse, NoImmediateRxTimeoutOnReconnect) {
  EchoServer echo;
  ClientLog log;
  AsyncClient c;
  log.attach(c);
  c.setRxTimeout(1);
  ASSERT_TRUE(c.connect(loopback4(), echo.port()));
  ASSERT_TRUE(log.waitConnected());
  std::this_thread::sleep_for(600ms);  // idle for most of the rx timeout
  c.close();
  ASSERT_TRUE(log.waitDisconnected());
  std::this_thread::sleep_for(800ms);  // the old "last received" is now past the timeout
  log.resetForReconnect();
  ASSERT_TRUE(c.connect(loopback4(), echo.port()));
  ASSERT_TRUE(waitFor([&] { return log.connects() == 2; }));
  EXPECT_TRUE(staysFalse([&] { return log.disconnects() > 1; }, 600ms))
      << "the reused client was closed by the previous connection's rx timestamp";
  // And the rx timeout still works on the new connection.
  EXPECT_TRUE(waitFor([&] { return log.disconnects() == 2; }, 2000ms));
}

// ---- onDisconnect after an rx timeout ------------------------------------------------------

TEST(RxTimeoutDisconnect, ClientGetsOnDisconnectAndThePeerEof) {
  RawListener listener;
  ClientLog log;
  AsyncClient c;
  log.attach(c);
  c.setRxTimeout(1);
  RawSocket peer = connectAndAccept(c, log, listener);
  ASSERT_TRUE(peer.valid());
  const auto t0 = Clock::now();
  ASSERT_TRUE(log.waitDisconnected(3000ms)) << "no onDisconnect after the rx timeout";
  const auto waited = std::chrono::duration_cast<milliseconds>(Clock::now() - t0);
  EXPECT_GE(waited.count(), 900);
  EXPECT_EQ(log.lifecycle(), (std::vector<std::string>{"connect", "disconnect"}));
  EXPECT_EQ(c.state(), CLOSED);
  EXPECT_EQ(peer.readUntilEnd(2000ms), PeerEnd::Eof);
  EXPECT_TRUE(staysFalse([&] { return log.disconnects() > 1; }, 200ms));
}

TEST(RxTimeoutDisconnect, ServerSideClientsAreReapedAndDeleted) {
  AsyncServer server(loopback4(), 0);
  std::atomic<int> accepted{0}, disconnects{0};
  server.onClient(
      [&](void *, AsyncClient *c) {
        accepted++;
        c->setRxTimeout(1);
        c->onDisconnect([&](void *, AsyncClient *cl) {
          disconnects++;
          delete cl;
        });
      },
      nullptr);
  server.begin();
  std::vector<RawSocket> idle;
  for (int i = 0; i < 20; ++i)
    idle.push_back(rawConnect("127.0.0.1", server.port()));
  ASSERT_TRUE(waitFor([&] { return accepted.load() == 20; }));
  EXPECT_TRUE(waitFor([&] { return disconnects.load() == 20; }, 3000ms)) << disconnects.load();
  for (auto &s : idle)
    EXPECT_EQ(s.readUntilEnd(1000ms), PeerEnd::Eof);
  server.end();
}

TEST(RxTimeoutDisconnect, WhileDataIsHeldWithAckLater) {
  // Data held back with ackLater() keeps the connection's receive side busy; the rx timeout
  // must still end it with onDisconnect.
  RawListener listener;
  ClientLog log;
  AsyncClient c;
  ClientHooks hooks;
  hooks.onData = [](AsyncClient *cl, void *, size_t) { cl->ackLater(); };
  log.attach(c, hooks);
  c.setRxTimeout(1);
  RawSocket peer = connectAndAccept(c, log, listener);
  ASSERT_TRUE(peer.valid());
  ASSERT_TRUE(peer.sendAll(pattern(100 * kKiB, 8)));  // more than the receive window
  EXPECT_TRUE(log.waitDisconnected(4000ms)) << "no onDisconnect after the rx timeout";
  EXPECT_EQ(log.disconnects(), 1);
}

// ---- memory per connection -----------------------------------------------------------------

TEST(MemoryPerConnection, ReturnsToBaselineAfterFiveThousandConnections) {
  // A server that keeps nothing per connection (test_support's EchoServer records every
  // peer address), so what the heap holds afterwards is the library's.
  AsyncServer server(loopback4(), 0);
  std::atomic<int> accepted{0}, live{0};
  server.onClient(
      [&](void *, AsyncClient *c) {
        accepted++;
        live++;
        c->onData([](void *, AsyncClient *cl, void *data, size_t len) {
          cl->write(static_cast<const char *>(data), len);
        });
        c->onDisconnect([&](void *, AsyncClient *cl) {
          live--;
          delete cl;
        });
      },
      nullptr);
  server.begin();
  ASSERT_EQ(server.status(), LISTEN);
  const uint16_t port = server.port();
  const int total = scaled(5000, 1000);
  constexpr int kBatch = 100;
  auto cycle = [&](int connections) {
    for (int done = 0; done < connections; done += kBatch) {
      std::vector<std::unique_ptr<AsyncClient>> batch;
      std::vector<std::unique_ptr<ClientLog>> logs;
      for (int i = 0; i < kBatch; ++i) {
        batch.push_back(std::make_unique<AsyncClient>());
        logs.push_back(std::make_unique<ClientLog>());
        ClientHooks hooks;
        hooks.onConnect = [](AsyncClient *cl) { cl->write("0123456789"); };
        hooks.onData = [](AsyncClient *cl, void *, size_t) { cl->close(); };
        logs.back()->attach(*batch.back(), hooks);
        ASSERT_TRUE(batch.back()->connect(loopback4(), port));
      }
      for (auto &l : logs)
        ASSERT_TRUE(l->waitDisconnected());
    }
  };
  cycle(500);  // warm-up: the library's and the allocator's steady state
  ASSERT_TRUE(waitFor([&] { return live.load() == 0; }));
  const size_t fds = openFdCount();
  const size_t heap0 = heapInUse();
  const size_t rss0 = rssKiB();
  cycle(total);
  ASSERT_TRUE(waitFor([&] { return live.load() == 0; }));
  EXPECT_TRUE(waitFdsAtMost(fds, 3000ms)) << openFdCount() << " fds, baseline " << fds;
  const size_t heap1 = heapInUse();
  const size_t rss1 = rssKiB();
  std::printf("[memory] %d connections: heap %zu -> %zu bytes, RSS %zu -> %zu KiB\n", total, heap0,
              heap1, rss0, rss1);
  if (!kSanitized) {
    // 5,000 leaked connection objects would be hundreds of KiB; allow allocator noise.
    EXPECT_LT(heap1, heap0 + 64 * 1024)
        << "heap grew by " << (heap1 - heap0) << " bytes over " << total << " connections";
  }
  if (!kAsan) {  // ASan's quarantine holds freed memory on purpose
    EXPECT_LT(rss1, rss0 + 16 * 1024) << "RSS grew by " << (rss1 - rss0) << " KiB";
  }
  EXPECT_EQ(accepted.load(), 500 + total);
  server.end();
}

// ---- a reset that arrives while the receive side is throttled -------------------------------

TEST(ResetWhileReceiveThrottled, PeerResetBehindHeldDataIsStillReported) {
  // The peer sends more than the receive window and resets at once. Data and RST reach the
  // loop in one wake-up (the service thread is kept busy meanwhile): the client reads one
  // window's worth, holds it with ackLater(), so reading stops. The reset must still end the
  // connection (lwIP reports a RST at once, whatever the application holds).
  RawListener listener;
  ClientLog log;
  AsyncClient c;
  ClientHooks hooks;
  hooks.onData = [](AsyncClient *cl, void *, size_t) { cl->ackLater(); };
  log.attach(c, hooks);
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

// ---- graceful close while the peer talks back -----------------------------------------------

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

TEST(ResetWhileReceiveThrottled, PeerResetAfterItsFinWhileDataIsHeldIsReported) {
  // The peer sends a little, half-closes, then resets. The client holds the data with
  // ackLater(), so the FIN waits behind it (as documented). The reset must still end the
  // connection: after a FIN, recv() keeps returning 0 and never shows the socket's error, so
  // the error has to be asked for.
  RawListener listener;
  ClientLog log;
  AsyncClient c;
  ClientHooks hooks;
  hooks.onData = [](AsyncClient *cl, void *, size_t) { cl->ackLater(); };
  log.attach(c, hooks);
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
