// The ESP32 threading contract: a public method called from a thread other than the
// service thread never waits for a user callback. On ESP32 such calls go to lwIP's
// thread, which runs no user code, and libraries rely on it: they hold their own lock
// around space()/add()/send()/write()/close() in loop() while their callbacks take the
// same lock (an MQTT client's publish, ESPAsyncWebServer's WebSocket and event-source
// broadcasts). Waiting for the callback there is a deadlock.
#include "test_support.h"

#include <sys/socket.h>

#include <gtest/gtest.h>

#include <atomic>
#include <cstdio>
#include <mutex>
#include <thread>
#include <vector>

using namespace tst;

namespace {

// A client whose callbacks all take `userLock`, the way a library's do.
struct LockedClient {
  AsyncClient client;
  std::atomic<bool> connected{false}, ended{false};
  std::atomic<size_t> received{0};
};

}  // namespace

TEST(ThreadContract, UserLockHeldAroundCallsWhileCallbacksTakeItNeverDeadlocks) {
  EchoServer echo;
  ASSERT_TRUE(echo.listening());
  std::mutex userLock;
  constexpr int kClients = 8;
  std::vector<std::unique_ptr<LockedClient>> clients;
  for (int i = 0; i < kClients; ++i) {
    auto lc = std::make_unique<LockedClient>();
    LockedClient *p = lc.get();
    p->client.onConnect([p, &userLock](void *, AsyncClient *) {
      std::lock_guard<std::mutex> g(userLock);
      p->connected = true;
    });
    p->client.onData([p, &userLock](void *, AsyncClient *, void *, size_t len) {
      std::lock_guard<std::mutex> g(userLock);
      p->received += len;
    });
    p->client.onAck([&userLock](void *, AsyncClient *c, size_t, uint32_t) {
      std::lock_guard<std::mutex> g(userLock);
      (void)c->space();  // a library checks room for more from onAck
    });
    p->client.onPoll(
        [&userLock](void *, AsyncClient *) { std::lock_guard<std::mutex> g(userLock); });
    p->client.onDisconnect([p, &userLock](void *, AsyncClient *) {
      std::lock_guard<std::mutex> g(userLock);
      p->ended = true;
    });
    p->client.setPollInterval(5);
    ASSERT_TRUE(p->client.connect(loopback4(), echo.port()));
    clients.push_back(std::move(lc));
  }
  ASSERT_TRUE(waitFor([&] {
    for (auto &c : clients)
      if (!c->connected)
        return false;
    return true;
  }));

  // Three writer threads, each holding the user's lock around a burst of calls.
  std::atomic<bool> stop{false};
  std::atomic<size_t> written{0};
  auto writer = [&](int id) {
    const std::string chunk(512, char('a' + id));
    while (!stop) {
      for (auto &c : clients) {
        std::lock_guard<std::mutex> g(userLock);
        AsyncClient &cl = c->client;
        if (!cl.connected() || !cl.canSend() || cl.space() < chunk.size())
          continue;
        written += cl.add(chunk.data(), chunk.size());
        cl.send();
      }
    }
  };
  std::vector<std::thread> writers;
  for (int i = 0; i < 3; ++i)
    writers.emplace_back(writer, i);
  std::this_thread::sleep_for(1500ms);
  stop = true;
  // A deadlock leaves a writer inside a call, holding userLock: join would hang, so
  // wait for the threads with a bound first.
  std::atomic<int> joined{0};
  std::thread joiner([&] {
    for (auto &w : writers)
      w.join();
    joined = 1;
  });
  const bool finished = waitFor([&] { return joined.load() == 1; }, 10000ms);
  if (!finished) {
    joiner.detach();
    FAIL() << "a thread holding the user's lock waited in a public call while a callback "
              "waited for that lock (deadlock)";
  }
  joiner.join();
  EXPECT_GT(written.load(), 0u);
  EXPECT_TRUE(waitFor(
      [&] {
        size_t got = 0;
        for (auto &c : clients)
          got += c->received;
        return got == written.load();
      },
      10000ms))
      << "every byte written from the threads comes back once";
  for (auto &c : clients) {
    std::lock_guard<std::mutex> g(userLock);
    c->client.close();
  }
  EXPECT_TRUE(waitFor([&] {
    for (auto &c : clients)
      if (!c->ended)
        return false;
    return true;
  }));
}

