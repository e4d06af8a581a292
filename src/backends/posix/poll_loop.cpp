// The epoll loop. It is the service thread: readiness becomes core events
// directly, with no queue in between. Other threads reach it through an eventfd.
// Host only (the epoll backend): the Arduino IDE and PlatformIO compile every file under src/.
#if !defined(ESP_PLATFORM)

#include "backends/posix/internal.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>

#include "backends/posix/ack_tracker.h"
#include "os/os.h"
#if defined(ASYNCTCP_URING)
#include "backends/uring/engine.h"
#endif

namespace asynctcp::backend {

alignas(Loop) unsigned char g_loopStorage[sizeof(Loop)];

namespace {
constexpr int kMaxEvents = 256;

void drainWaker() {
  uint64_t v;
  while (::read(loop().waker.fd, &v, sizeof(v)) > 0) {
  }
}

}  // namespace

// Microseconds until the loop has work of its own, -1 for none.
int64_t loopTimeoutUs() {
  Loop &L = loop();
  int64_t t = events::nextTimeoutMs();
  if (t > 0)
    t *= 1000;
  auto lower = [&t](int64_t v) {
    if (v < 0)
      v = 0;
    if (t < 0 || v < t)
      t = v;
  };
  if (!L.ready.empty())
    lower(0);
  int64_t a = acks::nextTimeoutUs(os::nowUs());
  if (a >= 0)
    lower(a);
  if (!L.lingering.empty())
    lower(100000);
  if (!L.pausedListeners.empty())
    lower(20000);
  int64_t d = dnsTimeoutMs();  // 0 when results wait for delivery
  if (d >= 0)
    lower(d * 1000);
  return t;
}

namespace {
// epoll_pwait2 takes the microsecond timeouts of the ack probe; kernels before
// 5.11 lack it, and then milliseconds (rounded up) have to do.
int waitEvents(int epfd, epoll_event *evs, int max, int64_t timeoutUs) {
  static bool havePwait2 = true;
  if (havePwait2 && timeoutUs >= 0) {
    timespec ts{time_t(timeoutUs / 1000000), long(timeoutUs % 1000000) * 1000};
    int n = epoll_pwait2(epfd, evs, max, &ts, nullptr);
    if (n >= 0 || errno != ENOSYS)
      return n;
    havePwait2 = false;
  }
  int64_t ms = timeoutUs < 0 ? -1 : (timeoutUs + 999) / 1000;
  return epoll_wait(epfd, evs, max, ms > INT32_MAX ? INT32_MAX : int(ms));
}

void dispatch(epoll_event &ev) {
  auto *p = static_cast<Pollable *>(ev.data.ptr);
  switch (p->kind) {
    case Kind::Waker:
      drainWaker();
      break;
    case Kind::Listener:
      listenerHandleEvents(static_cast<Listener *>(p));
      break;
    case Kind::Conn: {
      auto *c = static_cast<Conn *>(p);
      if (!c->dead)
        connHandleEvents(c, ev.events);
      break;
    }
    case Kind::Dns:
      dnsHandleEvents(p, ev.events);
      break;
  }
}

void runReady() {
  Loop &L = loop();
  if (L.ready.empty())
    return;
  std::vector<Conn *> &list = L.readyPass;
  list.swap(L.ready);
  for (Conn *c : list)
    c->inReadyList = false;
  for (Conn *c : list)
    if (!c->dead)
      connProcessReady(c);
  list.clear();
}

void runLingering() {
  Loop &L = loop();
  if (L.lingering.empty())
    return;
  uint64_t now = os::nowMs();
  for (size_t i = 0; i < L.lingering.size();) {
    Conn *c = L.lingering[i];
    if (c->dead) {
      L.lingering[i] = L.lingering.back();
      L.lingering.pop_back();
      continue;
    }
    if (now >= c->tx->lingerUntil)
      connLingerExpired(c, now);
    ++i;
  }
}

void dropDead(std::vector<Conn *> &list) {
  list.erase(std::remove_if(list.begin(), list.end(), [](Conn *c) { return c->dead; }), list.end());
}

}  // namespace

void loopFreeDead() {
  Loop &L = loop();
  if (!L.graveyard.empty()) {
    // The lists may still name a connection that died during this iteration.
    dropDead(L.ready);
    dropDead(L.lingering);
  }
  for (Conn *c : L.graveyard)
    delete c;
  L.graveyard.clear();
  for (Listener *l : L.closedListeners)
    delete l;
  L.closedListeners.clear();
}

void loopRunPending() {
  Loop &L = loop();
  runReady();
  dnsRun();
  events::loopIteration();
  acks::runDue(os::nowUs());
  runLingering();
  if (!L.pausedListeners.empty())
    listenersResume(os::nowMs());
}

bool init() {
  // Called once, by the service's first start.
  Loop &L = *new (g_loopStorage) Loop();
  L.engine = chooseEngine();
  L.spareFd = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
  if (onUring()) {
    // The ring itself is made by run(), on the service thread: with SINGLE_ISSUER and
    // DEFER_TASKRUN only the thread that made it may submit to it and wait on it.
    acks::init();  // notices: a cmsg on the SENDMSG, a POLLERR poll on the ring
    return dnsInit();
  }
  L.epfd = epoll_create1(EPOLL_CLOEXEC);
  L.waker.fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  L.readBuf = static_cast<uint8_t *>(std::malloc(kReadBufSize));
  if (L.epfd < 0 || L.waker.fd < 0 || !L.readBuf)
    return false;
  if (!pollAdd(&L.waker, EPOLLIN))
    return false;
  acks::init();
  return dnsInit();
}

void wake() {
#if defined(ASYNCTCP_URING)
  if (onUring())
    return uring::wake();
#endif
  uint64_t one = 1;
  // A full counter (EAGAIN) still means a wake-up is pending.
  ssize_t r = ::write(loop().waker.fd, &one, sizeof(one));
  (void)r;
}

uint64_t eventTimeMs() {
  return loop().nowMs;  // taken when epoll_wait returned
}

void run() {
#if defined(ASYNCTCP_URING)
  if (onUring())
    uring::run();  // never returns
#endif
  Loop &L = loop();
  epoll_event evs[kMaxEvents];
  for (;;) {
    const int64_t timeoutUs = loopTimeoutUs();
    events::releaseForWait();
    int n = waitEvents(L.epfd, evs, kMaxEvents, timeoutUs);
    events::acquireAfterWait();
    if (n < 0 && errno != EINTR)
      std::abort();  // the epoll fd itself is broken
    L.nowUs = os::nowUs();
    L.nowMs = L.nowUs / 1000u;
    for (int i = 0; i < n; ++i)
      dispatch(evs[i]);
    loopRunPending();
    loopFreeDead();
  }
}

bool pollAdd(Pollable *p, uint32_t events) {
#if defined(ASYNCTCP_URING)
  if (onUring())
    return uring::watch(p, events);
#endif
  epoll_event ev{};
  ev.events = events;
  ev.data.ptr = p;
  return epoll_ctl(loop().epfd, EPOLL_CTL_ADD, p->fd, &ev) == 0;
}

void pollDel(Pollable *p) {
#if defined(ASYNCTCP_URING)
  if (onUring())
    return uring::unwatch(p);
#endif
  epoll_ctl(loop().epfd, EPOLL_CTL_DEL, p->fd, nullptr);
}

void markReady(Conn *c) {
  if (c->inReadyList)
    return;
  c->inReadyList = true;
  loop().ready.push_back(c);
}

}  // namespace asynctcp::backend

#endif  // !defined(ESP_PLATFORM)
