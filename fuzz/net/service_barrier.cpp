#include "net/service_barrier.h"

#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <sys/epoll.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <mutex>

#include "backends/backend.h"
#include "net/check.h"
#include "net/prof.h"
#include "net/virtual_clock.h"

extern "C" void __real__ZN8asynctcp6events14releaseForWaitEv();
extern "C" void __real__ZN8asynctcp6events16acquireAfterWaitEv();

namespace fuzz {

namespace {
std::mutex g_mutex;
std::condition_variable g_passEnded;
uint64_t g_passes = 0;  // passes ended (waits entered), guarded by g_mutex
bool g_inWait = false;  // between releaseForWait and acquireAfterWait
// The service thread, between releaseForWait and acquireAfterWait: its blocking call there
// is the loop's wait (the wrappers below ignore every other thread and call).
thread_local bool t_loopWaits = false;

// The loop's wait, as its blocking call saw it; guarded by g_mutex.
struct Wait {
  bool blocked = false;    // inside the blocking call
  bool immediate = false;  // its timeout was 0: it returns at once
  uint64_t gen = 0;        // blocking calls so far
  int64_t deadlineNs = -1;  // CLOCK_MONOTONIC, -1: none
  uint64_t jumpedUs = 0;    // the virtual clock's jumps when it began
  int epfd = -1;            // posix: the epoll set it waits on
  uint64_t notifiesDone = 0;  // lwIP: Notifier::notify() calls ended when it began
};
Wait g_wait;
// lwIP: Notifier::notify() calls begun and ended (guarded by g_mutex).
[[maybe_unused]] uint64_t g_notifiesBegun = 0;
uint64_t g_notifiesDone = 0;
pid_t g_serviceTid = 0;

int64_t monoNs() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return int64_t(ts.tv_sec) * 1000000000 + ts.tv_nsec;
}

// Called by the service thread right before its blocking call (deadline -1: none, 0: it
// returns at once).
void beginBlock(int epfd, int64_t deadlineNs, bool immediate) {
  std::lock_guard<std::mutex> lock(g_mutex);
  g_wait.blocked = true;
  g_wait.immediate = immediate;
  ++g_wait.gen;
  g_wait.deadlineNs = deadlineNs;
  g_wait.jumpedUs = clock::jumpedUs();
  g_wait.epfd = epfd;
  g_wait.notifiesDone = g_notifiesDone;
  if (!g_serviceTid)
    g_serviceTid = pid_t(::syscall(SYS_gettid));
}

void endBlock() {
  std::lock_guard<std::mutex> lock(g_mutex);
  g_wait.blocked = false;
}

#if !defined(ASYNCTCP_BACKEND_LWIP)
// Whether the service thread is inside an epoll wait in the kernel right now, from
// /proc/self/task/<tid>/syscall ("<nr> args..." while blocked in a system call).
bool inEpollSyscall(pid_t tid) {
  static int fd = -1;
  if (fd < 0) {
    char path[64];
    std::snprintf(path, sizeof path, "/proc/self/task/%d/syscall", int(tid));
    fd = ::open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
      return false;
  }
  char buf[32];
  const ssize_t n = ::pread(fd, buf, sizeof buf - 1, 0);
  if (n <= 0)
    return false;
  buf[n] = 0;
  const long nr = std::strtol(buf, nullptr, 10);
  return (nr == SYS_epoll_wait || nr == SYS_epoll_pwait || nr == SYS_epoll_pwait2) &&
         buf[0] >= '0' && buf[0] <= '9';
}
#endif
}  // namespace

void serviceBarrier() {
  FUZZ_PROF("serviceBarrier");
  std::unique_lock<std::mutex> lock(g_mutex);
  // Waiting: the next pass begins after this call. Mid-pass: the one after it does.
  const uint64_t target = g_passes + (g_inWait ? 1 : 2);
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (g_passes < target) {
    // Woken again after each slice: a pass under way may have drained the first wake-up
    // before it waited again. Not under g_mutex: on lwIP the wake-up is counted under it.
    lock.unlock();
    asynctcp::backend::wake();
    lock.lock();
    if (g_passes >= target)
      break;
    g_passEnded.wait_for(lock, std::chrono::milliseconds(2));
    FUZZ_REQUIRE(std::chrono::steady_clock::now() < deadline,
                 "the service thread stopped looping (stuck in a callback or a lock?)");
  }
}

bool serviceIdle() {
  uint64_t gen;
  int epfd;
  pid_t tid;
  {
    std::lock_guard<std::mutex> lock(g_mutex);
    if (!g_inWait || !g_wait.blocked || g_wait.immediate)
      return false;
    if (g_wait.deadlineNs >= 0 && monoNs() >= g_wait.deadlineNs)
      return false;  // its timeout is up: it is about to run its timers
    if (g_wait.jumpedUs != clock::jumpedUs())
      return false;  // the clocks jumped since it began: a deadline may have passed
#if defined(ASYNCTCP_BACKEND_LWIP)
    // Blocked on its notifier, and nobody notified it since (a notify under way counts).
    return g_notifiesBegun == g_notifiesDone && g_notifiesDone == g_wait.notifiesDone;
#else
    gen = g_wait.gen;
    epfd = g_wait.epfd;
    tid = g_serviceTid;
#endif
  }
#if !defined(ASYNCTCP_BACKEND_LWIP)
  // Nothing ready in its epoll set (the waker's eventfd is in it too)...
  pollfd p{epfd, POLLIN, 0};
  if (::poll(&p, 1, 0) != 0)
    return false;
  // ...and it is still asleep in that same wait: it did not take events (edge-triggered
  // ones leave the ready list as they are taken) that it has yet to handle.
  if (!inEpollSyscall(tid))
    return false;
  std::lock_guard<std::mutex> lock(g_mutex);
  return g_wait.blocked && g_wait.gen == gen;
#else
  (void)gen;
  (void)epfd;
  (void)tid;
#endif
}

