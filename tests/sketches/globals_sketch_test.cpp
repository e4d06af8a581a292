// The GlobalsSketch (a global AsyncServer set up by another global's constructor) starts,
// echoes, and stops cleanly: the library is safe to call before main().
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <string>

#include "sketch_fixture.h"

namespace sketchtest {
namespace {

// Sends `text` to 127.0.0.1:port and reads back as many bytes; "" on failure.
std::string echoOnce(uint16_t port, const std::string &text) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0)
    return "";
  timeval tv{5, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  std::string got;
  if (connect(fd, reinterpret_cast<sockaddr *>(&a), sizeof(a)) == 0 &&
      send(fd, text.data(), text.size(), MSG_NOSIGNAL) == ssize_t(text.size())) {
    char buf[256];
    while (got.size() < text.size()) {
      ssize_t n = recv(fd, buf, sizeof(buf), 0);
      if (n <= 0)
        break;
      got.append(buf, size_t(n));
    }
  }
  close(fd);
  return got;
}

class GlobalsSketch : public SketchTest {
protected:
  void SetUp() override {
    if (!kSketchReachesLinuxPeers)
      GTEST_SKIP() << kNoLinuxPeersOnLwip;
    SketchTest::SetUp();
  }
};

TEST_F(GlobalsSketch, ServerSetUpByGlobalConstructorsEchoes) {
  ChildProcess sketch;
  ASSERT_NO_FATAL_FAILURE(start(sketch, {sketchPath("GlobalsSketch")}));
  ASSERT_TRUE(sketch.waitForText("ready", 5s)) << sketch.out() << sketch.err();
  EXPECT_EQ(echoOnce(7, "hello from a peer"), "hello from a peer");
  EXPECT_EQ(echoOnce(7, "and again"), "and again");
  expectCleanStop(sketch);
}

}  // namespace
}  // namespace sketchtest
