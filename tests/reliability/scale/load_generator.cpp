#include <sys/epoll.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <memory>

#include "load_engine.h"

namespace scale::load {

void Engine::startRound(uint32_t s, uint64_t payload, After after) {
  Peer &p = _peers[s];
  leaveIdle(s);
  p.target = p.sent + payload;
  p.after = after;
  p.phase = Phase::Exchanging;
  p.lastProgress = now();
  ++_t.rounds;
  pump(s);
}

void Engine::churnOne() {
  if (_idle.empty())
    return;
  const uint32_t s = _idle[size_t(rnd(0, _idle.size() - 1))];
  ++_t.churnOps;
  const int r = int(rnd(0, 99));
  const uint64_t payload = rnd(1, _o.roundMax);
  // Ends only while the replacements keep up: the population stays at Options::conns.
  if (r < 45 || live() < _o.conns) {
    startRound(s, payload, After::Hold);
  } else if (r < 60) {
    endByUs(s, After::Fin);
  } else if (r < 70) {
    startRound(s, payload, After::Fin);
  } else if (r < 80) {
    endByUs(s, After::Reset);
  } else if (r < 88) {
    Peer &p = _peers[s];
    p.resetAt = p.sent + rnd(0, payload);  // part-way through the round
    startRound(s, payload, After::Reset);
  } else {
    endByUs(s, After::CloseNoWait);
  }
}

ServerPlan Engine::randomPlan() {
  const int r = int(rnd(0, 99));
  return r < 55   ? ServerPlan::Echo
         : r < 65 ? ServerPlan::Close
         : r < 75 ? ServerPlan::Abort
         : r < 85 ? ServerPlan::Delete
                  : ServerPlan::Chaos;
}

void Engine::beginTeardown() {
  _tearingDown = true;
  _churning = false;
  for (Peer &p : _peers)
    if (p.phase == Phase::Connecting || p.phase == Phase::Exchanging)
      if (p.after == After::Hold)
        p.after = After::Fin;
}

// Ends idle connections, at most Options::endRate a second (0: all at once): a lossy link
// (lwIP's TAP) drops frames in a burst, and a dropped RST is never sent again.
void Engine::endSomeIdle(double dt) {
  size_t n = _idle.size();
  if (_o.endRate > 0) {
    _endBudget = std::min(_endBudget + _o.endRate * dt, _o.endRate);
    n = std::min(n, size_t(_endBudget));
    _endBudget -= double(n);
  }
  for (size_t i = 0; i < n && !_idle.empty(); ++i) {
    const uint32_t s = _idle[size_t(rnd(0, _idle.size() - 1))];
    const int r = int(rnd(0, 3));
    endByUs(s, r < 2 ? After::Fin : r == 2 ? After::Reset : After::CloseNoWait);
  }
}

void Engine::scanStalls() {
  const uint32_t t = now();
  for (uint32_t s = 0; s < _peers.size(); ++s) {
    const Peer &p = _peers[s];
    if (p.phase != Phase::Free && p.phase != Phase::Idle && t - p.lastProgress > _o.stallSeconds)
      fail(s, _t.stalled, "no progress");
  }
}

void Engine::tick() {
  switch (*_command) {
    case kChurn:
      _churning = !_tearingDown;
      std::printf("churning live=%zu\n", live());
      break;
    case kQuiet:
      _churning = false;
      _wantQuiet = true;
      break;
    case kTeardown:
      if (!_tearingDown)
        beginTeardown();
      std::printf("teardown live=%zu\n", live());
      break;
  }
  *_command = kNone;
  const bool ramping = _rampOpened < _o.conns;
  if (!_tearingDown && (ramping || _churning)) {
    while (live() < _o.conns && _setup < _o.parallel) {
      open(ramping ? ServerPlan::Echo : randomPlan());
      _rampOpened += ramping;
    }
  }
  if (!_rampReported && !ramping && _setup == 0) {
    _rampReported = true;
    std::printf("ramped live=%zu established=%llu seconds=%.1f\n", live(),
                (unsigned long long)_t.established, monoSeconds() - _start);
  }
  const double t = monoSeconds();
  if (_churning) {
    _budget = std::min(_budget + _o.churnRate * (t - _lastTick), _o.churnRate);
    for (; _budget >= 1; _budget -= 1)
      churnOne();
  }
  if (_tearingDown)
    endSomeIdle(t - _lastTick);
  _lastTick = t;
  if (_wantQuiet && live() == _idle.size()) {
    _wantQuiet = false;
    std::printf("quiet live=%zu\n", live());
  }
  if (t - _lastScan >= 1) {
    _lastScan = t;
    scanStalls();
  }
  if (t - _lastProgressLine >= 10) {
    _lastProgressLine = t;
    std::printf("progress seconds=%.0f live=%zu idle=%zu setup=%zu opened=%llu failures=%llu\n",
                t - _start, live(), _idle.size(), _setup, (unsigned long long)_t.opened,
                (unsigned long long)_t.failures());
  }
  std::fflush(stdout);
}

int Engine::run() {
  _ep = epoll_create1(EPOLL_CLOEXEC);
  if (_ep < 0) {
    std::perror("load: epoll_create1");
    return 2;
  }
  epoll_event evs[512];
  while (!(_tearingDown && live() == 0)) {
    const int n = epoll_wait(_ep, evs, 512, 5);
    for (int i = 0; i < n; ++i)
      onEvent(evs[i].data.u64, evs[i].events);
    tick();
  }
  ::close(_ep);
  _t.print(stdout, monoSeconds() - _start);
  return _t.failures() == 0 && _t.ends() == _t.opened ? 0 : 3;
}

int run(const Options &o, volatile sig_atomic_t *command) {
  auto engine = std::make_unique<Engine>(o, command);
  return engine->run();
}

}  // namespace scale::load
