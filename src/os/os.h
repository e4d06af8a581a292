// The few OS primitives the core needs. The core reaches threads, locks and
// clocks only through here, so a FreeRTOS port is one more implementation file.
#pragma once

#include <atomic>
#include <cassert>
#include <cstddef>
#include <cstdint>

namespace asynctcp::os {

// Milliseconds on a monotonic clock; never goes back.
uint64_t nowMs();
// Microseconds on the same clock, for short intervals.
uint64_t nowUs();

// A plain (non-recursive) mutex.
class Mutex {
public:
  Mutex();
  ~Mutex();
  Mutex(const Mutex &) = delete;
  Mutex &operator=(const Mutex &) = delete;
  void lock();
  void unlock();

private:
  friend class Signal;
  friend class Notifier;
  alignas(8) unsigned char _storage[64];
};

// The core lock (core/service.h): taken and let go several times per request, so on
// POSIX it is a futex lock whose uncontended path is one atomic operation each way (a
// pthread mutex costs several times that). No condition variable works with it.
#if defined(ESP_PLATFORM)
using Lock = Mutex;
#else
class Lock {
public:
  constexpr Lock() = default;
  Lock(const Lock &) = delete;
  Lock &operator=(const Lock &) = delete;
  void lock() {
    int expected = 0;
    if (!_state.compare_exchange_strong(expected, 1, std::memory_order_acquire,
                                        std::memory_order_relaxed))
      lockContended(expected);
  }
  void unlock() {
    if (_state.fetch_sub(1, std::memory_order_release) != 1)
      unlockContended();
  }

private:
  void lockContended(int seen);
  void unlockContended();
  std::atomic<int> _state{0};  // 0 free, 1 held, 2 held and maybe waited for
};
#endif

class LockGuard {
public:
  explicit LockGuard(Mutex &m) : _m(m) { _m.lock(); }
  ~LockGuard() { _m.unlock(); }
  LockGuard(const LockGuard &) = delete;
  LockGuard &operator=(const LockGuard &) = delete;

private:
  Mutex &_m;
};

// A one-shot binary semaphore: one thread waits until another raises it.
class Signal {
public:
  Signal();
  ~Signal();
  Signal(const Signal &) = delete;
  Signal &operator=(const Signal &) = delete;
  void raise();
  void wait();

private:
  Mutex _mutex;
  alignas(8) unsigned char _cond[64];
  bool _raised = false;
};

// Wakes the thread that waits on it; a notify() that comes first is not lost.
class Notifier {
public:
  Notifier();
  ~Notifier();
  Notifier(const Notifier &) = delete;
  Notifier &operator=(const Notifier &) = delete;
  void notify();
  void wait(int64_t timeoutMs);  // -1: until notified

private:
  Mutex _mutex;
  alignas(8) unsigned char _cond[64];
  bool _notified = false;
};

// The service thread. Started once; runs until the process exits.
struct ThreadOptions {
  const char *name;
  size_t stackSize;  // 0 = the platform default
  int core;          // -1 = any core
};
bool startThread(const ThreadOptions &options, void (*entry)(void *), void *arg);
// True when the caller runs on the thread started by startThread(). Every public
// method asks, so on POSIX it is an inline read of a thread-local flag.
// Whether the calling thread holds the core lock (core/service.h); set by that thread.
#if defined(ESP_PLATFORM)
bool onServiceThread();
bool holdsCore();
void setHoldsCore(bool held);
#else
// __thread: no C++ TLS wrapper call, the flags need no init. Initial-exec: one load at a
// fixed offset from the thread pointer, where the position-independent default asks the
// linker for a three-instruction sequence; the price is that a program cannot dlopen()
// the shared library late when the static TLS block is full (a few bytes here).
#define ASYNCTCP_FAST_TLS __attribute__((tls_model("initial-exec")))
namespace detail {
extern __thread bool t_isService ASYNCTCP_FAST_TLS;
}
inline bool onServiceThread() {
  return detail::t_isService;
}
namespace detail {
extern __thread bool t_holdsCore ASYNCTCP_FAST_TLS;
}
inline bool holdsCore() {
  return detail::t_holdsCore;
}
inline void setHoldsCore(bool held) {
  detail::t_holdsCore = held;
}
#endif

}  // namespace asynctcp::os

// The lock rules, checked in debug builds where state is touched, as lwIP checks its own
// with LWIP_ASSERT_CORE_LOCKED(): the core's and the backends' state is the core lock's
// (core/service.h), and a thread that does not hold it must not touch it.
#if defined(NDEBUG)
#define ASYNCTCP_ASSERT_CORE_LOCKED() ((void)0)
#else
#define ASYNCTCP_ASSERT_CORE_LOCKED() \
  assert(::asynctcp::os::holdsCore() && "this runs under the core lock")
#endif
