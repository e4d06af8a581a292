// ESPAsyncWebServer's TLS calls (under ASYNC_TCP_SSL_ENABLED), unchanged, on our TLS: a test
// sketch (sketches/HttpsHello) serves a route over HTTPS with the certificate and key from its
// onSslFileRequest handler; curl verifies the server with --cacert, and refuses it without.
#include <sys/wait.h>

#include "web_example_fixture.h"

namespace webtest {
namespace {

class Https : public WebExampleTest {};

int runTool(const std::vector<std::string> &argv, std::string &out) {
  ChildProcess p;
  if (!p.start(argv))
    return -1;
  const int status = p.waitExit(20s);
  p.pump();
  out = p.out() + p.err();
  return status >= 0 && WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

TEST_F(Https, BeginSecureServesOverTlsWithTheCertificateFromTheFileHandler) {
#if !ASYNCTCP_AWS_TLS
  GTEST_SKIP() << "AsyncTCP built without TLS (-DASYNCTCP_TLS=OFF)";
#endif
  std::string out;
  ASSERT_EQ(runTool({"openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                     "ec_paramgen_curve:P-256", "-nodes", "-days", "1", "-subj", "/CN=127.0.0.1",
                     "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", fsRoot() + "/key.pem",
                     "-out", fsRoot() + "/cert.pem"},
                    out),
            0)
      << out;
  ASSERT_NO_FATAL_FAILURE(startExample("HttpsHello"));
  EXPECT_TRUE(example().waitForText("HTTPS server started", 5s)) << example().out();
  EXPECT_NE(example().out().find("asked for cert.pem"), std::string::npos) << example().out();
  EXPECT_NE(example().out().find("asked for key.pem"), std::string::npos) << example().out();
  ASSERT_EQ(runTool({"curl", "-sS", "--max-time", "10", "--cacert", fsRoot() + "/cert.pem",
                     "https://127.0.0.1:80/"},
                    out),
            0)
      << out;
  EXPECT_EQ(out, "Hello over TLS");
  // Verification is curl's: without the certificate it refuses the server (exit 60).
  EXPECT_EQ(runTool({"curl", "-sS", "--max-time", "10", "https://127.0.0.1:80/"}, out), 60) << out;
  // Plain HTTP to the TLS port is no request: nothing is served.
  EXPECT_NE(runTool({"curl", "-sS", "--max-time", "5", "http://127.0.0.1:80/"}, out), 0) << out;
}

}  // namespace
}  // namespace webtest
