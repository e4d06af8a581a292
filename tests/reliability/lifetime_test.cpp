// Deleting a client in its own onError, the regressions of an ESP32 AsyncTCP bug class (the
// behaviour on both stacks: tests/lifetime_test.cpp). ESP32 sketches do `close(true); delete
// client;` in onError: after a peer's reset, a refused connect, an abort(), and on a
// server's clients; nothing may use the client afterwards or call it back.
#include "reliability_support.h"

#include <gtest/gtest.h>

#include <atomic>

using namespace tst;
using namespace rel;

namespace {

// The sketch habit: close(true); delete client; in onError (counted in `deleted`).
ClientHooks closeAndDeleteInOnError(ClientLog &log, std::atomic<int> &deleted) {
  ClientHooks hooks;
  hooks.onError = [&log, &deleted](AsyncClient *cl, int8_t) {
    cl->close(true);
    log.markDeleted();
    delete cl;
    deleted++;
  };
  return hooks;
}

}  // namespace

TEST(DeleteInOnErrorAfterCloseTrue, PeerReset_NoUseAfterFreeNoLaterCallbacks) {
  RawListener listener;
  ClientLog log;
  auto *c = new AsyncClient;
  std::atomic<int> deleted{0};
  log.attach(*c, closeAndDeleteInOnError(log, deleted));
  RawSocket peer = connectAndAccept(*c, log, listener);
  ASSERT_TRUE(peer.valid());
  peer.closeWithReset();
  ASSERT_TRUE(waitFor([&] { return deleted.load() == 1; }));
  EXPECT_TRUE(staysFalse([&] { return log.lateCallbacks() > 0; }, 300ms))
      << ::testing::PrintToString(log.events());
  EXPECT_EQ(log.disconnects(), 0) << "onDisconnect ran for a client deleted in onError";
}

TEST(DeleteInOnErrorAfterCloseTrue, RefusedConnect_NoUseAfterFree) {
  ClosedPort closed;
  for (int i = 0; i < 20; ++i) {
    ClientLog log;
    auto *c = new AsyncClient;
    std::atomic<int> deleted{0};
    log.attach(*c, closeAndDeleteInOnError(log, deleted));
    ASSERT_TRUE(c->connect(loopback4(), closed.port()));
    ASSERT_TRUE(waitFor([&] { return deleted.load() == 1; }));
    EXPECT_TRUE(staysFalse([&] { return log.lateCallbacks() > 0; }, 20ms));
  }
}

TEST(DeleteInOnErrorAfterCloseTrue, ServerSideClientOnPeerReset) {
  AsyncServer server(loopback4(), 0);
  std::atomic<int> errors{0}, disconnects{0};
  server.onClient(
      [&](void *, AsyncClient *c) {
        c->onError([&](void *, AsyncClient *cl, int8_t) {
          errors++;
          cl->close(true);
          delete cl;
        });
        c->onDisconnect([&](void *, AsyncClient *) { disconnects++; });
      },
      nullptr);
  server.begin();
  ASSERT_EQ(server.status(), LISTEN);
  for (int i = 0; i < 20; ++i) {
    RawSocket s = rawConnect("127.0.0.1", server.port());
    ASSERT_TRUE(s.valid());
    ASSERT_TRUE(s.sendAll("unread"));  // unread data: close() then sends RST
    std::this_thread::sleep_for(1ms);
    s.closeWithReset();
  }
  EXPECT_TRUE(waitFor([&] { return errors.load() == 20; })) << errors.load();
  EXPECT_TRUE(staysFalse([&] { return disconnects.load() > 0; }, 200ms))
      << "onDisconnect ran for clients deleted in onError";
  server.end();
}

TEST(DeleteInOnErrorAfterCloseTrue, AbortThenDeleteFromOnError) {
  RawListener listener;
  ClientLog log;
  auto *c = new AsyncClient;
  std::atomic<int> deleted{0};
  ClientHooks hooks = closeAndDeleteInOnError(log, deleted);
  hooks.onData = [&](AsyncClient *cl, void *, size_t) { cl->abort(); };
  log.attach(*c, hooks);
  RawSocket peer = connectAndAccept(*c, log, listener);
  ASSERT_TRUE(peer.valid());
  ASSERT_TRUE(peer.sendAll("trigger"));
  ASSERT_TRUE(waitFor([&] { return deleted.load() == 1; }));
  EXPECT_EQ(log.errors(), std::vector<int>{ERR_ABRT});
  EXPECT_TRUE(staysFalse([&] { return log.lateCallbacks() > 0; }, 200ms));
  EXPECT_EQ(peer.readUntilEnd(2000ms), PeerEnd::Reset);
}
