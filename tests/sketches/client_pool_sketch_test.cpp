// The ClientPool sketch against a Python line server: four connections, each sending
// lines and reading replies; connections the server closes are replaced from
// onDisconnect, and a server that is not up yet is retried at a measured pace.
#include <AsyncTCP.h>
#include <unistd.h>

#include <cstdio>
#include <functional>
#include <map>
#include <set>
#include <string>

#include "sketch_fixture.h"

namespace sketchtest {
namespace {

constexpr int kPoolSize = 4;  // POOL_SIZE in the sketch

struct Counts {
  unsigned long connects = 0, replies = 0, disconnects = 0, failures = 0;
};

// Every "pool: ..." line of the sketch's output, in order.
std::vector<Counts> countLines(const std::string &out) {
  std::vector<Counts> all;
  for (const std::string &l : lines(out)) {
    Counts c;
    if (std::sscanf(l.c_str(), "pool: connects=%lu replies=%lu disconnects=%lu failures=%lu",
                    &c.connects, &c.replies, &c.disconnects, &c.failures) == 4)
      all.push_back(c);
  }
  return all;
}

Counts lastCounts(const std::string &out) {
  const std::vector<Counts> all = countLines(out);
  return all.empty() ? Counts{} : all.back();
}

// What the line server saw: the lines each connection sent, and the most connections
// open at once.
struct ServerLog {
  std::map<int, std::vector<std::string>> linesByConn;
  int connections = 0, maxOpen = 0;
};

ServerLog parseServer(const std::string &out) {
  ServerLog log;
  for (const std::string &l : lines(out)) {
    int id = 0, open = 0;
    char text[256];
    if (std::sscanf(l.c_str(), "open %d %d", &id, &open) == 2) {
      ++log.connections;
      log.maxOpen = std::max(log.maxOpen, open);
    } else if (std::sscanf(l.c_str(), "line %d %255[^\n]", &id, text) == 2) {
      log.linesByConn[id].push_back(text);
    }
  }
  return log;
}

class ClientPoolSketch : public SketchTest {
protected:
  void SetUp() override {
    if (!kSketchReachesLinuxPeers)
      GTEST_SKIP() << kNoLinuxPeersOnLwip;
    SketchTest::SetUp();
  }
  void startServer(int closeAfter) {
    ASSERT_NO_FATAL_FAILURE(startPeer(server, {"python3", peerPath("line_server.py"), "7000",
                                               "--close-after", std::to_string(closeAfter)}));
  }
  void startSketch() { ASSERT_NO_FATAL_FAILURE(start(sketch, {sketchPath("ClientPool")})); }
  bool waitCounts(const std::function<bool(const Counts &)> &pred, milliseconds timeout) {
    return sketch.waitForOutput(
        [&](const std::string &out) {
          server.pump();  // keep the server's pipe from filling up meanwhile
          return pred(lastCounts(out));
        },
        timeout);
  }
  ChildProcess server, sketch;
};

TEST_F(ClientPoolSketch, KeepsEveryConnectionOpenAndGetsReplies) {
  ASSERT_NO_FATAL_FAILURE(startServer(0));
  ASSERT_NO_FATAL_FAILURE(startSketch());
  // Two replies per connection: the second line is sent from onPoll after the first reply.
  ASSERT_TRUE(waitCounts([](const Counts &c) { return c.replies >= 2 * kPoolSize; }, 15s))
      << sketch.out() << sketch.err();
  const Counts c = lastCounts(sketch.out());
  EXPECT_EQ(c.connects, unsigned(kPoolSize));
  EXPECT_EQ(c.disconnects, 0u);
  for (int slot = 0; slot < kPoolSize; ++slot) {
    const std::string reply = "slot " + std::to_string(slot) + " reply: echo hello from slot " +
                              std::to_string(slot) + " line 1";
    EXPECT_TRUE(sketch.waitForText(reply, 5s)) << reply << "\n" << sketch.out();
  }
  ASSERT_TRUE(server.waitForOutput(
      [](const std::string &out) { return parseServer(out).linesByConn.size() == kPoolSize; }, 5s))
      << server.out();
  const ServerLog log = parseServer(server.out());
  EXPECT_EQ(log.connections, kPoolSize);
  EXPECT_EQ(log.maxOpen, kPoolSize);
  // On the wire: each connection sent its own slot's lines, numbered from 0, in order.
  std::set<int> slots;
  for (const auto &[conn, sent] : log.linesByConn) {
    int slot = -1;
    ASSERT_EQ(std::sscanf(sent[0].c_str(), "hello from slot %d", &slot), 1) << sent[0];
    slots.insert(slot);
    for (size_t i = 0; i < sent.size(); ++i)
      EXPECT_EQ(sent[i], "hello from slot " + std::to_string(slot) + " line " + std::to_string(i));
  }
  EXPECT_EQ(slots.size(), size_t(kPoolSize));
  expectCleanStop(sketch);
}

TEST_F(ClientPoolSketch, ReplacesConnectionsTheServerCloses) {
  ASSERT_NO_FATAL_FAILURE(startServer(2));  // the server closes after two replies
  ASSERT_NO_FATAL_FAILURE(startSketch());
  ASSERT_TRUE(waitCounts(
      [](const Counts &c) { return c.connects >= 4 * kPoolSize && c.disconnects >= 3 * kPoolSize; },
      20s))
      << sketch.out() << sketch.err();
  // The counters only ever rise, and no closed connection was mistaken for a failure.
  const std::vector<Counts> all = countLines(sketch.out());
  for (size_t i = 1; i < all.size(); ++i) {
    EXPECT_GE(all[i].connects, all[i - 1].connects);
    EXPECT_GE(all[i].replies, all[i - 1].replies);
    EXPECT_GE(all[i].disconnects, all[i - 1].disconnects);
  }
  EXPECT_EQ(all.back().failures, 0u);
  EXPECT_GE(all.back().replies, 2 * (all.back().connects - kPoolSize));
  // The server logs an accept after the sketch's onConnect may already have run.
  EXPECT_TRUE(server.waitForOutput(
      [](const std::string &out) { return parseServer(out).connections >= 4 * kPoolSize; }, 5s))
      << server.out();
  const ServerLog log = parseServer(server.out());
  EXPECT_LE(log.maxOpen, kPoolSize) << "the pool never holds more than POOL_SIZE connections";
  expectCleanStop(sketch);
}

TEST_F(ClientPoolSketch, RetriesEverySecondUntilTheServerComesUp) {
  ASSERT_NO_FATAL_FAILURE(startSketch());
  // Nothing listens yet: every slot fails (connection refused) and is retried from loop().
  ASSERT_TRUE(waitCounts([](const Counts &c) { return c.failures >= 2 * kPoolSize; }, 10s))
      << sketch.out();
  usleep(1500 * 1000);
  sketch.pump();
  const Counts before = lastCounts(sketch.out());
  EXPECT_EQ(before.connects, 0u);
  // One retry per slot per second: in the 1.5 s above, at most two more rounds.
  EXPECT_LE(before.failures, (2u + 3u) * kPoolSize) << sketch.out();
  EXPECT_NE(sketch.out().find("error: " + std::string(AsyncClient::errorToString(ERR_RST))),
            std::string::npos)
      << sketch.out();

  ASSERT_NO_FATAL_FAILURE(startServer(0));
  ASSERT_TRUE(waitCounts(
      [](const Counts &c) { return c.connects == unsigned(kPoolSize) && c.replies >= kPoolSize; },
      10s))
      << sketch.out();
  expectCleanStop(sketch);
}

}  // namespace
}  // namespace sketchtest
