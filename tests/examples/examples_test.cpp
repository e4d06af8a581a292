// The examples as a user runs them, driven by real clients (curl, nc) and checked on the
// wire. The same sources build for both stacks: on the posix build the servers listen on
// the loopback; on the lwIP build each server brings up lwIP on a TAP device
// (ASYNCTCP_LWIP_TAP) and curl reaches it from Linux. Everything runs in a network
// namespace that main() makes for this process, so nothing leaves it.
#include <gtest/gtest.h>

#include <cstring>
#include <string>

#include "example_harness.h"

namespace examples {
namespace {

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
}  // namespace examples

int main(int argc, char **argv) {
  bool listing = false;
  for (int i = 1; i < argc; ++i)
    listing |= std::strcmp(argv[i], "--gtest_list_tests") == 0;
  ::testing::InitGoogleTest(&argc, argv);
  if (!listing)
    examples::g_skip = examples::makeNamespace();
  return RUN_ALL_TESTS();
}
