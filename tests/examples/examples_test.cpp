// The examples as a user runs them, driven by real clients (curl, nc) and checked on the
// wire. The same sources build for both stacks: on the posix build the servers listen on
// the loopback; on the lwIP build each server brings up lwIP on a TAP device
// (ASYNCTCP_LWIP_TAP) and curl reaches it from Linux. Everything runs in a network
// namespace that main() makes for this process, so nothing leaves it.
#include <gtest/gtest.h>
#include <sched.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "support/child_process.h"

using namespace std::chrono_literals;

namespace {

std::string g_skip;  // why the examples cannot run here ("" when they can)

#if defined(ASYNCTCP_BACKEND_LWIP)
constexpr bool kLwip = true;
#else
constexpr bool kLwip = false;
#endif

// The lwIP server's side of the TAP link; Linux has .1 and ::1 of the same networks.
constexpr const char *kTapDevice = "atcpex0";
constexpr const char *kLwipIp4 = "10.202.0.2";
constexpr const char *kLwipIp6 = "fd00:202::2";

bool sh(const std::string &cmd) {
  return std::system((cmd + " >/dev/null 2>&1").c_str()) == 0;
}

std::string makeNamespace() {
  if (geteuid() != 0)
    return "needs root for a network namespace of its own";
  if (unshare(CLONE_NEWNET) != 0)
    return std::string("unshare(CLONE_NEWNET): ") + std::strerror(errno);
  if (!sh("ip link set lo up"))
    return "ip link set lo up failed";
  if (kLwip) {
    if (access("/dev/net/tun", R_OK | W_OK) != 0)
      return "/dev/net/tun is missing";
    const std::string dev = kTapDevice;
    if (!sh("ip tuntap add dev " + dev + " mode tap") ||
        !sh("ip addr add 10.202.0.1/24 dev " + dev) ||
        !sh("ip -6 addr add fd00:202::1/64 dev " + dev + " nodad") ||
        !sh("ip link set " + dev + " up"))
      return "could not make the TAP device with iproute2";
  }
  return "";
}

// A server example started with `--host BIND --port 0`, with the port it printed.
struct Server {
  Server(const char *path, const char *bind) {
    if (!child.start({path, "--host", bind, "--port", "0"}, env()))
      return;
    const std::string marker = "listening on ";
    if (child.waitForText(marker, 10s)) {
      const std::string &out = child.out();
      const size_t eol = out.find('\n', out.find(marker));
      const std::string line = out.substr(0, eol);
      port = std::atoi(line.substr(line.rfind(':') + 1).c_str());
    }
  }
  static std::vector<std::string> env() {
    if (!kLwip)
      return {};
    return {std::string("ASYNCTCP_LWIP_TAP=") + kTapDevice + " " + kLwipIp4 + "/24 10.202.0.1 " +
            kLwipIp6};
  }
  // SIGTERM; the exit status (-1 unless it exited by itself within 5 s).
  int stop() {
    child.signal(SIGTERM);
    const int status = child.waitExit(5s);
    child.pump();
    return status >= 0 && WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  }
  std::string output() const { return child.out() + child.err(); }
  tst::ChildProcess child;
  int port = 0;
};

// Where clients reach a server bound to `bind`: the loopback, or lwIP's end of the TAP.
std::string hostFor(bool v6) {
  if (kLwip)
    return v6 ? std::string("[") + kLwipIp6 + "]" : kLwipIp4;
  return v6 ? "[::1]" : "127.0.0.1";
}
const char *bindFor(bool v6) {
  if (kLwip)
    return v6 ? "::" : "0.0.0.0";
  return v6 ? "::1" : "127.0.0.1";
}

// Runs a client to its end; its exit status (-1 if it did not end in time) and what it printed.
int run(const std::vector<std::string> &argv, std::string &out, std::chrono::milliseconds t = 20s) {
  tst::ChildProcess c;
  if (!c.start(argv))
    return -1;
  const int status = c.waitExit(t);
  c.pump();
  out = c.out() + c.err();
  return status >= 0 && WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

class Examples : public ::testing::Test {
protected:
  void SetUp() override {
    if (!g_skip.empty())
      GTEST_SKIP() << "examples need a network namespace: " << g_skip;
  }
};

class HttpExample : public Examples, public ::testing::WithParamInterface<bool> {};

TEST_P(HttpExample, ServesCurl) {
  const bool v6 = GetParam();
  Server server(ASYNCTCP_HTTP_SERVER, bindFor(v6));
  ASSERT_GT(server.port, 0) << server.output();
  const std::string base = "http://" + hostFor(v6) + ":" + std::to_string(server.port);
  std::string out;
  ASSERT_EQ(run({"curl", "-sS", "-g", "-i", "--max-time", "10", base + "/"}, out), 0) << out;
  EXPECT_EQ(out.rfind("HTTP/1.1 200 OK\r\n", 0), 0u) << out;
  EXPECT_NE(out.find("\r\n\r\nHello, World!\n"), std::string::npos) << out;

  // Keep-alive: two URLs over one connection, the second one unknown.
  ASSERT_EQ(run({"curl", "-sS", "-g", "--max-time", "10", "-o", "/dev/null", "-o", "/dev/null",
                 "-w", "%{http_code}:%{num_connects} ", base + "/", base + "/missing"},
                out),
            0)
      << out;
  EXPECT_EQ(out, "200:1 404:0 ");

  // A body bigger than a few segments, so the window and the send budget both matter.
  ASSERT_EQ(run({"curl", "-sS", "-g", "--max-time", "20", "-o", "/dev/null", "-w",
                 "%{http_code} %{size_download}", base + "/bytes/1000000"},
                out),
            0)
      << out;
  EXPECT_EQ(out, "200 1000000");
  EXPECT_EQ(server.stop(), 0) << server.output();
  EXPECT_NE(server.output().find("0 connections left"), std::string::npos) << server.output();
}

INSTANTIATE_TEST_SUITE_P(Both, HttpExample, ::testing::Values(false, true),
                         [](const auto &info) { return info.param ? "IPv6" : "IPv4"; });

TEST_F(Examples, EchoServerAnswersNc) {
  Server server(ASYNCTCP_ECHO_SERVER, bindFor(false));
  ASSERT_GT(server.port, 0) << server.output();
  std::string out;
  const std::string host = hostFor(false);
  ASSERT_EQ(
      run({"sh", "-c",
           "printf 'hello, echo\\n' | nc -N -w 5 " + host + " " + std::to_string(server.port)},
          out),
      0)
      << out;
  EXPECT_EQ(out, "hello, echo\n");
  EXPECT_EQ(server.stop(), 0) << server.output();
}

TEST_F(Examples, EchoClientVerifiesFourMegabytes) {
  if (kLwip)
    GTEST_SKIP() << "one lwIP stack per process: echo_client and echo_server would need two "
                    "TAP devices bridged; the shared suite covers lwIP client to lwIP server";
  Server server(ASYNCTCP_ECHO_SERVER, bindFor(false));
  ASSERT_GT(server.port, 0) << server.output();
  std::string out;
  EXPECT_EQ(run({ASYNCTCP_ECHO_CLIENT, "--host", "127.0.0.1", "--port", std::to_string(server.port),
                 "--bytes", "4194304"},
                out, 60s),
            0)
      << out;
  EXPECT_EQ(server.stop(), 0) << server.output();
}

}  // namespace

int main(int argc, char **argv) {
  bool listing = false;
  for (int i = 1; i < argc; ++i)
    listing |= std::strcmp(argv[i], "--gtest_list_tests") == 0;
  ::testing::InitGoogleTest(&argc, argv);
  if (!listing)
    g_skip = makeNamespace();
  return RUN_ALL_TESTS();
}
