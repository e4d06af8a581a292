#include "sketch_fixture.h"

#include <net/if.h>
#include <sched.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

namespace sketchtest {

std::string enterFreshNetworkNamespace() {
  if (unshare(CLONE_NEWNET) != 0)
    return std::string(
               "unshare(CLONE_NEWNET) failed (the sketch tests need root and network "
               "namespaces): ") +
           std::strerror(errno);
  // A new namespace's loopback is down; bring it up without depending on iproute2.
  const int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  ifreq ifr{};
  std::strncpy(ifr.ifr_name, "lo", IFNAMSIZ - 1);
  const bool up = s >= 0 && ioctl(s, SIOCGIFFLAGS, &ifr) == 0 &&
                  (ifr.ifr_flags |= IFF_UP, ioctl(s, SIOCSIFFLAGS, &ifr) == 0);
  const int saved = errno;
  if (s >= 0)
    close(s);
  return up ? "" : std::string("cannot bring lo up in the new namespace: ") + std::strerror(saved);
}

std::string sketchPath(const char *name) {
  return std::string(ASYNCTCP_SKETCH_DIR) + "/" + name;
}

std::string peerPath(const char *script) {
  return std::string(ASYNCTCP_PEER_DIR) + "/" + script;
}

std::vector<std::string> lines(const std::string &text) {
  std::vector<std::string> out;
  size_t start = 0;
  for (size_t nl = text.find('\n'); nl != std::string::npos; nl = text.find('\n', start)) {
    size_t end = nl;
    if (end > start && text[end - 1] == '\r')
      --end;
    out.push_back(text.substr(start, end - start));
    start = nl + 1;
  }
  return out;
}

bool hasLine(const std::string &text, const std::string &line) {
  for (const std::string &l : lines(text))
    if (l == line)
      return true;
  return false;
}

void SketchTest::SetUp() {
  const std::string why = enterFreshNetworkNamespace();
  if (!why.empty())
    GTEST_SKIP() << why;
}

void SketchTest::start(ChildProcess &child, const std::vector<std::string> &argv) {
  ASSERT_TRUE(child.start(argv)) << child.error();
}

void SketchTest::startPeer(ChildProcess &peer, const std::vector<std::string> &argv) {
  ASSERT_NO_FATAL_FAILURE(start(peer, argv));
  ASSERT_TRUE(peer.waitForText("ready\n", 10s)) << argv[0] << " did not start; stderr:\n"
                                                << peer.err();
}

void SketchTest::expectCleanStop(ChildProcess &sketch, int sig) {
  ASSERT_TRUE(sketch.running()) << "the sketch ended by itself; stderr:\n" << sketch.err();
  sketch.signal(sig);
  const int status = sketch.waitExit(10s);
  ASSERT_NE(status, -1) << "the sketch did not stop within 10 s of signal " << sig;
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0)
      << "wait status " << status << "; stderr:\n"
      << sketch.err();
  // _exit() skips the sanitizers' exit-time verdicts, so look for their reports.
  EXPECT_EQ(sketch.err().find("Sanitizer"), std::string::npos) << sketch.err();
  EXPECT_EQ(sketch.err().find("runtime error"), std::string::npos) << sketch.err();
}

}  // namespace sketchtest
