// The engine choice (issue 16): io_uring by default where it works, epoll when asked for
// or when the kernel refuses io_uring, and the choice read back. Each case runs in a
// child process: the choice is made once, when the library starts there.
#include <gtest/gtest.h>

#include <errno.h>
#include <stdlib.h>

#include <atomic>
#include <chrono>
#include <cstring>
#include <string>
#include <thread>

#include "AsyncTCP.h"
#include "backends/uring/ring_support.h"
#include "uring/child_checks.h"

using asynctcp::backend::uring::probeRing;

namespace {

bool named(const char *want) {
  const char *got = asynctcp::engineName();
  if (std::strcmp(got, want) == 0)
    return true;
  std::fprintf(stderr, "child: engine %s, expected %s\n", got, want);
  return false;
}

// A round trip through the library: a client sends "ping" to a server that echoes it.
bool echoWorks() {
  AsyncServer server(IPAddress(127, 0, 0, 1), 0);
  server.onClient(
      [](void *, AsyncClient *c) {
        c->onData([](void *, AsyncClient *c, void *data, size_t len) {
          c->write(static_cast<const char *>(data), len);
        });
        c->onDisconnect([](void *, AsyncClient *c) { delete c; });
      },
      nullptr);
  server.begin();
  if (server.port() == 0)
    return false;
  std::atomic<size_t> got{0};
  AsyncClient client;
  client.onConnect([](void *, AsyncClient *c) { c->write("ping", 4); });
  client.onData([](void *arg, AsyncClient *, void *,
                   size_t len) { static_cast<std::atomic<size_t> *>(arg)->fetch_add(len); },
                &got);
  if (!client.connect(IPAddress(127, 0, 0, 1), server.port()))
    return false;
  for (int i = 0; i < 500 && got.load() < 4; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  client.close(true);
  return got.load() == 4;
}

}  // namespace

TEST(EngineChoice, IoUringByDefaultWhereTheKernelRunsIt) {
  if (!probeRing().usable)
    GTEST_SKIP() << "io_uring is refused here";
  int rc = inChild([] {
    unsetenv("ASYNCTCP_ENGINE");
    CHILD_CHECK(named("io_uring"));
    CHILD_CHECK(echoWorks());
    return 0;
  });
  EXPECT_EQ(rc, 0);
}

TEST(EngineChoice, TheEnvironmentForcesEpoll) {
  int rc = inChild([] {
    setenv("ASYNCTCP_ENGINE", "epoll", 1);
    CHILD_CHECK(named("epoll"));
    CHILD_CHECK(echoWorks());
    return 0;
  });
  EXPECT_EQ(rc, 0);
}

TEST(EngineChoice, SetEngineBeforeTheStartWinsOverTheEnvironment) {
  int rc = inChild([] {
    setenv("ASYNCTCP_ENGINE", "io_uring", 1);
    CHILD_CHECK(asynctcp::setEngine("epoll"));
    CHILD_CHECK(!asynctcp::setEngine("kqueue"));
    CHILD_CHECK(named("epoll"));
    CHILD_CHECK(!asynctcp::setEngine("io_uring"));  // too late: the engine is fixed
    CHILD_CHECK(named("epoll"));
    return 0;
  });
  EXPECT_EQ(rc, 0);
}

TEST(EngineChoice, RefusedIoUringFallsBackToEpollThatWorks) {
  for (const char *wish : {"auto", "io_uring"}) {
    int rc = inChild([wish] {
      setenv("ASYNCTCP_ENGINE", wish, 1);
      CHILD_CHECK(refuseIoUring(EPERM));
      CHILD_CHECK(named("epoll"));
      CHILD_CHECK(echoWorks());
      return 0;
    });
    EXPECT_EQ(rc, 0) << "ASYNCTCP_ENGINE=" << wish;
  }
}

// Valgrind 3.19 holds its one lock across io_uring_enter(), so a thread waiting there
// starves the others: under valgrind (its preload library in LD_PRELOAD) auto takes epoll,
// and an io_uring asked for by name still works, its waits cut short.
TEST(EngineChoice, UnderValgrindAutoTakesEpollAndAForcedIoUringStillWorks) {
  if (!probeRing().usable)
    GTEST_SKIP() << "io_uring is refused here";
  for (const char *wish : {"auto", "io_uring"}) {
    int rc = inChild([wish] {
      // Only looked at here: the loader read LD_PRELOAD when this process started.
      setenv("LD_PRELOAD", "/usr/libexec/valgrind/vgpreload_core-amd64-linux.so", 1);
      setenv("ASYNCTCP_ENGINE", wish, 1);
      CHILD_CHECK(named(std::strcmp(wish, "auto") == 0 ? "epoll" : "io_uring"));
      CHILD_CHECK(echoWorks());
      return 0;
    });
    EXPECT_EQ(rc, 0) << "ASYNCTCP_ENGINE=" << wish;
  }
}
