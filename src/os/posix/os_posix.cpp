// POSIX implementation of src/os/os.h (pthreads, CLOCK_MONOTONIC).
// Host only: the Arduino IDE compiles every file under src/, ESP32 builds skip this one.
#if !defined(ESP_PLATFORM)

#include "os/os.h"

#include <linux/futex.h>
#include <pthread.h>
#include <sched.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <new>

namespace asynctcp::os {

static_assert(sizeof(pthread_mutex_t) <= 64, "mutex storage too small");
static_assert(sizeof(pthread_cond_t) <= 64, "cond storage too small");

uint64_t nowUs() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return uint64_t(ts.tv_sec) * 1000000u + uint64_t(ts.tv_nsec) / 1000u;
}

uint64_t nowMs() {
  return nowUs() / 1000u;
}

static pthread_mutex_t *asMutex(unsigned char *p) {
  return reinterpret_cast<pthread_mutex_t *>(p);
}
static pthread_cond_t *asCond(unsigned char *p) {
  return reinterpret_cast<pthread_cond_t *>(p);
}

Mutex::Mutex() {
  pthread_mutex_init(new (_storage) pthread_mutex_t, nullptr);
}
Mutex::~Mutex() {
  pthread_mutex_destroy(asMutex(_storage));
}
void Mutex::lock() {
  pthread_mutex_lock(asMutex(_storage));
}
void Mutex::unlock() {
  pthread_mutex_unlock(asMutex(_storage));
}

static_assert(sizeof(std::atomic<int>) == sizeof(int), "the futex word is the atomic itself");

// Drepper's futex mutex ("Futexes Are Tricky", mutex 3): 2 means there may be waiters, so
// the one letting go wakes one of them.
void Lock::lockContended(int seen) {
  if (seen != 2)
    seen = _state.exchange(2, std::memory_order_acquire);
  while (seen != 0) {
    syscall(SYS_futex, reinterpret_cast<int *>(&_state), FUTEX_WAIT_PRIVATE, 2, nullptr, nullptr,
            0);
    seen = _state.exchange(2, std::memory_order_acquire);
  }
}

void Lock::unlockContended() {
  _state.store(0, std::memory_order_release);
  syscall(SYS_futex, reinterpret_cast<int *>(&_state), FUTEX_WAKE_PRIVATE, 1, nullptr, nullptr, 0);
}

Signal::Signal() {
  pthread_cond_init(new (_cond) pthread_cond_t, nullptr);
}
Signal::~Signal() {
  pthread_cond_destroy(asCond(_cond));
}

void Signal::raise() {
  LockGuard g(_mutex);
  _raised = true;
  pthread_cond_signal(asCond(_cond));
}

void Signal::wait() {
  LockGuard g(_mutex);
  while (!_raised)
    pthread_cond_wait(asCond(_cond), asMutex(_mutex._storage));
}

Notifier::Notifier() {
  pthread_condattr_t attr;
  pthread_condattr_init(&attr);
  pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
  pthread_cond_init(new (_cond) pthread_cond_t, &attr);
  pthread_condattr_destroy(&attr);
}
Notifier::~Notifier() {
  pthread_cond_destroy(asCond(_cond));
}

void Notifier::notify() {
  LockGuard g(_mutex);
  _notified = true;
  pthread_cond_signal(asCond(_cond));
}

void Notifier::wait(int64_t timeoutMs) {
  LockGuard g(_mutex);
  if (timeoutMs < 0) {
    while (!_notified)
      pthread_cond_wait(asCond(_cond), asMutex(_mutex._storage));
  } else if (!_notified && timeoutMs > 0) {
    timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    ts.tv_sec += timeoutMs / 1000;
    ts.tv_nsec += (timeoutMs % 1000) * 1000000;
    if (ts.tv_nsec >= 1000000000) {
      ts.tv_sec += 1;
      ts.tv_nsec -= 1000000000;
    }
    while (!_notified)
      if (pthread_cond_timedwait(asCond(_cond), asMutex(_mutex._storage), &ts) != 0)
        break;
  }
  _notified = false;
}

// Set by the service thread itself, so it knows itself from its first instruction on.
__thread bool detail::t_isService ASYNCTCP_FAST_TLS = false;
__thread bool detail::t_holdsCore ASYNCTCP_FAST_TLS = false;

namespace {

struct Start {
  void (*entry)(void *);
  void *arg;
};

void *trampoline(void *p) {
  Start s = *static_cast<Start *>(p);
  delete static_cast<Start *>(p);
  detail::t_isService = true;
  s.entry(s.arg);
  return nullptr;
}
}  // namespace

bool startThread(const ThreadOptions &options, void (*entry)(void *), void *arg) {
  pthread_attr_t attr;
  pthread_attr_init(&attr);
  if (options.stackSize >= 65536)
    pthread_attr_setstacksize(&attr, options.stackSize);
  auto *start = new Start{entry, arg};
  pthread_t thread;
  int rc = pthread_create(&thread, &attr, trampoline, start);
  pthread_attr_destroy(&attr);
  if (rc != 0) {
    delete start;
    return false;
  }
  if (options.name)
    pthread_setname_np(thread, options.name);
  if (options.core >= 0) {
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(options.core, &set);
    pthread_setaffinity_np(thread, sizeof(set), &set);
  }
  pthread_detach(thread);
  return true;
}

}  // namespace asynctcp::os

#endif  // !defined(ESP_PLATFORM)
