// http_server against clients that try to take it down: one that pipelines requests for huge
// answers, ones that never read, ones that drip a request a byte at a time, ones that say
// nothing. Each test checks what the attack may cost (the server's resident memory, how long
// a connection is held) and that a well-behaved client is answered promptly meanwhile.
#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "example_harness.h"
#include "http/response_stream.h"
#include "wire_client.h"

namespace examples {
namespace {

// What one attack may add to the server's peak resident memory. Generous (sanitizer runtimes
// keep freed memory for a while); the unbounded server grew by 64 MiB per /bytes/64M answer.
constexpr long kMaxGrowthKb = 32 * 1024;
constexpr auto kPrompt = 1000ms;  // a well-behaved client's GET / takes a few ms

const std::string kBigRequest = "GET /bytes/67108864 HTTP/1.1\r\nHost: a\r\n\r\n";

class HttpServerLimits : public Examples {
protected:
  void start(const std::vector<std::string> &options) {
    server = std::make_unique<Server>(ASYNCTCP_HTTP_SERVER, bindFor(false), options);
    ASSERT_GT(server->port, 0) << server->output();
    baselineKb = server->residentKb();
  }
  void TearDown() override {
    if (server && server->port > 0) {
      EXPECT_EQ(server->stop(), 0) << server->output();
    }
  }

  // A well-behaved client's GET /: answered in full, promptly.
  void expectHelloServed() {
    std::chrono::milliseconds took{};
    const std::string answer = fetchHello(host, server->port, took);
    EXPECT_EQ(answer.rfind("HTTP/1.1 200 OK\r\n", 0), 0u) << answer;
    EXPECT_NE(answer.find("\r\n\r\nHello, World!\n"), std::string::npos) << answer;
    EXPECT_LT(took.count(), kPrompt.count()) << "ms for GET / while under attack";
  }
  // Well-behaved clients come every 100 ms for `rounds` rounds.
  void serveHelloMeanwhile(int rounds) {
    for (int i = 0; i < rounds; ++i) {
      expectHelloServed();
      std::this_thread::sleep_for(100ms);
    }
  }
  void expectMemoryBounded() {
    const long growth = server->peakResidentKb() - baselineKb;
    EXPECT_LT(growth, kMaxGrowthKb)
        << "KiB of peak resident memory over the " << baselineKb << " KiB at start";
  }
  std::unique_ptr<WireClient> connect(int receiveBuffer = 0) {
    auto c = std::make_unique<WireClient>(host, server->port, receiveBuffer);
    EXPECT_TRUE(c->connected());
    return c;
  }