TEST(ThreadContract, ABlockingCallbackDoesNotDelayCallsFromOtherThreads) {
  EchoServer echo;
  ASSERT_TRUE(echo.listening());
  std::atomic<bool> blocking{false};
  AsyncClient slow;
  slow.onData([&](void *, AsyncClient *, void *, size_t) {
    blocking = true;
    std::this_thread::sleep_for(1000ms);  // a callback that blocks the service thread
    blocking = false;
  });
  ClientLog log;
  AsyncClient other;
  log.attach(other);
  ASSERT_TRUE(other.connect(loopback4(), echo.port()));
  ASSERT_TRUE(log.waitConnected());
  std::atomic<bool> slowUp{false};
  slow.onConnect([&](void *, AsyncClient *c) {
    slowUp = true;
    c->write("x");
  });
  ASSERT_TRUE(slow.connect(loopback4(), echo.port()));
  ASSERT_TRUE(waitFor([&] { return blocking.load(); }));
  const auto start = Clock::now();
  EXPECT_EQ(other.write("during the callback"), 19u);
  EXPECT_GT(other.space(), 0u);
  EXPECT_TRUE(other.connected());
  const auto took = std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - start);
  EXPECT_TRUE(blocking.load()) << "the callback ended before the calls were timed";
  EXPECT_LT(took.count(), 200000) << "calls from another thread waited for a callback";
  std::printf(
      "[ measured ] write()+space()+connected() from another thread during a 1 s "
      "callback: %lld us\n",
      static_cast<long long>(took.count()));
  // The bytes went out at once; their echo is delivered once the service thread is free.
  EXPECT_TRUE(log.waitReceived(19, 5000ms));
  slow.onDisconnect([](void *, AsyncClient *) {});
}

// Writes from a callback and from two other threads, each a whole record under the
// user's lock (what real code does to keep records whole), arrive with every record
// intact and every writer's records once each, in that writer's order.
TEST(ThreadContract, WritesFromACallbackAndTwoThreadsInterleaveWholeAndInOrder) {
  RawListener listener;
  std::mutex userLock;
  std::atomic<bool> stop{false};
  std::atomic<int> sent[3] = {{0}, {0}, {0}};
  auto writeRecord = [&](AsyncClient *c, int writer) {
    // "<writer>:<seq>." padded to 64 bytes, so a record split by a partial write shows.
    std::lock_guard<std::mutex> g(userLock);
    if (stop)
      return;  // tested under the lock: no record is written once stop is set under it
    char rec[65];
    std::snprintf(rec, sizeof(rec), "%d:%-61d.", writer, sent[writer].load());
    if (!c->connected() || c->space() < 64)
      return;
    if (c->write(rec, 64) == 64)
      ++sent[writer];
  };
  AsyncClient c;
  c.setPollInterval(2);
  std::atomic<bool> up{false};
  c.onConnect([&](void *, AsyncClient *) { up = true; });
  c.onAck([&](void *, AsyncClient *cl, size_t, uint32_t) {
    if (!stop)
      writeRecord(cl, 0);
  });
  c.onPoll([&](void *, AsyncClient *cl) {
    if (!stop)
      writeRecord(cl, 0);
  });
  ASSERT_TRUE(c.connect(listener.ip(), listener.port()));
  RawSocket peer = listener.accept();
  ASSERT_TRUE(peer.valid());
  ASSERT_TRUE(waitFor([&] { return up.load(); }));
  std::thread a([&] {
    while (!stop)
      writeRecord(&c, 1);
  });
  std::thread b([&] {
    while (!stop)
      writeRecord(&c, 2);
  });
  // Read while they write, so the budget keeps turning over.
  std::string got;
  const auto end = Clock::now() + 1000ms;
  while (Clock::now() < end) {
    std::string part;
    peer.recvExactly(64, part, 100ms);
    got += part;
  }
  {
    std::lock_guard<std::mutex> g(userLock);
    stop = true;
  }
  a.join();
  b.join();
  const size_t total = size_t(sent[0] + sent[1] + sent[2]) * 64;
  ASSERT_TRUE(peer.recvExactly(total - got.size(), got, 5000ms))
      << got.size() << " of " << total << " bytes";
  int next[3] = {0, 0, 0};
  for (size_t off = 0; off < got.size(); off += 64) {
    int writer = -1, seq = -1;
    const std::string rec = got.substr(off, 64);  // sscanf on the whole would measure it
    ASSERT_EQ(std::sscanf(rec.c_str(), "%d:%d", &writer, &seq), 2) << "at " << off;
    ASSERT_TRUE(writer >= 0 && writer < 3) << "at " << off;
    ASSERT_EQ(rec[63], '.') << "record split at " << off;
    ASSERT_EQ(seq, next[writer]) << "writer " << writer << " out of order at " << off;
    ++next[writer];
  }
  for (int w = 0; w < 3; ++w) {
    EXPECT_EQ(next[w], sent[w].load()) << "writer " << w;
    EXPECT_GT(next[w], 0) << "writer " << w << " never wrote";
  }
}

