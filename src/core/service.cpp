#include "core/service.h"

#include <cstdio>
#include <cstdlib>

#include "AsyncTCP.h"
#include "backends/backend.h"
#include "core/client_impl.h"
#include "core/server_impl.h"

namespace asynctcp {

std::atomic<Service *> Service::s_instance{nullptr};

Service &Service::start() {
  // Never destroyed: the service thread runs until the process exits, and
  // clients may still be deleted from static destructors.
  static Service *service = [] {
    if (!backend::init()) {
      std::fprintf(stderr, "asynctcp: cannot initialise the network backend\n");
      std::abort();
    }
    auto *s = new Service();
    os::ThreadOptions options{"async_tcp", CONFIG_ASYNC_TCP_STACK_SIZE,
                              CONFIG_ASYNC_TCP_RUNNING_CORE};
    if (!os::startThread(options, &Service::threadMain, s)) {
      std::fprintf(stderr, "asynctcp: cannot start the service thread\n");
      std::abort();
    }
    return s;
  }();
  s_instance.store(service, std::memory_order_release);
  return *service;
}

void Service::threadMain(void *self) {
  Service *s = static_cast<Service *>(self);
  s->lockCore();  // the service thread holds the lock but while it waits or runs a callback
  backend::run();
}

void Service::wakeLoop() {
  backend::wake();
}

void Service::waitOutCallbacksOf(const void *object) {
  if (os::onServiceThread())
    return;  // a callback deleting its own object, or another: nothing runs meanwhile
  while (_inCallbackOf && (!object || _inCallbackOf == object)) {
    ++_waiters;
    unlockCore();
    _callbackEnded.wait(1);  // a notify per callback end; the timeout covers several waiters
    lockCore();
    --_waiters;
  }
}

void Service::scheduleEnd(ClientImpl *c) {
  ASYNCTCP_ASSERT_CORE_LOCKED();
  c->endPending = true;
  _ends.push_back(c);
  _afterWork = true;
}

void Service::cancelEnd(ClientImpl *c) {
  ASYNCTCP_ASSERT_CORE_LOCKED();
  if (!c->endPending)
    return;
  c->endPending = false;
  for (auto &e : _ends)
    if (e == c)
      e = nullptr;
}

void Service::runAfterWork() {
  if (!_pushes.empty())
    runPushes();
  if (!_ends.empty() && !_runningEnds)
    runEnds();
  // Inside runEnds() (a callback of an end), its own loop takes what is added.
  _afterWork = !_pushes.empty() || (!_ends.empty() && !_runningEnds);
}

void Service::runPushes() {
  // Clients stay alive at least until freeRetired(), which runs after this; a deleted
  // one has pushed already (detachOwner()) and cleared its flag.
  for (size_t i = 0; i < _pushes.size(); ++i)
    if (_pushes[i]->pushPending)
      _pushes[i]->send();
  _pushes.clear();
}

void Service::runEnds() {
  _runningEnds = true;
  // Index loop: delivering one end may schedule more.
  for (size_t i = 0; i < _ends.size(); ++i) {
    ClientImpl *c = _ends[i];
    if (c == nullptr || !c->endPending)
      continue;
    c->endPending = false;
    c->deliverEnd();
  }
  _ends.clear();
  _runningEnds = false;
}

void Service::retire(ClientImpl *c) {
  ASYNCTCP_ASSERT_CORE_LOCKED();
  _retiredClients.push_back(c);
}
void Service::retire(ServerImpl *s) {
  ASYNCTCP_ASSERT_CORE_LOCKED();
  _retiredServers.push_back(s);
}

void Service::freeRetired() {
  for (ClientImpl *c : _retiredClients)
    delete c;
  _retiredClients.clear();
  for (ServerImpl *s : _retiredServers)
    delete s;
  _retiredServers.clear();
}

void Service::track(ClientImpl *c, uint64_t now) {
  ASYNCTCP_ASSERT_CORE_LOCKED();
  if (c->trackIndex != UINT32_MAX)
    return;
  c->trackIndex = uint32_t(_tracked.size());
  _tracked.push_back(c);
  armTimer(c->nextDeadline(now));
}

void Service::untrack(ClientImpl *c) {
  ASYNCTCP_ASSERT_CORE_LOCKED();
  if (c->trackIndex == UINT32_MAX)
    return;
  ClientImpl *last = _tracked.back();
  _tracked[c->trackIndex] = last;
  last->trackIndex = c->trackIndex;
  _tracked.pop_back();
  c->trackIndex = UINT32_MAX;
}

void Service::armTimer(uint64_t atMs) {
  ASYNCTCP_ASSERT_CORE_LOCKED();
  if (atMs < _nextTimerAt)
    _nextTimerAt = atMs;
}

int64_t Service::nextTimeoutMs() {
  if (!_ends.empty() || !_retiredClients.empty() || !_retiredServers.empty())
    return 0;
  if (_nextTimerAt == UINT64_MAX)
    return -1;
  uint64_t now = os::nowMs();
  return _nextTimerAt <= now ? 0 : int64_t(_nextTimerAt - now);
}

void Service::runTimers(uint64_t now) {
  // Collect first: a callback may close, delete or reconnect any client.
  _due.clear();
  uint64_t next = UINT64_MAX;
  for (ClientImpl *c : _tracked) {
    uint64_t d = c->nextDeadline(now);
    if (d <= now)
      _due.push_back(c);
    else if (d < next)
      next = d;
  }
  // Batch timers into 10 ms slots so thousands of connections cost a scan per slot.
  _nextTimerAt = next == UINT64_MAX ? next : next + 9 - (next + 9) % 10;
  for (size_t i = 0; i < _due.size(); ++i) {
    ClientImpl *c = _due[i];
    if (c->trackIndex == UINT32_MAX)
      continue;  // ended meanwhile (retired, not freed yet)
    c->fireTimers(now);
    afterEvent();
    if (c->trackIndex != UINT32_MAX)
      armTimer(c->nextDeadline(now));
  }
}

void Service::loopIteration() {
  ASYNCTCP_ASSERT_CORE_LOCKED();
  uint64_t now = os::nowMs();
  if (now >= _nextTimerAt)
    runTimers(now);
  afterEvent();
  freeRetired();
}

namespace events {
int64_t nextTimeoutMs() {
  return Service::instance().nextTimeoutMs();
}
void loopIteration() {
  Service::instance().loopIteration();
}
void releaseForWait() {
  Service::instance().unlockCore();
}
void acquireAfterWait() {
  Service::instance().lockCore();
}
}  // namespace events

}  // namespace asynctcp
