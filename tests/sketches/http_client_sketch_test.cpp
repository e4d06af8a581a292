// The HttpClient sketch against a Python HTTP/1.1 server reached by name ("localhost",
// resolved by the library), and against a port where nothing listens (on both stacks:
// on lwIP the refusal comes from lwIP's own loopback).
#include <AsyncTCP.h>
#include <unistd.h>

#include <string>

#include "sketch_fixture.h"

namespace sketchtest {
namespace {

class HttpClientSketch : public SketchTest {
protected:
  ChildProcess server, sketch;
};

TEST_F(HttpClientSketch, PrintsStatusLineAndBodyLength) {
  if (!kSketchReachesLinuxPeers)
    GTEST_SKIP() << kNoLinuxPeersOnLwip;
  // Larger than one read, so the body arrives over several onData calls.
  ASSERT_NO_FATAL_FAILURE(
      startPeer(server, {"python3", peerPath("http_server.py"), "80", "100000"}));
  ASSERT_NO_FATAL_FAILURE(start(sketch, {sketchPath("HttpClient")}));
  ASSERT_TRUE(sketch.waitForText("body: ", 15s)) << sketch.out() << sketch.err();
  EXPECT_TRUE(sketch.waitForOutput(
      [](const std::string &out) { return hasLine(out, "body: 100000 bytes"); }, 1s))
      << sketch.out();
  EXPECT_TRUE(hasLine(sketch.out(), "status: HTTP/1.1 200 OK")) << sketch.out();
  EXPECT_TRUE(hasLine(sketch.out(), "connected to 127.0.0.1:80")) << sketch.out();
  EXPECT_EQ(sketch.out().find("error:"), std::string::npos) << sketch.out();
  // On the wire: the request the sketch wrote.
  ASSERT_TRUE(server.waitForText("header: Connection: close\n", 5s)) << server.out();
  EXPECT_NE(server.out().find("request: GET / HTTP/1.1\n"), std::string::npos) << server.out();
  EXPECT_NE(server.out().find("header: Host: localhost\n"), std::string::npos) << server.out();
  EXPECT_NE(server.out().find("header: User-Agent: ESP32-AsyncTCP\n"), std::string::npos)
      << server.out();
  expectCleanStop(sketch);
}

TEST_F(HttpClientSketch, RefusedConnectionPrintsTheErrorAndKeepsRunning) {
  ASSERT_NO_FATAL_FAILURE(start(sketch, {sketchPath("HttpClient")}));
  const std::string error = std::string("error: ") + AsyncClient::errorToString(ERR_RST) + " (" +
                            std::to_string(ERR_RST) + ")";
  ASSERT_TRUE(
      sketch.waitForOutput([&](const std::string &out) { return hasLine(out, error); }, 15s))
      << error << "\n"
      << sketch.out() << sketch.err();
  // onError deleted the client: nothing else is reported for it, and the sketch lives on.
  sleep(1);
  sketch.pump();
  EXPECT_TRUE(sketch.running()) << sketch.err();
  EXPECT_EQ(sketch.out().find("status:"), std::string::npos) << sketch.out();
  expectCleanStop(sketch);
}

}  // namespace
}  // namespace sketchtest
