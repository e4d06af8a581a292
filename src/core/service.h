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

  // Runs f on the service thread and returns when it has run: inline when called
  // there, else queued and the caller waits (like lwIP's tcpip_api_call). Static,
  // and the cross-thread path out of line: a call from a callback (the service
  // thread, so the service exists) is the test and f, which keeps write() from
  // onData cheap.
  template <class F>
  static void call(F &&f) {
    if (os::onServiceThread()) {
      f();
      return;
    }
    using Fn = std::remove_reference_t<F>;
    callFromElsewhere([](void *p) { (*static_cast<Fn *>(p))(); },
                      const_cast<void *>(static_cast<const void *>(&f)));
  }

  // call() that hands back f's result.
  template <class F>
  static auto get(F &&f) -> decltype(f()) {
    if (os::onServiceThread())
      return f();
    decltype(f()) result{};
    call([&] { result = f(); });
    return result;
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

  struct Command {
    void (*fn)(void *) = nullptr;
    void *ctx = nullptr;
    os::Signal done;
    Command *next = nullptr;
  };

  Service() = default;
  static void threadMain(void *self);
  static void callFromElsewhere(void (*fn)(void *), void *ctx);
  void runCommands();
  void runTimers(uint64_t now);
  void runEnds();
  void freeRetired();

  os::Mutex _commandLock;
  Command *_commandsHead = nullptr;  // guarded by _commandLock
  Command *_commandsTail = nullptr;

  // Service-thread state below.
  std::vector<ClientImpl *> _ends;
  std::vector<ClientImpl *> _pushes;  // add()ed without send(); skipped once sent
  void runPushes();
  bool _runningEnds = false;
  std::vector<ClientImpl *> _retiredClients;
  std::vector<ServerImpl *> _retiredServers;
  std::vector<ClientImpl *> _tracked;  // index kept in ClientImpl::trackIndex
  std::vector<ClientImpl *> _due;
  uint64_t _nextTimerAt = UINT64_MAX;
};

}  // namespace asynctcp
