// ESP32Async/AsyncTCP's own examples, unchanged (ESP32 mode), against real peers. Their
// fixed addresses are made to exist inside the test's own network namespace: the
// 192.168.125.x peers as extra loopback addresses, the web sites through a private
// /etc/hosts (a mount namespace of the test's own).
#include <netinet/in.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <arpa/inet.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>

#include "sketch_fixture.h"

namespace esp32async {
namespace {

using namespace std::chrono_literals;
using sketchtest::ChildProcess;
using sketchtest::lines;
using sketchtest::peerPath;
using sketchtest::sketchPath;
namespace fs = std::filesystem;

bool run(const std::vector<std::string> &argv) {
  ChildProcess p;
  return p.start(argv) && p.waitExit(10s) == 0;
}

bool accepts(const char *ip, uint16_t port) {
  const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  inet_pton(AF_INET, ip, &a.sin_addr);
  const bool ok = fd >= 0 && connect(fd, reinterpret_cast<sockaddr *>(&a), sizeof(a)) == 0;
  if (fd >= 0)
    close(fd);
  return ok;
}

bool waitAccepts(const char *ip, uint16_t port) {
  for (int i = 0; i < 500; ++i) {
    if (accepts(ip, port))
      return true;
    std::this_thread::sleep_for(10ms);
  }
  return false;
}

size_t countLines(const std::string &out, const std::string &prefix) {
  size_t n = 0;
  for (const std::string &l : lines(out))
    n += l.rfind(prefix, 0) == 0;
  return n;
}

class Esp32AsyncExample : public sketchtest::SketchTest {
protected:
  void TearDown() override {
    if (_dir.empty())
      return;
    std::error_code ec;
    fs::remove_all(_dir, ec);
  }
  // An address of the example's own network on this namespace's loopback.
  void addAddress(const std::string &ip) {
    ASSERT_TRUE(run({"ip", "addr", "add", ip + "/32", "dev", "lo"})) << "ip addr add " << ip;
  }
  const std::string &dir() {
    if (_dir.empty()) {
      char d[] = "/tmp/esp32async-XXXXXX";
      EXPECT_NE(mkdtemp(d), nullptr);
      _dir = d;
    }
    return _dir;
  }
  // /etc/hosts of this test only: a mount namespace of its own, the file bind-mounted.
  void privateHosts(const std::string &content) {
    ASSERT_EQ(unshare(CLONE_NEWNS), 0) << std::strerror(errno);
    ASSERT_EQ(mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr), 0)
        << std::strerror(errno);
    const std::string hosts = dir() + "/hosts";
    std::ofstream(hosts) << "127.0.0.1 localhost\n" << content;
    ASSERT_EQ(mount(hosts.c_str(), "/etc/hosts", nullptr, MS_BIND, nullptr), 0)
        << std::strerror(errno);
  }

private:
  std::string _dir;
};

// ChargenServer: port 19, one client at a time, the RFC 864 pattern line after line.
TEST_F(Esp32AsyncExample, ChargenServerStreamsThePatternAndRejectsASecondClient) {
  ChildProcess sketch;
  ASSERT_NO_FATAL_FAILURE(start(sketch, {sketchPath("ChargenServer")}));
  ASSERT_TRUE(waitAccepts("127.0.0.1", 19)) << sketch.out() << sketch.err();
  // The first accepts() above was a client too; it left at once.
  ASSERT_TRUE(sketch.waitForText("Client disconnected.", 5s)) << sketch.out();
  ChildProcess nc;
  ASSERT_TRUE(nc.start({"nc", "127.0.0.1", "19"})) << nc.error();
  std::string got;
  while (got.size() < 74 * 200) {
    const std::string part = nc.read(65536, 10s);
    ASSERT_FALSE(part.empty()) << "stream stalled after " << got.size() << " bytes";
    got += part;
  }
  static const char pattern[] =
      " !\"#$%&'()*+,-./"
      "0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[\\]^_`abcdefghijklmnopqrstuvwxyz{|}~";
  for (size_t line = 0; line < 200; ++line) {
    std::string want;
    for (size_t i = 0; i < 72; ++i)
      want += pattern[(line + i) % 95];
    ASSERT_EQ(got.substr(line * 74, 74), want + "\r\n") << "line " << line;
  }
  ChildProcess second;
  ASSERT_TRUE(second.start({"nc", "127.0.0.1", "19"})) << second.error();
  EXPECT_TRUE(sketch.waitForText("rejected. Server is busy.", 5s)) << sketch.out();
  nc.signal(SIGTERM);
  nc.waitExit(5s);
  EXPECT_TRUE(sketch.waitForOutput(
      [](const std::string &out) { return countLines(out, "Client disconnected.") >= 2; }, 5s))
      << sketch.out();
  expectCleanStop(sketch);
}

// AsyncSend: connects to 192.168.125.116:1234 and sends an 8 KiB buffer ('[', dots, ']')
// as space() allows, counting acks down to zero (an assert checks onAck never reports
// more than was written), then again every 2 s.
TEST_F(Esp32AsyncExample, AsyncSendDeliversItsBufferAndCountsEveryAck) {
  ASSERT_NO_FATAL_FAILURE(addAddress("192.168.125.116"));
  ChildProcess sink;
  ASSERT_NO_FATAL_FAILURE(
      startPeer(sink, {"python3", peerPath("sink.py"), "192.168.125.116", "1234"}));
  ChildProcess sketch;
  ASSERT_NO_FATAL_FAILURE(start(sketch, {sketchPath("AsyncSend")}));
  ASSERT_TRUE(sketch.waitForOutput(
      [](const std::string &out) {
        return countLines(out, "Buffer received - next send in 2 sec") >= 2;
      },
      15s))
      << sketch.out() << sketch.err();
  ASSERT_TRUE(sink.waitForOutput(
      [](const std::string &out) { return countLines(out, "bytes 0 ") >= 2; }, 5s))
      << sink.out();
  EXPECT_EQ(sink.out().find(" bad"), std::string::npos) << sink.out();
  EXPECT_NE(sketch.out().find("Acked "), std::string::npos);
  EXPECT_EQ(sketch.out().find("Error"), std::string::npos) << sketch.out();
  expectCleanStop(sketch);
}

// Client: 16 clients (CONFIG_LWIP_MAX_ACTIVE_TCP) fetch /README.md from
// 192.168.125.122:3333 with "Connection: close"; each disconnect deletes its client and
// starts a new request, so the pool keeps cycling.
TEST_F(Esp32AsyncExample, ClientKeepsSixteenRequestsCycling) {
  ASSERT_NO_FATAL_FAILURE(addAddress("192.168.125.122"));
  std::ofstream(dir() + "/README.md") << std::string(20000, 'r');
  ChildProcess server;
  ASSERT_TRUE(server.start(
      {"python3", "-m", "http.server", "3333", "--bind", "192.168.125.122", "--directory", dir()}))
      << server.error();
  ASSERT_TRUE(waitAccepts("192.168.125.122", 3333));
  ChildProcess sketch;
  ASSERT_NO_FATAL_FAILURE(start(sketch, {sketchPath("Client")}));
  ASSERT_TRUE(sketch.waitForOutput(
      [&](const std::string &out) {
        server.pump();
        return countLines(out, "** client has been disconnected") >= 64;
      },
      30s))
      << sketch.out().substr(0, 4000);
  EXPECT_TRUE(sketch.waitForText("** permits: 16", 1s));
  EXPECT_EQ(sketch.out().find("** error occurred"), std::string::npos) << sketch.out();
  EXPECT_GE(countLines(sketch.out(), "** data received by client"), 64u);
  expectCleanStop(sketch);
}

// FetchWebsite: resolves www.time.org and www.google.com (here: this test's /etc/hosts)
// and prints each page it fetched.
TEST_F(Esp32AsyncExample, FetchWebsiteResolvesAndFetchesBothSites) {
  ASSERT_NO_FATAL_FAILURE(addAddress("127.0.0.2"));
  ASSERT_NO_FATAL_FAILURE(privateHosts("127.0.0.2 www.time.org\n127.0.0.2 www.google.com\n"));
  std::ofstream(dir() + "/index.html") << "<html>served in the test namespace</html>\n";
  ChildProcess server;
  ASSERT_TRUE(server.start(
      {"python3", "-m", "http.server", "80", "--bind", "127.0.0.2", "--directory", dir()}))
      << server.error();
  ASSERT_TRUE(waitAccepts("127.0.0.2", 80));
  ChildProcess sketch;
  ASSERT_NO_FATAL_FAILURE(start(sketch, {sketchPath("FetchWebsite")}));
  for (const char *site : {"[www.time.org] Fetched website:", "[www.google.com] Fetched website:"})
    EXPECT_TRUE(sketch.waitForText(site, 15s)) << sketch.out() << sketch.err();
  EXPECT_TRUE(sketch.waitForOutput(
      [](const std::string &out) {
        return countLines(out, "<html>served in the test namespace</html>") == 2;
      },
      5s))
      << sketch.out();
  expectCleanStop(sketch);
}

}  // namespace
}  // namespace esp32async