// Queries from another thread read a consistent state. The writing thread is the only
// writer, so at each of its space() reads the bytes it has written are exact, and
// written - (budget - space) is what space() says has been acknowledged so far. That
// figure never goes backwards (space() never grows without an ack), never falls behind
// what onAck has already reported, and ends equal to everything written; space() never
// exceeds the budget, read by the writer or by a third thread. space() may see an ack a
// moment before onAck reports it (the stack learns it first), never the other way round.
TEST(ThreadContract, SpaceFromOtherThreadsNeverExceedsTheBudgetNorGrowsWithoutAnAck) {
  RawListener listener(peerIp4(), 64, /*rcvbuf=*/4096);  // the peer's reads pace the acks
  AsyncClient c;
  std::atomic<bool> up{false};
  std::atomic<uint64_t> reported{0};
  c.onConnect([&](void *, AsyncClient *) { up = true; });
  c.onAck([&](void *, AsyncClient *, size_t len, uint32_t) { reported += len; });
  ASSERT_TRUE(c.connect(listener.ip(), listener.port()));
  RawSocket peer = listener.accept();
  ASSERT_TRUE(peer.valid());
  ASSERT_TRUE(waitFor([&] { return up.load(); }));
  const size_t budget = c.space();
  ASSERT_GT(budget, 0u);

  std::atomic<bool> stop{false};
  std::atomic<uint64_t> written{0}, peerGot{0};
  std::atomic<size_t> overBudget{0};
  std::thread reader([&] {  // a slow reader: the window fills and drains over and over
    char buf[2048];
    const auto giveUp = Clock::now() + 15s;  // past the writing: the rest drains meanwhile
    while ((!stop || peerGot < written) && Clock::now() < giveUp) {
      if (!peer.waitReadable(10ms))
        continue;
      ssize_t n = ::recv(peer.fd(), buf, sizeof(buf), MSG_DONTWAIT);
      if (n > 0)
        peerGot += uint64_t(n);
      else if (n == 0)
        return;
      std::this_thread::sleep_for(200us);
    }
  });
  std::thread watcher([&] {
    while (!stop)
      if (c.space() > budget)
        ++overBudget;
  });

  const std::string chunk(1500, 'x');
  int64_t lastAcked = 0;
  size_t reads = 0, full = 0, grew = 0;
  const auto end = Clock::now() + 1500ms;
  while (Clock::now() < end) {
    const uint64_t reportedBefore = reported.load();
    const size_t s = c.space();
    ++reads;
    ASSERT_LE(s, budget) << "after " << written << " bytes written";
    const int64_t acked = int64_t(written.load()) - int64_t(budget - s);
    ASSERT_GE(acked, lastAcked) << "space() grew without an ack: " << s << " after " << written
                                << " bytes written";
    ASSERT_GE(acked, int64_t(reportedBefore))
        << "onAck had reported acks that space() does not show";
    grew += acked > lastAcked;
    lastAcked = acked;
    if (s == 0) {
      ++full;
      std::this_thread::sleep_for(100us);
      continue;
    }
    written += c.write(chunk.data(), std::min(chunk.size(), s));
  }
  stop = true;
  watcher.join();
  reader.join();
  EXPECT_EQ(peerGot.load(), written.load());
  EXPECT_EQ(overBudget.load(), 0u) << "a third thread read space() above the budget";
  ASSERT_TRUE(waitFor([&] { return reported.load() == written.load(); }))
      << reported << " of " << written << " bytes reported acked";
  EXPECT_TRUE(waitFor([&] { return c.space() == budget; })) << c.space() << " of " << budget;
  // The test saw what it is about: a full window, and space() growing as acks came.
  EXPECT_GT(full, 0u) << "the send budget never filled in " << reads << " reads";
  EXPECT_GT(grew, 10u) << "space() rarely grew: " << grew << " of " << reads << " reads";
  c.close();
}

