// Linux <-> lwIP over a TAP device, inside a network namespace this test makes
// for itself (so no packet can leave the machine): Linux's own TCP stack and
// curl talk to an AsyncServer on lwIP, and an AsyncClient on lwIP talks to a
// Linux listener. Skips, saying why, when the machine does not allow it.
#include <arpa/inet.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <thread>

#include "AsyncTCP.h"
#include "asynctcp/lwip_host.h"
#include "lwip/tap_link.h"

namespace {

std::string g_skipReason;  // set by main() when the namespace or TAP cannot be made
constexpr const char *kTap = "atcptap0";
const IPAddress kLinuxIp = tst::lwip::linuxIp4();
const IPAddress kLwipIp = tst::lwip::lwipIp4();

bool run(const std::string &cmd) {
  return std::system((cmd + " >/dev/null 2>&1").c_str()) == 0;
}

std::string runOutput(const std::string &cmd) {
  std::string out;
  FILE *p = popen(cmd.c_str(), "r");
  if (!p)
    return out;
  char buf[512];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, p)) > 0)
    out.append(buf, n);
  pclose(p);
  return out;
}

template <class Pred>
bool waitFor(Pred pred, std::chrono::milliseconds timeout = std::chrono::milliseconds(5000)) {
  auto end = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < end) {
    if (pred())
      return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return pred();
}

// A server on lwIP that answers every request with one HTTP response and closes.
struct HelloServer {
  AsyncServer server{80};
  std::atomic<int> served{0};
  HelloServer() {
    server.onClient(
        [this](void *, AsyncClient *c) {
          c->onData([this](void *, AsyncClient *cl, void *, size_t) {
            static const char kReply[] =
                "HTTP/1.1 200 OK\r\nContent-Length: 15\r\nConnection: close\r\n\r\nhello from lwIP";
            cl->write(kReply, sizeof(kReply) - 1);
            cl->close();
            served++;
          });
          c->onDisconnect([](void *, AsyncClient *cl) { delete cl; });
        },
        nullptr);
    server.begin();
  }
};

TEST(LwipTap, LinuxCurlGetsAnswerFromLwipServer) {
  if (!g_skipReason.empty())
    GTEST_SKIP() << g_skipReason;
  HelloServer hello;
  ASSERT_EQ(hello.server.status(), LISTEN);
  if (!run("command -v curl"))
    GTEST_SKIP() << "curl is not installed";
  std::string body = runOutput("curl -s --max-time 10 http://10.200.0.2:80/");
  EXPECT_EQ(body, "hello from lwIP");
  EXPECT_TRUE(waitFor([&] { return hello.served.load() == 1; }));
}

TEST(LwipTap, LinuxSocketExchangesBytesWithLwipServer) {
  if (!g_skipReason.empty())
    GTEST_SKIP() << g_skipReason;
  HelloServer hello;
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_port = htons(80);
  std::memcpy(&sa.sin_addr, kLwipIp.raw4(), 4);
  timeval tv{10, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  ASSERT_EQ(connect(fd, reinterpret_cast<sockaddr *>(&sa), sizeof sa), 0) << strerror(errno);
  ASSERT_EQ(send(fd, "GET / HTTP/1.1\r\n\r\n", 18, 0), 18);
  std::string got;
  char buf[256];
  ssize_t n;
  while ((n = recv(fd, buf, sizeof buf, 0)) > 0)
    got.append(buf, size_t(n));
  close(fd);
  EXPECT_NE(got.find("hello from lwIP"), std::string::npos) << got;
}

TEST(LwipTap, LwipClientReachesLinuxListener) {
  if (!g_skipReason.empty())
    GTEST_SKIP() << g_skipReason;
  int lfd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  std::memcpy(&sa.sin_addr, kLinuxIp.raw4(), 4);
  ASSERT_EQ(bind(lfd, reinterpret_cast<sockaddr *>(&sa), sizeof sa), 0);
  ASSERT_EQ(listen(lfd, 4), 0);
  socklen_t len = sizeof sa;
  getsockname(lfd, reinterpret_cast<sockaddr *>(&sa), &len);
  uint16_t port = ntohs(sa.sin_port);

  std::atomic<bool> disconnected{false};
  std::atomic<size_t> received{0};
  AsyncClient client;
  client.onConnect([](void *, AsyncClient *c) { c->write("ping from lwIP"); });
  client.onData([&](void *, AsyncClient *, void *, size_t n) { received += n; });
  client.onDisconnect([&](void *, AsyncClient *) { disconnected = true; });
  ASSERT_TRUE(client.connect(kLinuxIp, port));

  int cfd = accept(lfd, nullptr, nullptr);
  ASSERT_GE(cfd, 0);
  timeval tv{10, 0};
  setsockopt(cfd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  char buf[64] = {};
  ssize_t n = recv(cfd, buf, sizeof buf, 0);
  EXPECT_EQ(std::string(buf, n > 0 ? size_t(n) : 0), "ping from lwIP");
  ASSERT_EQ(send(cfd, "pong", 4, 0), 4);
  EXPECT_TRUE(waitFor([&] { return received.load() == 4; }));
  close(cfd);  // FIN: the client closes and reports onDisconnect
  EXPECT_TRUE(waitFor([&] { return disconnected.load(); }));
  close(lfd);
}

}  // namespace

int main(int argc, char **argv) {
  ::testing::InitGoogleTest(&argc, argv);
  // A namespace of our own, made before any thread exists, so everything this
  // process sends stays inside it.
  g_skipReason = tst::lwip::makeTapLink(kTap);
  if (!g_skipReason.empty())
    std::printf("lwIP TAP tests skip: %s\n", g_skipReason.c_str());
  return RUN_ALL_TESTS();
}