void serviceBarrierUnlessIdle() {
  if (serviceIdle()) {
    FUZZ_PROF("serviceBarrier.skipped");
    return;
  }
  serviceBarrier();
}

}  // namespace fuzz

// asynctcp::events::releaseForWait() and acquireAfterWait(), around every wait of the loop.
extern "C" void __wrap__ZN8asynctcp6events14releaseForWaitEv() {
  {
    std::lock_guard<std::mutex> lock(fuzz::g_mutex);
    ++fuzz::g_passes;
    fuzz::g_inWait = true;
  }
  fuzz::t_loopWaits = true;
  fuzz::g_passEnded.notify_all();
  __real__ZN8asynctcp6events14releaseForWaitEv();
}

extern "C" void __wrap__ZN8asynctcp6events16acquireAfterWaitEv() {
  fuzz::t_loopWaits = false;
  __real__ZN8asynctcp6events16acquireAfterWaitEv();
  std::lock_guard<std::mutex> lock(fuzz::g_mutex);
  fuzz::g_inWait = false;
}

#if !defined(ASYNCTCP_BACKEND_LWIP)
// The epoll loop's wait (backends/posix/poll_loop.cpp): epoll_pwait2, or epoll_wait.
extern "C" int __real_epoll_pwait2(int, struct epoll_event *, int, const struct timespec *,
                                   const sigset_t *);
extern "C" int __real_epoll_wait(int, struct epoll_event *, int, int);

extern "C" int __wrap_epoll_pwait2(int epfd, struct epoll_event *events, int max,
                                   const struct timespec *timeout, const sigset_t *sigmask) {
  if (!fuzz::t_loopWaits)
    return __real_epoll_pwait2(epfd, events, max, timeout, sigmask);
  const int64_t ns = timeout ? int64_t(timeout->tv_sec) * 1000000000 + timeout->tv_nsec : -1;
  fuzz::beginBlock(epfd, ns < 0 ? -1 : fuzz::monoNs() + ns, ns == 0);
  const int n = __real_epoll_pwait2(epfd, events, max, timeout, sigmask);
  fuzz::endBlock();
  return n;
}

extern "C" int __wrap_epoll_wait(int epfd, struct epoll_event *events, int max, int timeoutMs) {
  if (!fuzz::t_loopWaits)
    return __real_epoll_wait(epfd, events, max, timeoutMs);
  fuzz::beginBlock(epfd, timeoutMs < 0 ? -1 : fuzz::monoNs() + int64_t(timeoutMs) * 1000000,
                   timeoutMs == 0);
  const int n = __real_epoll_wait(epfd, events, max, timeoutMs);
  fuzz::endBlock();
  return n;
}
#else
// The lwIP backend's loop waits on an os::Notifier (backends/lwip/mailbox.cpp), whose wait()
// blocks in pthread_cond_wait/timedwait (CLOCK_MONOTONIC) only once it found itself not
// notified, holding the notifier's mutex; a notify() can only land after that.
extern "C" int __real_pthread_cond_wait(pthread_cond_t *, pthread_mutex_t *);
extern "C" int __real_pthread_cond_timedwait(pthread_cond_t *, pthread_mutex_t *,
                                             const struct timespec *);
extern "C" void __real__ZN8asynctcp2os8Notifier6notifyEv(void *self);

extern "C" int __wrap_pthread_cond_wait(pthread_cond_t *cond, pthread_mutex_t *mutex) {
  if (!fuzz::t_loopWaits)
    return __real_pthread_cond_wait(cond, mutex);
  fuzz::beginBlock(-1, -1, false);
  const int r = __real_pthread_cond_wait(cond, mutex);
  fuzz::endBlock();
  return r;
}

extern "C" int __wrap_pthread_cond_timedwait(pthread_cond_t *cond, pthread_mutex_t *mutex,
                                             const struct timespec *abstime) {
  if (!fuzz::t_loopWaits)
    return __real_pthread_cond_timedwait(cond, mutex, abstime);
  fuzz::beginBlock(-1, int64_t(abstime->tv_sec) * 1000000000 + abstime->tv_nsec, false);
  const int r = __real_pthread_cond_timedwait(cond, mutex, abstime);
  fuzz::endBlock();
  return r;
}

// asynctcp::os::Notifier::notify(): counted as it begins and once it has ended.
extern "C" void __wrap__ZN8asynctcp2os8Notifier6notifyEv(void *self) {
  {
    std::lock_guard<std::mutex> lock(fuzz::g_mutex);
    ++fuzz::g_notifiesBegun;
  }
  __real__ZN8asynctcp2os8Notifier6notifyEv(self);
  std::lock_guard<std::mutex> lock(fuzz::g_mutex);
  ++fuzz::g_notifiesDone;
}
#endif