// close() and connect() under the user's lock from other threads, while the same clients'
// callbacks take that lock: one thread writes, another closes connected clients and
// reconnects ended ones, for a second and a half. Must finish, with every connect ending in
// exactly one onDisconnect.
TEST(ThreadContract, CloseAndConnectUnderTheUserLockWhileCallbacksTakeItNeverDeadlock) {
  EchoServer echo;
  ASSERT_TRUE(echo.listening());
  std::mutex userLock;
  constexpr int kClients = 6;
  struct Cycling {
    AsyncClient client;
    bool live = false;  // between connect() and onDisconnect; under userLock
    int connects = 0, ends = 0;
  };
  std::vector<std::unique_ptr<Cycling>> clients;
  for (int i = 0; i < kClients; ++i) {
    auto cy = std::make_unique<Cycling>();
    Cycling *p = cy.get();
    p->client.onConnect([&userLock](void *, AsyncClient *c) {
      std::lock_guard<std::mutex> g(userLock);
      c->write("hello");
    });
    p->client.onData([&userLock](void *, AsyncClient *c, void *, size_t) {
      std::lock_guard<std::mutex> g(userLock);
      (void)c->space();
    });
    p->client.onError(
        [&userLock](void *, AsyncClient *, int8_t) { std::lock_guard<std::mutex> g(userLock); });
    p->client.onDisconnect([p, &userLock](void *, AsyncClient *) {
      std::lock_guard<std::mutex> g(userLock);
      p->live = false;
      ++p->ends;
    });
    clients.push_back(std::move(cy));
  }
  std::atomic<bool> stop{false};
  std::atomic<int> cycles{0};
  std::thread writer([&] {
    while (!stop)
      for (auto &c : clients) {
        std::lock_guard<std::mutex> g(userLock);
        if (c->client.connected() && c->client.space() > 64)
          c->client.write("0123456789abcdef");
      }
  });
  std::thread cycler([&] {
    unsigned n = 0;
    while (!stop) {
      Cycling &c = *clients[n++ % kClients];
      std::lock_guard<std::mutex> g(userLock);
      if (!c.live) {
        if (c.client.connect(loopback4(), echo.port())) {
          c.live = true;
          ++c.connects;
        }
      } else if (c.client.connected()) {
        c.client.close();
        ++cycles;
      }
    }
  });
  std::this_thread::sleep_for(1500ms);
  stop = true;
  std::atomic<int> joined{0};
  std::thread joiner([&] {
    writer.join();
    cycler.join();
    joined = 1;
  });
  if (!waitFor([&] { return joined.load() == 1; }, 10000ms)) {
    joiner.detach();
    FAIL() << "a thread holding the user's lock waited in close()/connect() while a callback "
              "waited for that lock (deadlock)";
  }
  joiner.join();
  {
    std::lock_guard<std::mutex> g(userLock);
    for (auto &c : clients)
      c->client.close();
  }
  EXPECT_TRUE(waitFor([&] {
    std::lock_guard<std::mutex> g(userLock);
    for (auto &c : clients)
      if (c->live)
        return false;
    return true;
  }));
  std::lock_guard<std::mutex> g(userLock);
  for (auto &c : clients)
    EXPECT_EQ(c->ends, c->connects) << "every connect ends in one onDisconnect";
  EXPECT_GT(cycles.load(), kClients) << "the cycler hardly closed anything";
}