  const std::string host = hostFor(false);
  std::unique_ptr<Server> server;
  long baselineKb = 0;
};

// Reads one answer off `raw` (at `pos`): its status line and body; false when none is whole.
bool nextAnswer(const std::string &raw, size_t &pos, bool head, std::string &status,
                std::string &body) {
  const size_t end = raw.find("\r\n\r\n", pos);
  if (end == std::string::npos)
    return false;
  const std::string lines = raw.substr(pos, end + 4 - pos);
  status = lines.substr(0, lines.find("\r\n"));
  const size_t at = lines.find("Content-Length: ");
  const size_t length = head || at == std::string::npos ? 0 : std::stoul(lines.substr(at + 16));
  if (raw.size() < end + 4 + length)
    return false;
  body = raw.substr(end + 4, length);
  pos = end + 4 + length;
  return true;
}

std::string textOfSize(size_t n) {
  std::string text(n, '\0');
  http::fillText(0, text.data(), n);
  return text;
}

TEST_F(HttpServerLimits, PipelinedHugeAnswers_MemoryStaysBoundedAndOthersAreServed) {
  start({"--send-timeout-ms", "60000"});  // the attacker stays connected throughout
  // 41-byte requests for 64 MiB each, then a window's worth of small ones, all in one go,
  // from a client that reads nothing.
  auto attacker = connect(4096);
  std::string burst;
  for (int i = 0; i < 8; ++i)
    burst += kBigRequest;
  for (int i = 0; i < 3000; ++i)
    burst += "GET / HTTP/1.1\r\nHost: a\r\n\r\n";
  EXPECT_GE(attacker->sendSome(burst), 8 * kBigRequest.size());
  serveHelloMeanwhile(10);
  EXPECT_FALSE(attacker->endedByPeer(0ms));
  expectMemoryBounded();
}

TEST_F(HttpServerLimits, NeverReadingClients_AreResetAndOthersAreServed) {
  start({"--send-timeout-ms", "500"});
  std::vector<std::unique_ptr<WireClient>> attackers;
  for (int i = 0; i < 8; ++i) {
    attackers.push_back(connect(4096));
    EXPECT_TRUE(attackers.back()->send(kBigRequest));
  }
  serveHelloMeanwhile(10);
  for (auto &a : attackers)
    EXPECT_TRUE(a->endedByPeer(3s)) << "a client that took nothing for 500 ms is still connected";
  expectMemoryBounded();
}

TEST_F(HttpServerLimits, RequestDrippedByteByByte_Gets408AtItsDeadline) {
  // 20 rounds of 100 ms: four times the deadline, so each dripper must have been cut
  // however slowly a loaded machine runs the rounds (no bound on the test's own pace).
  start({"--request-timeout-ms", "500"});
  std::vector<std::unique_ptr<WireClient>> drippers(20);
  std::vector<std::string> answers(drippers.size());
  for (auto &d : drippers) {
    d = connect();
    EXPECT_TRUE(d->send("GET / HTTP/1.1\r\nHost: a\r\nX-Slow: "));
  }
  // A byte every 100 ms each: a timeout that restarts on every byte would never end.
  for (int round = 0; round < 20; ++round) {
    for (size_t i = 0; i < drippers.size(); ++i) {
      answers[i] += drippers[i]->read(4096, 0ms);
      if (!drippers[i]->endedByPeer(0ms))
        drippers[i]->sendSome("x");
    }
    expectHelloServed();
    std::this_thread::sleep_for(100ms);
  }
  for (size_t i = 0; i < drippers.size(); ++i) {
    EXPECT_TRUE(drippers[i]->endedByPeer(0ms)) << "dripper " << i << " still connected";
    answers[i] += drippers[i]->readToEnd(1s);
    EXPECT_EQ(answers[i].rfind("HTTP/1.1 408 Request Timeout\r\n", 0), 0u) << answers[i];
  }
  expectMemoryBounded();
}

TEST_F(HttpServerLimits, SilentAndIdleConnections_AreClosedAtTheirTimeouts) {
  start({"--request-timeout-ms", "400", "--idle-timeout-ms", "1000"});
  auto silent = connect();  // never sends a byte: the first request's time runs from the start
  auto idle = connect();
  ASSERT_TRUE(idle->send("GET / HTTP/1.1\r\nHost: a\r\n\r\n"));
  const std::string hello = idle->readUntil("Hello, World!\n", 2s);
  EXPECT_NE(hello.find("Hello, World!\n"), std::string::npos) << hello;
  EXPECT_FALSE(idle->endedByPeer(300ms)) << "closed well before its idle timeout";
  EXPECT_TRUE(silent->endedByPeer(1500ms));
  EXPECT_EQ(silent->readToEnd(1s), "") << "no answer to a request never begun";
  EXPECT_TRUE(idle->endedByPeer(2s));
  EXPECT_EQ(idle->readToEnd(1s), "") << "an idle keep-alive connection is closed silently";
}

TEST_F(HttpServerLimits, SlowButSteadyReader_GetsTheWholeBodies) {
  // Every timeout far shorter than the transfer: none may cut a client that keeps reading.
  start({"--request-timeout-ms", "300", "--idle-timeout-ms", "300", "--send-timeout-ms", "1000"});
  auto reader = connect(8192);
  // The second answer ends with a close: it must arrive whole too.
  ASSERT_TRUE(
      reader->send("GET /bytes/1000000 HTTP/1.1\r\nHost: a\r\n\r\n"
                   "GET /bytes/200000 HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n"));
  std::string raw;
  const auto deadline = std::chrono::steady_clock::now() + 20s;
  while (!reader->endedByPeer(0ms) && std::chrono::steady_clock::now() < deadline) {
    raw += reader->read(32 * 1024, 1s);
    std::this_thread::sleep_for(50ms);
  }
  raw += reader->readToEnd(1s);
  size_t pos = 0;
  for (size_t size : {1000000, 200000}) {
    std::string status, body;
    ASSERT_TRUE(nextAnswer(raw, pos, false, status, body)) << raw.size() << " bytes arrived";
    EXPECT_EQ(status, "HTTP/1.1 200 OK");
    EXPECT_TRUE(body == textOfSize(size)) << "the generated body of " << size << " bytes differs";
  }
  EXPECT_EQ(pos, raw.size());
}

TEST_F(HttpServerLimits, PipelinedRequests_AnsweredInOrderWhileBodiesAreGenerated) {
  start({});
  auto client = connect();
  ASSERT_TRUE(
      client->send("GET /bytes/300000 HTTP/1.1\r\nHost: a\r\n\r\n"
                   "HEAD /bytes/5 HTTP/1.1\r\nHost: a\r\n\r\n"
                   "GET /missing HTTP/1.1\r\nHost: a\r\n\r\n"
                   "GET /bytes/27 HTTP/1.1\r\nHost: a\r\n\r\n"
                   "GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n"));
  const std::string raw = client->readToEnd(10s);
  const std::vector<std::pair<std::string, std::string>> expected = {
      {"HTTP/1.1 200 OK", textOfSize(300000)},
      {"HTTP/1.1 200 OK", ""},
      {"HTTP/1.1 404 Not Found", "Not Found\n"},
      {"HTTP/1.1 200 OK", "abcdefghijklmnopqrstuvwxyz\n"},
      {"HTTP/1.1 200 OK", "Hello, World!\n"}};
  size_t pos = 0;
  for (size_t i = 0; i < expected.size(); ++i) {
    std::string status, body;
    ASSERT_TRUE(nextAnswer(raw, pos, i == 1, status, body)) << "answer " << i << " missing";
    EXPECT_EQ(status, expected[i].first) << "answer " << i;
    EXPECT_TRUE(body == expected[i].second) << "answer " << i << ": " << body.substr(0, 80);
  }
  EXPECT_EQ(pos, raw.size());
}

TEST_F(HttpServerLimits, NulBytes_Get400NotUriTooLong) {
  start({});
  auto client = connect();
  client->send(std::string(64 * 1024, '\0'), 2s);  // the server may close before taking it all
  const std::string answer = client->readToEnd(5s);
  EXPECT_EQ(answer.rfind("HTTP/1.1 400 Bad Request\r\n", 0), 0u) << answer.substr(0, 40);
}

}  // namespace
}  // namespace examples
