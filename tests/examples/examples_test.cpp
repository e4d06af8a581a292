// The examples as a user runs them, driven by real clients (curl, nc) and checked on the
// wire. The same sources build for both stacks: on the posix build the servers listen on
// the loopback; on the lwIP build each server brings up lwIP on a TAP device
// (ASYNCTCP_LWIP_TAP) and curl reaches it from Linux. Everything runs in a network
// namespace that main() makes for this process, so nothing leaves it.
#include <gtest/gtest.h>

#include <unistd.h>

#include <cstdlib>
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

// HTTPS as the README tells a user to serve it: a certificate from `openssl req`, the server
// started with --tls, curl verifying it with --cacert (never -k), and https_client.
class HttpsExample : public Examples, public ::testing::WithParamInterface<bool> {};

TEST_P(HttpsExample, ServesCurlAndHttpsClientWithTheCertificateVerified) {
#if !ASYNCTCP_EXAMPLES_TLS
  GTEST_SKIP() << "AsyncTCP built without TLS (-DASYNCTCP_TLS=OFF)";
#endif
  const bool v6 = GetParam();
  std::string ip = hostFor(v6);
  if (v6)
    ip = ip.substr(1, ip.size() - 2);  // the brackets are the URL's
  char dir[] = "/tmp/asynctcp-https-XXXXXX";
  ASSERT_NE(::mkdtemp(dir), nullptr);
  const std::string cert = std::string(dir) + "/cert.pem", key = std::string(dir) + "/key.pem";
  std::string out;
  ASSERT_EQ(run({"openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
                 "-nodes", "-days", "1", "-subj", "/CN=" + ip, "-addext", "subjectAltName=IP:" + ip,
                 "-keyout", key, "-out", cert},
                out),
            0)
      << out;
  Server server(ASYNCTCP_HTTP_SERVER, bindFor(v6), {"--tls", cert, key});
  ASSERT_GT(server.port, 0) << server.output();
  const std::string base = "https://" + hostFor(v6) + ":" + std::to_string(server.port);
  ASSERT_EQ(run({"curl", "-sS", "-g", "-i", "--max-time", "10", "--cacert", cert, base + "/"}, out),
            0)
      << out;
  EXPECT_EQ(out.rfind("HTTP/1.1 200 OK\r\n", 0), 0u) << out;
  EXPECT_NE(out.find("\r\n\r\nHello, World!\n"), std::string::npos) << out;
  // A body of many records, over keep-alive after a first request.
  ASSERT_EQ(run({"curl", "-sS", "-g", "--max-time", "20", "--cacert", cert, "-o", "/dev/null", "-o",
                 "/dev/null", "-w", "%{http_code}:%{size_download}:%{num_connects} ", base + "/",
                 base + "/bytes/1000000"},
                out),
            0)
      << out;
  EXPECT_EQ(out, "200:14:1 200:1000000:0 ");
  // Without the certificate curl refuses the server: verification is on.
  EXPECT_EQ(run({"curl", "-sS", "-g", "--max-time", "10", "-o", "/dev/null", base + "/"}, out), 60)
      << out;
  if (!kLwip) {  // one lwIP stack per process: the client would need a TAP device of its own
    EXPECT_EQ(run({ASYNCTCP_HTTPS_CLIENT, "--cacert", cert, base + "/"}, out), 0) << out;
    EXPECT_NE(out.find("Hello, World!"), std::string::npos) << out;
    EXPECT_EQ(run({ASYNCTCP_HTTPS_CLIENT, base + "/"}, out), 1) << out;
    EXPECT_NE(out.find("TLS certificate not trusted (-62)"), std::string::npos) << out;
  }
  EXPECT_EQ(server.stop(), 0) << server.output();
  EXPECT_NE(server.output().find("0 connections left"), std::string::npos) << server.output();
  std::system((std::string("rm -rf ") + dir).c_str());
}

INSTANTIATE_TEST_SUITE_P(Both, HttpsExample, ::testing::Values(false, true),
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
