// ESPAsyncWebServer examples that stream responses or hold requests: LargeResponse (filler
// callbacks, with and without Content-Length), SlowChunkResponse and PerfTests (a chunked
// response whose callback sleeps; a request body that sleeps), RequestContinuationComplete
// (paused requests answered from loop()), and the ones that do little on a host:
// CaptivePortal (its AP filter never matches) and PartitionDownloader (empty setup()).
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <set>
#include <thread>

#include "stream_example_support.h"

namespace webtest {
namespace {

// Runs of one character: (character, length), in order.
std::vector<std::pair<char, size_t>> runs(const std::string &s) {
  std::vector<std::pair<char, size_t>> out;
  for (char c : s) {
    if (out.empty() || out.back().first != c)
      out.emplace_back(c, 0);
    ++out.back().second;
  }
  return out;
}

class LargeResponse : public StreamExampleTest {
protected:
  // The body is 16000 letters, one run per filler call, 'A', 'B', ... in order, and the
  // example's log ("Filling 'X' ... toSend/buflen: N") names the same runs.
  void checkLetters(const std::string &body, const std::string &logPrefix) {
    ASSERT_EQ(body.size(), 16000u);
    const auto r = runs(body);
    std::vector<std::pair<char, size_t>> logged;
    for (const std::string &line : sketchtest::lines(example().out())) {
      char c = 0;
      unsigned long a = 0, b = 0, n = 0;
      if (line.rfind(logPrefix, 0) != 0)
        continue;
      if (std::sscanf(line.c_str(), "Filling '%c' @ index: %lu, maxLen: %lu, toSend: %lu", &c, &a,
                      &b, &n) == 4 ||
          std::sscanf(line.c_str(), "Filling '%c' @ sent: %lu, buflen: %lu", &c, &a, &n) == 3)
        logged.emplace_back(c, n);
    }
    for (size_t i = 0; i < r.size(); ++i)
      EXPECT_EQ(r[i].first, char('A' + i % 26)) << i;
    EXPECT_EQ(r, logged) << tail(example().out());
  }
};

TEST_F(LargeResponse, FillerCallbackWithContentLength) {
  ASSERT_NO_FATAL_FAILURE(startExample("LargeResponse"));
  const Response r = get("/1");
  ASSERT_EQ(r.status, 200) << r.error;
  EXPECT_EQ(r.header("content-length"), "16000");
  EXPECT_EQ(r.header("content-type"), "text/plain");
  checkLetters(r.body, "Filling '");
}

TEST_F(LargeResponse, AbstractResponseWithoutContentLength) {
  ASSERT_NO_FATAL_FAILURE(startExample("LargeResponse"));
  const Response r = get("/2");
  ASSERT_EQ(r.status, 200) << r.error;
  // No length, not chunked: the body ends with the connection.
  EXPECT_EQ(r.header("content-length"), "");
  EXPECT_EQ(r.header("transfer-encoding"), "");
  EXPECT_EQ(r.header("connection"), "close");
  checkLetters(r.body, "Filling '");
}

TEST_F(LargeResponse, RetryingResponseWithLongHeaders) {
  ASSERT_NO_FATAL_FAILURE(startExample("LargeResponse"));
  // The first _fillBuffer() returns RESPONSE_TRY_AGAIN; the body must still be whole.
  const Response r = get("/3");
  ASSERT_EQ(r.status, 200) << r.error;
  EXPECT_EQ(r.header("clear-site-data").rfind("Clears browsing data", 0), 0u);
  EXPECT_EQ(r.header("no-vary-search").rfind("Specifies a set of rules", 0), 0u);
  checkLetters(r.body, "Filling '");
}

TEST_F(LargeResponse, SeveralAtOnce) {
  ASSERT_NO_FATAL_FAILURE(startExample("LargeResponse"));
  std::vector<std::vector<std::string>> curls;
  for (int i = 0; i < 9; ++i)
    curls.push_back({"curl", "-sS", "--max-time", "20", url("/" + std::to_string(i % 3 + 1))});
  for (const Finished &f : runAll(curls, 30s)) {
    EXPECT_TRUE(f.ok()) << f.err;
    EXPECT_EQ(f.out.size(), 16000u);
    EXPECT_EQ(f.out.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZ"), std::string::npos);
  }
}

// /slow.html?d=<ms>&l=<length>: 256-byte chunks of one character each, the callback
// sleeping d ms before each (in the service thread).
void checkSlowChunks(const Download &d, size_t length, int delayMs) {
  ASSERT_EQ(d.code, 200) << d.curl.err;
  EXPECT_EQ(d.header("transfer-encoding"), "chunked");
  EXPECT_EQ(d.header("content-type"), "text/html");
  const size_t chunks = (length + 255) / 256;
  ASSERT_EQ(d.body.size(), chunks * 256);
  const auto r = runs(d.body);
  // Consecutive characters of "0123456789ABCDEF" plus its terminating NUL (sizeof()).
  static const std::string cycle("0123456789ABCDEF\0", 17);
  size_t total = 0;
  for (size_t i = 0; i < r.size(); ++i) {
    total += r[i].second;
    if (i > 0) {
      EXPECT_EQ(cycle.find(r[i].first), (cycle.find(r[i - 1].first) + 1) % 17) << i;
    }
  }
  EXPECT_EQ(total, chunks * 256);
  EXPECT_GE(d.seconds, chunks * delayMs / 1000.0 * 0.9);
}

class SlowChunkResponse : public StreamExampleTest {};

TEST_F(SlowChunkResponse, PageAndSlowChunks) {
  ASSERT_NO_FATAL_FAILURE(startExample("SlowChunkResponse"));
  const Response page = get("/");
  ASSERT_EQ(page.status, 200) << page.error;
  EXPECT_NE(page.body.find("<h1>Hello, World!</h1>"), std::string::npos);
  const Download d = download("/slow.html?d=100&l=3000", {"-N"});
  checkSlowChunks(d, 3000, 100);
  EXPECT_TRUE(example().waitForText("d = 100, l = 3000", 1s));
}

TEST_F(SlowChunkResponse, ChunksSlowerThanTheRxTimeoutInTotal) {
  // 16 chunks 250 ms apart: 4 s in all, longer than the 3 s rx timeout.
  ASSERT_NO_FATAL_FAILURE(startExample("SlowChunkResponse"));
  checkSlowChunks(download("/slow.html?d=250&l=4096", {"-N"}), 4096, 250);
}

class PerfTests : public StreamExampleTest {};

TEST_F(PerfTests, PageSlowChunksAndNotFound) {
  ASSERT_NO_FATAL_FAILURE(startExample("PerfTests"));
  std::vector<std::vector<std::string>> curls;
  for (int i = 0; i < 16; ++i)
    curls.push_back({"curl", "-sS", "--max-time", "20", "-o", "/dev/null", "-w",
                     "%{http_code} %{size_download}", url("/")});
  const std::string size = std::to_string(get("/").body.size());
  for (const Finished &f : runAll(curls, 30s))
    EXPECT_EQ(f.out, "200 " + size) << f.err;
  checkSlowChunks(download("/slow.html?d=20&l=2000", {"-N"}), 2000, 20);
  EXPECT_EQ(get("/nothing").status, 404);
}

TEST_F(PerfTests, DelayedRequestBodyIsAnswered) {
  // onRequestBody() sleeps 3 s for /delay (in the service thread); then onNotFound answers.
  ASSERT_NO_FATAL_FAILURE(startExample("PerfTests"));
  const Download d = download("/delay", {"-X", "POST", "-H", "Content-Type: application/json", "-d",
                                         "{\"game\": \"test\"}"});
  ASSERT_EQ(d.code, 200) << d.curl.err;
  EXPECT_EQ(d.body, "{\"status\":\"OK\"}");
  EXPECT_EQ(d.header("content-type"), "application/json");
  EXPECT_GE(d.seconds, 2.9);
}

class RequestContinuationComplete : public StreamExampleTest {};

TEST_F(RequestContinuationComplete, PausedRequestsAreAnsweredFromLoop) {
  ASSERT_NO_FATAL_FAILURE(startExample("RequestContinuationComplete"));
  // Each request is paused, counted down for 10 s in loop(), then answered "<id> ". A
  // fourth client gives up after 2 s: its operation notices the request is gone.
  std::vector<std::vector<std::string>> curls;
  for (int i = 0; i < 3; ++i)
    curls.push_back({"curl", "-sS", "--max-time", "20", "-w", "|%{http_code}", url("/")});
  curls.push_back({"curl", "-sS", "--max-time", "2", url("/")});
  const std::vector<Finished> done = runAll(curls, 25s);
  std::set<std::string> ids;
  for (int i = 0; i < 3; ++i) {
    EXPECT_TRUE(done[i].ok()) << done[i].err;
    const size_t bar = done[i].out.find('|');
    ASSERT_NE(bar, std::string::npos) << done[i].out;
    EXPECT_EQ(done[i].out.substr(bar), "|200");
    ids.insert(done[i].out.substr(0, bar));
  }
  EXPECT_EQ(ids.size(), 3u);
  for (const std::string &id : ids)
    EXPECT_TRUE(id == "1 " || id == "2 " || id == "3 " || id == "4 ") << "'" << id << "'";
  EXPECT_FALSE(done[3].ok());  // timed out, as intended
  const std::string &out = example().out();
  EXPECT_EQ(count(out, "Pausing request..."), 4u);
  EXPECT_EQ(count(out, "Request was paused!"), 4u);
  EXPECT_EQ(count(out, "Long running operation finished! Sending back response..."), 3u) << out;
  // onDisconnect() fires for every request when its connection ends, answered or not.
  EXPECT_EQ(count(out, "Request was disconnected!"), 4u) << out;
  EXPECT_EQ(count(out, "Request was deleted - stopping long running operation"), 1u) << out;
}

class CaptivePortal : public StreamExampleTest {};

TEST_F(CaptivePortal, PortalHandlerIsFilteredOutOnAHost) {
  // Its handler takes every request, but only "from the AP" (ON_AP_FILTER), which is
  // false without WiFi support: every request is answered 404.
  ASSERT_NO_FATAL_FAILURE(startExample("CaptivePortal"));
  for (const char *path : {"/", "/generate_204", "/hotspot-detect.html"}) {
    const Response r = get(path, {"Host: connectivitycheck.example"});
    EXPECT_EQ(r.status, 404) << path << ": " << r.error;
  }
  EXPECT_TRUE(example().waitForText("Configuring access point...", 1s));
}

class PartitionDownloader : public StreamExampleTest {};

TEST_F(PartitionDownloader, DoesNothingOnAHost) {
  // Everything is under #ifdef ESP32 (esp_partition.h): setup() and loop() are empty. It
  // must run, serve nothing, and stop cleanly (TearDown).
  ASSERT_TRUE(example().start({sketchtest::sketchPath("PartitionDownloader")},
                              {"ASYNCTCP_FS_ROOT=" + fsRoot()}))
      << example().error();
  std::this_thread::sleep_for(500ms);
  ASSERT_TRUE(example().running()) << example().err();
  const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  ASSERT_GE(fd, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(80);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  EXPECT_NE(connect(fd, reinterpret_cast<sockaddr *>(&a), sizeof(a)), 0);
  close(fd);
}

}  // namespace
}  // namespace webtest
