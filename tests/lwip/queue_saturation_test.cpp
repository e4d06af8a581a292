// The lwIP backend's receive queue under saturation. lwIP calls our recv callback in
// its tcpip thread; past CONFIG_ASYNC_TCP_QUEUE_SIZE pending pbufs it answers ERR_MEM
// and lwIP keeps the data to hand over again later. Here fast Linux peers (over the
// TAP link) send far more than the queue holds to a server whose onData is slow: every
// byte must still arrive intact and in order, the queue must stay bounded, the service
// thread must keep calling into lwIP (write, ack, close) while the tcpip thread is
// refusing data without the two waiting on each other (the ESP32 deadlock), and other
// connections must keep being served. Each test checks the refusal path was taken.
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <cstring>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "backends/lwip/lwip_stats.h"
#include "support/sanitized.h"
#include "test_support.h"

using namespace tst;
namespace stats = asynctcp::backend::stats;

namespace {

uint64_t fnv(uint64_t h, const void *data, size_t size) {
  const auto *p = static_cast<const uint8_t *>(data);
  for (size_t i = 0; i < size; ++i) {
    h ^= p[i];
    h *= 1099511628211ull;
  }
  return h;
}
constexpr uint64_t kFnvStart = 14695981039346656037ull;

// How long a test waits for the queue to overflow: far past what it takes (milliseconds when
// idle), within the tests' 60 s.
constexpr auto kFillBound = std::chrono::seconds(20);

// An AsyncServer on the stack's TAP address whose onData is slow (it sleeps), so the
// tcpip thread outruns the service thread. Its first onData holds the service thread until
// lwIP has been refused at least once (bounded by kFillBound): the peers keep sending, so the
// queue fills however busy the machine is, and the tests take the ERR_MEM path every time
// (a 3 s bound was once too short on a loaded CI machine). Each connection is
// checksummed as it arrives; after `expect` bytes the server writes the 8-byte checksum back and
// closes, from inside onData.
class SlowSink {
public:
  SlowSink(size_t expect, std::chrono::microseconds delay) : _expect(expect), _delay(delay) {
    _server.onClient([this](void *, AsyncClient *c) { adopt(c); }, nullptr);
    _server.begin();
  }
  ~SlowSink() {
    _server.end();
    waitFor([this] { return _live.load() == 0; }, 10000ms);
  }
  uint16_t port() { return _server.port(); }
  bool listening() { return _server.status() == LISTEN; }
  int live() const { return _live.load(); }
  int replied() const { return _replied.load(); }
  // When the first onData stopped holding the service thread (0 before): the hold is the
  // test's own doing, so latency is judged on what comes after it.
  Clock::time_point filledAt() const {
    return Clock::time_point(Clock::duration(_filledAt.load()));
  }
  std::vector<int> errors() const {
    std::lock_guard<std::mutex> g(_m);
    return _errors;
  }

private:
  struct Conn {
    uint64_t hash = kFnvStart;
    size_t got = 0;
  };
  void adopt(AsyncClient *c) {
    _live++;
    auto *conn = new Conn();
    c->onData(
        [this, conn](void *, AsyncClient *cl, void *data, size_t len) {
          if (!_filled) {
            const auto until = std::chrono::steady_clock::now() + kFillBound;
            while (stats::rxRefused() == _refused0 && std::chrono::steady_clock::now() < until)
              std::this_thread::sleep_for(std::chrono::milliseconds(1));
            _filled = true;
            _filledAt = Clock::now().time_since_epoch().count();
          }
          std::this_thread::sleep_for(_delay);
          conn->hash = fnv(conn->hash, data, len);
          conn->got += len;
          if (conn->got == _expect) {
            cl->write(reinterpret_cast<const char *>(&conn->hash), sizeof conn->hash);
            cl->close();
            _replied++;
          }
        },
        nullptr);
    c->onError(
        [this](void *, AsyncClient *, int8_t err) {
          std::lock_guard<std::mutex> g(_m);
          _errors.push_back(err);
        },
        nullptr);
    c->onDisconnect(
        [this, conn](void *, AsyncClient *cl) {
          delete conn;
          delete cl;
          _live--;
        },
        nullptr);
  }

