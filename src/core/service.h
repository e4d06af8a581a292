// The service: the one thread every user callback runs on, and what the core
// keeps there (commands from other threads, connection timers, connection ends
// waiting to be reported, objects waiting to be freed).
#pragma once

#include <atomic>
#include <cstdint>
#include <type_traits>
#include <vector>

#include "os/os.h"

namespace asynctcp {

struct ClientImpl;
struct ServerImpl;

class Service {
public:
  // Starts the service thread on first use. Inline: every public method asks.
  static Service &get() {
    Service *s = s_instance.load(std::memory_order_acquire);
    return s ? *s : start();
  }

  // The core lock. Everything the core and the backend keep is guarded by it. The
  // service thread holds it whenever it runs library code, and lets it go while it
  // waits for events and while a user callback runs; every public method takes it, on
  // any thread. So a call from another thread never waits for a user callback (as on
  // ESP32, where such calls go to lwIP's thread, which runs no user code), only for
  // library code, and callbacks calling the library take it like anyone else.
  //
  // call()/get() run f under the lock (at once when the caller already holds it:
  // library code, or f calling further public methods), then wake the service thread
  // when the caller is another thread, so that what f changed (a write, a close, a
  // timer) is acted on. query() is get() for reads, which need no wake.
  template <class F>
  static void call(F &&f) {
    locked(true, f);
  }
  template <class F>
  static auto get(F &&f) -> decltype(f()) {
    return locked(true, f);
  }
  template <class F>
  static auto query(F &&f) -> decltype(f()) {
    return locked(false, f);
  }

  // Runs a user callback of `object` (a ClientImpl or ServerImpl) without the lock.
  class CallbackScope {
  public:
    explicit CallbackScope(const void *object) : _s(*s_instance.load(std::memory_order_relaxed)) {
      _s._inCallbackOf = object;
      _s.unlockCore();
    }
    ~CallbackScope() {
      _s.lockCore();
      _s._inCallbackOf = nullptr;
      if (_s._waiters)
        _s._callbackEnded.notify();
    }
    CallbackScope(const CallbackScope &) = delete;
    CallbackScope &operator=(const CallbackScope &) = delete;

  private:
    Service &_s;
  };

  // With the lock held, on another thread: returns once no callback of `object` runs
  // (nullptr: once no callback at all runs). The one wait a call from another thread may
  // have: replacing a handler while it runs would free what runs, and a destructor waits
  // for whatever callback runs (it may be using state the caller frees next, as the old
  // synchronous destructors let programs assume).
  void waitOutCallbacksOf(const void *object);

  // Taking and letting go of the core lock, with the thread's note that it holds it.
  // The backend's loop lets it go while it waits for events (events::releaseForWait()).
  void lockCore() {
    _core.lock();
    os::setHoldsCore(true);
  }
  void unlockCore() {
    os::setHoldsCore(false);
    _core.unlock();
  }

  // A connection ended: its onError/onDisconnect run after the current callback.
  void scheduleEnd(ClientImpl *c);
  void cancelEnd(ClientImpl *c);
  // Freed at the end of the loop iteration, when no dispatch can still hold it.
  void retire(ClientImpl *c);
  void retire(ServerImpl *s);

  // Connection timers (poll, ack/rx/connect timeouts).
  void track(ClientImpl *c, uint64_t now);
  void untrack(ClientImpl *c);
  void armTimer(uint64_t atMs);

  // Called by the dispatch code after every user callback returns. Inline: most
  // callbacks end no connection.
  void afterCallback() {
    if (!_pushes.empty())
      runPushes();
    if (!_ends.empty() && !_runningEnds)
      runEnds();
  }
  void schedulePush(ClientImpl *c) { _pushes.push_back(c); }

  int64_t nextTimeoutMs();
  void loopIteration();

private:
  static std::atomic<Service *> s_instance;
  static Service &start();

  template <class F>
  static auto locked(bool wake, F &f) -> decltype(f()) {
    Service &s = get();
    if (os::holdsCore())
      return f();
    Hold hold(s, wake);
    return f();
  }
  struct Hold {
    Hold(Service &s, bool wake) : s(s), wake(wake) { s.lockCore(); }
    ~Hold() {
      s.unlockCore();
      if (wake && !os::onServiceThread())
        wakeLoop();
    }
    Service &s;
    bool wake;
  };
  static void wakeLoop();

  Service() = default;
  static void threadMain(void *self);
  void runTimers(uint64_t now);
  void runEnds();
  void runPushes();
  void freeRetired();

  os::Lock _core;
  const void *_inCallbackOf = nullptr;  // whose user callback runs (without the lock)
  int _waiters = 0;                     // threads in waitOutCallbacksOf()
  os::Notifier _callbackEnded;

  // State below: the core lock's.
  std::vector<ClientImpl *> _ends;
  std::vector<ClientImpl *> _pushes;  // add()ed without send(); skipped once sent
  bool _runningEnds = false;
  std::vector<ClientImpl *> _retiredClients;
  std::vector<ServerImpl *> _retiredServers;
  std::vector<ClientImpl *> _tracked;  // index kept in ClientImpl::trackIndex
  std::vector<ClientImpl *> _due;
  uint64_t _nextTimerAt = UINT64_MAX;
};

}  // namespace asynctcp
