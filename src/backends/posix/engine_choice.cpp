// Which engine the posix backend runs: io_uring where this kernel and process allow it
// (the probe tries everything the engine needs), epoll otherwise. The program chooses
// with setEngine() before the library starts; otherwise ASYNCTCP_ENGINE does
// (io_uring|epoll|auto); auto is the default.
// Host only (the epoll backend): the Arduino IDE and PlatformIO compile every file under src/.
#if !defined(ESP_PLATFORM)

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "backends/posix/internal.h"
#if defined(ASYNCTCP_URING)
#include "backends/uring/engine.h"
#include "backends/uring/ring_support.h"
#endif

namespace asynctcp::backend {

namespace {
enum Wish : int { WishNone = -1, WishAuto, WishEpoll, WishUring };
std::atomic<int> g_wish{WishNone};
std::atomic<bool> g_chosen{false};

int parse(const char *name) {
  if (!name)
    return WishNone;
  if (std::strcmp(name, "auto") == 0 || *name == '\0')
    return WishAuto;
  if (std::strcmp(name, "epoll") == 0)
    return WishEpoll;
  if (std::strcmp(name, "io_uring") == 0 || std::strcmp(name, "uring") == 0)
    return WishUring;
  return WishNone;
}
// Valgrind (3.19, Debian 12's) holds its one big lock across io_uring_enter(): while the
// loop waits there, no other thread of the program runs, and a wake-up that must come from
// one never comes. It also cannot see the kernel write receive buffers. Its preload library
// tells us it is there.
bool underValgrind() {
  const char *pre = std::getenv("LD_PRELOAD");
  return pre && std::strstr(pre, "vgpreload");
}
}  // namespace

bool requestEngine(const char *name) {
  const int w = parse(name);
  if (w == WishNone || g_chosen.load(std::memory_order_acquire))
    return false;
  g_wish.store(w, std::memory_order_release);
  return true;
}

Engine chooseEngine() {
  g_chosen.store(true, std::memory_order_release);
  int wish = g_wish.load(std::memory_order_acquire);
  if (wish == WishNone) {
    const char *env = std::getenv("ASYNCTCP_ENGINE");
    wish = parse(env);
    if (env && wish == WishNone)
      std::fprintf(stderr, "asynctcp: ASYNCTCP_ENGINE=%s unknown (io_uring|epoll|auto)\n", env);
  }
  const bool valgrind = underValgrind();
  if (wish == WishEpoll || (wish != WishUring && valgrind))
    return Engine::Epoll;
#if defined(ASYNCTCP_URING)
  uring::RingSupport s = uring::probeRing();
  if (s.usable && uring::init()) {
    loop().ring->socketCommands = s.socketCommands;
    loop().ring->recvLimit = s.recvLimit;
    loop().ring->capWait = valgrind;  // forced under valgrind: waits never block long
    return Engine::Uring;
  }
  if (wish == WishUring)
    std::fprintf(stderr, "asynctcp: io_uring asked for but refused: %s (%s); epoll runs\n", s.why,
                 std::strerror(s.err));
#else
  if (wish == WishUring)
    std::fprintf(stderr, "asynctcp: built without io_uring; epoll runs\n");
#endif
  return Engine::Epoll;
}

const char *engineName() {
  return onUring() ? "io_uring" : "epoll";
}

}  // namespace asynctcp::backend

#endif  // !defined(ESP_PLATFORM)