  AsyncServer _server{stackIp4(), 0};
  const uint64_t _refused0 = stats::rxRefused();
  bool _filled = false;  // service thread only
  std::atomic<Clock::rep> _filledAt{0};
  const size_t _expect;
  const std::chrono::microseconds _delay;
  std::atomic<int> _live{0}, _replied{0};
  mutable std::mutex _m;
  std::vector<int> _errors;
};

// A blocking Linux connection to the stack whose segments carry at most kPeerMss bytes:
// lwIP's 64 KiB window then holds far more pbufs than the queue (as on an ESP32, where
// pbufs are small), so even a few peers overrun it.
constexpr int kPeerMss = 512;

RawSocket connectSmallSegments(uint16_t port) {
  RawSocket s(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  int mss = kPeerMss;
  setsockopt(s.fd(), IPPROTO_TCP, TCP_MAXSEG, &mss, sizeof mss);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  std::memcpy(&a.sin_addr, stackIp4().raw4(), 4);
  if (::connect(s.fd(), reinterpret_cast<sockaddr *>(&a), sizeof a) != 0)
    return RawSocket();
  return s;
}

// A Linux peer that sends a pattern as fast as the kernel takes it, then reads the
// sink's checksum. Runs on its own thread.
struct FastSender {
  std::string payload;
  uint64_t reply = 0;
  bool sent = false, gotReply = false;
  std::thread thread;

  FastSender(uint16_t port, size_t size, uint32_t seed) : payload(pattern(size, seed)) {
    thread = std::thread([this, port] {
      RawSocket s = connectSmallSegments(port);
      if (!s.valid())
        return;
      sent = s.sendAll(payload, 30000ms);
      std::string got;
      gotReply = s.recvExactly(sizeof reply, got, 30000ms);
      if (gotReply)
        std::memcpy(&reply, got.data(), sizeof reply);
    });
  }
  void join() {
    if (thread.joinable())
      thread.join();
  }
};

// A ping-pong client on lwIP's own loopback against an echo server there: it shares
// the service thread and the receive queue with the flood.
class LoopbackPinger {
public:
  explicit LoopbackPinger(uint16_t port) {
    ClientHooks hooks;
    hooks.onConnect = [this](AsyncClient *c) { ping(c); };
    hooks.onData = [this](AsyncClient *c, void *, size_t len) {
      _pending -= std::min(_pending, len);
      if (_pending)
        return;
      const double ms = std::chrono::duration<double, std::milli>(Clock::now() - _t0).count();
      {
        std::lock_guard<std::mutex> g(_m);
        _rtt.push_back({_t0, ms});
      }
      if (!_stop)
        ping(c);
    };
    _log.attach(_client, hooks);
    _client.setNoDelay(true);
    _client.connect(loopback4(), port);
  }
  ~LoopbackPinger() {
    _stop = true;
    _client.close();
    _log.waitDisconnected();
  }
  bool connected() const { return _log.waitConnected(); }
  // Over the rounds that started at or after `from`.
  size_t roundsSince(Clock::time_point from) const { return since(from).size(); }
  double maxRttMs(Clock::time_point from) const { return percentileMs(1.0, from); }
  double percentileMs(double p, Clock::time_point from) const {
    std::vector<double> v = since(from);
    if (v.empty())
      return 0;
    std::sort(v.begin(), v.end());
    return v[std::min(v.size() - 1, size_t(p * double(v.size() - 1) + 0.5))];
  }
  const ClientLog &log() const { return _log; }

private:
  std::vector<double> since(Clock::time_point from) const {
    std::lock_guard<std::mutex> g(_m);
    std::vector<double> v;
    for (const Round &r : _rtt)
      if (r.start >= from)
        v.push_back(r.ms);
    return v;
  }
  void ping(AsyncClient *c) {
    _t0 = Clock::now();
    _pending = 32;
    c->write(pattern(32, 5).data(), 32);
  }
  ClientLog _log;
  AsyncClient _client;
  std::atomic<bool> _stop{false};
  size_t _pending = 0;  // service thread
  Clock::time_point _t0;
  struct Round {
    Clock::time_point start;
    double ms;
  };
  mutable std::mutex _m;
  std::vector<Round> _rtt;
};

}  // namespace

TEST(QueueSaturation, SlowConsumerGetsEveryByteInOrderThroughErrMemRedelivery) {
  constexpr int kPeers = 6;
  const size_t size = kSanitized ? 192 * kKiB : 384 * kKiB;
  SlowSink sink(size, std::chrono::microseconds(300));
  ASSERT_TRUE(sink.listening());
  const uint64_t refused0 = stats::rxRefused();
  const auto t0 = Clock::now();
  std::vector<std::unique_ptr<FastSender>> peers;
  for (int i = 0; i < kPeers; ++i)
    peers.push_back(std::make_unique<FastSender>(sink.port(), size, 40 + uint32_t(i)));
  for (auto &p : peers)
    p->join();
  const auto took = std::chrono::duration_cast<milliseconds>(Clock::now() - t0);
  const uint64_t refused = stats::rxRefused() - refused0;
  std::printf("[saturation] %d x %zu KiB in %lld ms, %llu ERR_MEM refusals, peak queue %u\n",
              kPeers, size / kKiB, (long long)took.count(), (unsigned long long)refused,
              stats::rxQueuedPeak());
  for (int i = 0; i < kPeers; ++i) {
    EXPECT_TRUE(peers[size_t(i)]->sent) << "peer " << i;
    ASSERT_TRUE(peers[size_t(i)]->gotReply) << "peer " << i << ": no checksum back";
    EXPECT_EQ(peers[size_t(i)]->reply, checksum(peers[size_t(i)]->payload))
        << "peer " << i << ": bytes lost, duplicated or reordered";
  }
  EXPECT_GT(refused, 0u) << "the queue never filled: the ERR_MEM path was not exercised";
  EXPECT_LE(stats::rxQueuedPeak(), uint32_t(CONFIG_ASYNC_TCP_QUEUE_SIZE));
  EXPECT_TRUE(sink.errors().empty());
  EXPECT_TRUE(waitFor([&] { return sink.live() == 0; }, 5000ms)) << sink.live() << " live";
}

TEST(QueueSaturation, OtherConnectionsKeepBeingServedWhileTheQueueIsFull) {
  constexpr int kPeers = 4;
  const size_t size = kSanitized ? 128 * kKiB : 256 * kKiB;
  EchoServer echo;  // lwIP's loopback: the pinger shares the service thread and the queue
  LoopbackPinger pinger(echo.port());
  ASSERT_TRUE(pinger.connected());
  SlowSink sink(size, std::chrono::microseconds(300));
  const uint64_t refused0 = stats::rxRefused();
  std::vector<std::unique_ptr<FastSender>> peers;
  for (int i = 0; i < kPeers; ++i)
    peers.push_back(std::make_unique<FastSender>(sink.port(), size, 60 + uint32_t(i)));
  for (auto &p : peers)
    p->join();
  const uint64_t refused = stats::rxRefused() - refused0;
  // The sink's first onData holds the service thread until lwIP refuses (kFillBound at most);
  // the pinger is judged on the rounds that started after that hold.
  const Clock::time_point filled = sink.filledAt();
  ASSERT_NE(filled, Clock::time_point()) << "the sink never got data";
  const size_t rounds = pinger.roundsSince(filled);
  const double p50 = pinger.percentileMs(0.5, filled), p99 = pinger.percentileMs(0.99, filled),
               worst = pinger.maxRttMs(filled);
  std::printf(
      "[saturation] pinger: %zu rounds during the flood, RTT p50 %.1f p99 %.1f max %.1f ms; "
      "%llu refusals, %llu redelivered\n",
      rounds, p50, p99, worst, (unsigned long long)refused,
      (unsigned long long)stats::rxRedelivered());
  for (auto &p : peers)
    EXPECT_EQ(p->reply, checksum(p->payload));
  EXPECT_GT(refused, 0u) << "the queue never filled: the ERR_MEM path was not exercised";
  EXPECT_GT(rounds, 10u) << "the pinger was starved";
  // Each leg of a round trip waits behind at most a queue's worth of slow callbacks
  // (128 x 0.3 ms); the bounds leave room for a busy 2-core machine running other tests.
  // A pinger left to lwIP's timers, or stuck, takes seconds.
  EXPECT_LT(p99, kSanitized ? 500.0 : 250.0);
  EXPECT_LT(worst, kSanitized ? 3000.0 : 2000.0);
  EXPECT_TRUE(pinger.log().errors().empty());
}

TEST(QueueSaturation, EchoCallsIntoLwipWhileRecvIsRefused_NoDeadlock) {
  // The ESP32 deadlock: the tcpip thread blocked on a full queue while the service task
  // waited for the tcpip thread in a raw-API call (write, recved). Here an echo server
  // writes and acks from its callbacks while slow sinks keep the queue full.
  constexpr int kSinks = 4, kEchoes = 3;
  const size_t size = kSanitized ? 96 * kKiB : 192 * kKiB;
  SlowSink sink(size, std::chrono::microseconds(300));
  EchoServer echo(stackIp4(), true);
  const uint64_t refused0 = stats::rxRefused();
  std::vector<std::unique_ptr<FastSender>> sinks;
  for (int i = 0; i < kSinks; ++i)
    sinks.push_back(std::make_unique<FastSender>(sink.port(), size, 80 + uint32_t(i)));
  // The echoes start once the queue is overrun, so they run while recv is refused.
  ASSERT_TRUE(waitFor([&] { return stats::rxRefused() > refused0; }, kFillBound))
      << "the sinks never filled the queue";
  std::atomic<int> intact{0};
  std::vector<std::thread> echoes;
  for (int i = 0; i < kEchoes; ++i) {
    echoes.emplace_back([&, i] {
      RawSocket s = connectSmallSegments(echo.port());
      std::string in;
      const std::string out = pattern(size, 90 + uint32_t(i));
      if (s.valid() && s.exchange(out, true, in, 30000ms) == PeerEnd::Eof && in == out)
        intact++;
    });
  }
  for (auto &t : echoes)
    t.join();
  for (auto &p : sinks)
    p->join();
  const uint64_t refused = stats::rxRefused() - refused0;
  std::printf("[saturation] echo under saturation: %llu refusals\n", (unsigned long long)refused);
  EXPECT_EQ(intact.load(), kEchoes);
  for (auto &p : sinks)
    EXPECT_EQ(p->reply, checksum(p->payload));
  EXPECT_GT(refused, 0u) << "the queue never filled: the ERR_MEM path was not exercised";
  EXPECT_TRUE(echo.errors().empty());
}
