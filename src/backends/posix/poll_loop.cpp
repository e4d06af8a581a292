// The epoll loop. It is the service thread: readiness becomes core events
// directly, with no queue in between. Other threads reach it through an eventfd.
#include "backends/posix/poll_loop.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>

#include "os/os.h"

namespace asynctcp::backend {

namespace {
// Never destroyed: the service thread may still run while static destructors do.
Loop &g_loop = *new Loop();
constexpr int kMaxEvents = 256;
constexpr size_t kReadBufSize = 64 * 1024;
constexpr uint32_t kAckProbeMinUs = 1000;
constexpr uint32_t kAckProbeMaxUs = 32000;

void drainWaker() {
  uint64_t v;
  while (::read(g_loop.waker.fd, &v, sizeof(v)) > 0) {
  }
}

// Ask every connection with unacknowledged bytes how far the peer has acked.
// Linux signals no event for an ack unless the send buffer was full, so this is
// polled: right after writes, on every event of the connection, and on a timer
// that backs off while nothing moves (bounding both onAck delay and CPU).
void probeAcks(uint64_t nowUs) {
  Loop &L = g_loop;
  if (L.ackWatch.empty() || nowUs < L.nextAckProbeUs)
    return;
  std::vector<Conn *> list;
  list.swap(L.ackWatch);
  L.nextAckProbeUs = UINT64_MAX;  // a write during onAck sets it to 0
  bool progress = false;
  for (Conn *c : list)
    c->inAckWatch = false;
  for (Conn *c : list) {
    if (c->dead || !c->owner)
      continue;
    uint64_t before = c->acked;
    connProbeAcks(c);  // may run onAck, which may write (re-watch) or close
    progress |= c->acked != before;
    if (!c->dead && c->owner && c->written > c->acked && !c->inAckWatch) {
      c->inAckWatch = true;
      L.ackWatch.push_back(c);
    }
  }
  if (progress)
    L.ackProbeDelayUs = kAckProbeMinUs;
  else
    L.ackProbeDelayUs =
        std::min<uint32_t>(std::max(L.ackProbeDelayUs * 2, kAckProbeMinUs), kAckProbeMaxUs);
  if (L.nextAckProbeUs == UINT64_MAX)
    L.nextAckProbeUs = os::nowUs() + L.ackProbeDelayUs;
}

int64_t loopTimeoutMs() {
  Loop &L = g_loop;
  int64_t t = events::nextTimeoutMs();
  auto lower = [&t](int64_t v) {
    if (v < 0)
      v = 0;
    if (t < 0 || v < t)
      t = v;
  };
  if (!L.ready.empty())
    lower(0);
  if (!L.ackWatch.empty()) {
    uint64_t now = os::nowUs();
    lower(L.nextAckProbeUs <= now ? 0 : int64_t((L.nextAckProbeUs - now + 999) / 1000));
  }
  if (!L.lingering.empty())
    lower(100);
  if (!L.pausedListeners.empty())
    lower(20);
  int64_t d = dnsTimeoutMs();  // 0 when results wait for delivery
  if (d >= 0)
    lower(d);
  return t;
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
  Loop &L = g_loop;
  if (L.ready.empty())
    return;
  std::vector<Conn *> list;
  list.swap(L.ready);
  for (Conn *c : list)
    c->inReadyList = false;
  for (Conn *c : list)
    if (!c->dead)
      connProcessReady(c);
}

void runLingering() {
  Loop &L = g_loop;
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
    if (now >= c->lingerUntil)
      connLingerExpired(c, now);
    ++i;
  }
}

void dropDead(std::vector<Conn *> &list) {
  list.erase(std::remove_if(list.begin(), list.end(), [](Conn *c) { return c->dead; }), list.end());
}

void freeGraveyard() {
  Loop &L = g_loop;
  if (!L.graveyard.empty()) {
    // The lists may still name a connection that died during this iteration.
    dropDead(L.ready);
    dropDead(L.ackWatch);
    dropDead(L.lingering);
  }
  for (Conn *c : L.graveyard)
    delete c;
  L.graveyard.clear();
  for (Listener *l : L.closedListeners)
    delete l;
  L.closedListeners.clear();
}
}  // namespace

Loop &loop() {
  return g_loop;
}

bool init() {
  Loop &L = g_loop;
  if (L.epfd >= 0)
    return true;
  L.epfd = epoll_create1(EPOLL_CLOEXEC);
  L.waker.fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  L.spareFd = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
  L.readBuf = static_cast<uint8_t *>(std::malloc(kReadBufSize));
  if (L.epfd < 0 || L.waker.fd < 0 || !L.readBuf)
    return false;
  if (!pollAdd(&L.waker, EPOLLIN))
    return false;
  return dnsInit();
}

void wake() {
  uint64_t one = 1;
  // A full counter (EAGAIN) still means a wake-up is pending.
  ssize_t r = ::write(g_loop.waker.fd, &one, sizeof(one));
  (void)r;
}

void run() {
  Loop &L = g_loop;
  epoll_event evs[kMaxEvents];
  for (;;) {
    int64_t t = loopTimeoutMs();
    int n = epoll_wait(L.epfd, evs, kMaxEvents, t > INT32_MAX ? INT32_MAX : int(t));
    if (n < 0 && errno != EINTR)
      std::abort();  // the epoll fd itself is broken
    for (int i = 0; i < n; ++i)
      dispatch(evs[i]);
    runReady();
    dnsRun();
    events::loopIteration();
    probeAcks(os::nowUs());
    runLingering();
    if (!L.pausedListeners.empty())
      listenersResume(os::nowMs());
    freeGraveyard();
  }
}

bool pollAdd(Pollable *p, uint32_t events) {
  epoll_event ev{};
  ev.events = events;
  ev.data.ptr = p;
  return epoll_ctl(g_loop.epfd, EPOLL_CTL_ADD, p->fd, &ev) == 0;
}

void pollDel(Pollable *p) {
  epoll_ctl(g_loop.epfd, EPOLL_CTL_DEL, p->fd, nullptr);
}

void markReady(Conn *c) {
  if (c->inReadyList)
    return;
  c->inReadyList = true;
  g_loop.ready.push_back(c);
}

void watchAcks(Conn *c) {
  Loop &L = g_loop;
  if (!c->inAckWatch) {
    c->inAckWatch = true;
    L.ackWatch.push_back(c);
  }
  // Fresh bytes in flight: look at the end of this iteration (loopback often acks at once).
  L.nextAckProbeUs = 0;
  L.ackProbeDelayUs = kAckProbeMinUs;
}

}  // namespace asynctcp::backend
