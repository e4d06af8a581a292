// The few OS primitives the core needs. The core reaches threads, locks and
// clocks only through here, so a FreeRTOS port is one more implementation file.
#pragma once

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
namespace detail {
extern __thread bool t_isService;  // __thread: no C++ TLS wrapper call, the flag needs no init
}
inline bool onServiceThread() {
  return detail::t_isService;
}
namespace detail {
extern __thread bool t_holdsCore;
}
inline bool holdsCore() {
  return detail::t_holdsCore;
}
inline void setHoldsCore(bool held) {
  detail::t_holdsCore = held;
}
#endif

}  // namespace asynctcp::os
