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
  static Service &instance() {
    Service *s = s_instance.load(std::memory_order_acquire);
    return s ? *s : start();
  }
  // For code that runs only once the service is up (dispatch, callbacks): no start test.
  static Service &running() { return *s_instance.load(std::memory_order_relaxed); }

  // The core lock. Everything the core and the backend keep is guarded by it. The
  // service thread holds it whenever it runs library code, and lets it go while it
  // waits for events and while a user callback runs; every public method takes it, on
  // any thread. So a call from another thread never waits for a user callback (as on
  // ESP32, where such calls go to lwIP's thread, which runs no user code), only for
  // library code, and callbacks calling the library take it like anyone else.
  //
  // call() runs f under the lock (at once when the caller already holds it: library
  // code, or f calling further public methods) and returns what f returns, then wakes
  // the service thread when the caller is another thread, so that what f changed (a
  // write, a close, a timer) is acted on. query() is call() for reads, which need no wake.
  template <class F>
  static auto call(F &&f) -> decltype(f()) {
    return locked<true>(f);
  }
  template <class F>
  static auto query(F &&f) -> decltype(f()) {
    return locked<false>(f);
  }

  // Runs a user callback of `object` (a ClientImpl or ServerImpl) without the lock.
  // No unwinding crosses it (noexcept: an exception thrown by a user callback ends the
  // program here, as it would have further up the service thread), so that it inlines
  // into the dispatch code without a frame of its own.
  template <class F>
  static void runCallback(const void *object, const F &callback) noexcept {
    ASYNCTCP_ASSERT_CORE_LOCKED();
    Service &s = running();
    s._inCallbackOf = object;
    s.unlockCore();
    callback();
    s.lockCore();
    s._inCallbackOf = nullptr;
    if (__builtin_expect(s._waiters != 0, 0))
      s._callbackEnded.notify();
  }

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
    ASYNCTCP_ASSERT_CORE_LOCKED();
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

  // Called once per event, where backend events and timers enter the core: runs what the
  // event's callbacks left due (pushes, then ends). Inline: most events leave nothing.
  void afterEvent() {
    if (__builtin_expect(_afterWork, false))
      runAfterWork();
  }
  void schedulePush(ClientImpl *c) {
    ASYNCTCP_ASSERT_CORE_LOCKED();
    _pushes.push_back(c);
    _afterWork = true;
  }

  int64_t nextTimeoutMs();
  void loopIteration();

private:
  static std::atomic<Service *> s_instance;
  static Service &start();

  template <bool Wake, class F>
  static auto locked(F &f) -> decltype(f()) {
    Service &s = instance();
    if (os::holdsCore())
      return f();
    Hold<Wake> hold(s);
    return f();
  }
  template <bool Wake>
  struct Hold {
    explicit Hold(Service &s) : s(s) { s.lockCore(); }
    ~Hold() {
      s.unlockCore();
      if (Wake && !os::onServiceThread())
        wakeLoop();
    }
    Service &s;
  };
  static void wakeLoop();

  Service() = default;
  static void threadMain(void *self);
  void runTimers(uint64_t now);
  void runAfterWork();
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
  bool _afterWork = false;  // _pushes or _ends may have work: one test per callback
  std::vector<ClientImpl *> _retiredClients;
  std::vector<ServerImpl *> _retiredServers;
  std::vector<ClientImpl *> _tracked;  // index kept in ClientImpl::trackIndex
  std::vector<ClientImpl *> _due;
  uint64_t _nextTimerAt = UINT64_MAX;
};

}  // namespace asynctcp
