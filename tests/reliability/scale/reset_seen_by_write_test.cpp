// Found by the scale run: a peer's reset that the server first meets in a write made inside
// onData (an echo) must end the connection with onError(ERR_RST), not as a clean close.
// On Linux the failed send() consumes the socket's error, so the next recv() returns 0, which
// looks like the peer's FIN; the deferred write error has to win over it.
#include <gtest/gtest.h>

#include <atomic>
#include <condition_variable>
#include <mutex>

#include "test_support.h"

using namespace tst;

namespace {

struct Gate {  // holds the service thread inside onClient until opened
  std::mutex m;
  std::condition_variable cv;
  bool open = false;
  void wait() {
    std::unique_lock<std::mutex> lock(m);
    cv.wait(lock, [this] { return open; });
  }
  void release() {
    std::lock_guard<std::mutex> lock(m);
    open = true;
    cv.notify_all();
  }
};

}  // namespace

TEST(PeerReset, FoundByAWriteInOnData_IsReportedAsErrorNotAsFin) {
  if (kLwip)
    GTEST_SKIP() << "Linux sockets only";
  Gate gate;
  std::atomic<bool> accepted{false};
  std::atomic<int> errors{0}, lastError{0}, disconnects{0};
  AsyncServer server(loopback4(), 0);
  server.onClient(
      [&](void *, AsyncClient *c) {
        c->onData([](void *, AsyncClient *cl, void *d, size_t len) {
          cl->write(static_cast<const char *>(d), len);  // meets the reset
        });
        c->onError([&](void *, AsyncClient *, int8_t err) {
          lastError = err;
          errors++;
        });
        c->onDisconnect([&](void *, AsyncClient *cl) {
          disconnects++;
          delete cl;
        });
        accepted = true;
        gate.wait();  // meanwhile the peer's data and its reset both arrive
      },
      nullptr);
  server.begin();
  ASSERT_EQ(server.status(), LISTEN);
  RawSocket peer = rawConnect("127.0.0.1", server.port());
  ASSERT_TRUE(peer.valid());
  ASSERT_TRUE(waitFor([&] { return accepted.load(); }));
  ASSERT_TRUE(peer.sendAll("hello"));
  peer.closeWithReset();
  gate.release();
  ASSERT_TRUE(waitFor([&] { return disconnects.load() > 0; }));
  EXPECT_EQ(errors.load(), 1) << "the reset ended the connection as if the peer sent FIN";
  EXPECT_EQ(lastError.load(), ERR_RST);
  EXPECT_EQ(disconnects.load(), 1);
}
