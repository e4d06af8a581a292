#include "stress/harness.h"

#include "reliability_support.h"
#include "stress/random.h"
#include "stress/raw_peer.h"
#include "stress/remote.h"

#include <algorithm>
#include <cstdlib>
#include <thread>

using namespace std::chrono_literals;
using std::chrono::milliseconds;
using tst::Clock;

namespace stress {

namespace {

// Deletes a client that did not delete itself, while no other thread calls it.
void deleteClient(Session &s) {
  std::lock_guard<std::mutex> life(s.life);
  delete s.client;
  s.client = nullptr;
  s.deleted = true;
}

}  // namespace

std::chrono::milliseconds stressDuration() {
  if (const char *env = std::getenv("ASYNCTCP_STRESS_SECONDS")) {
    const long s = std::strtol(env, nullptr, 10);
    if (s > 0)
      return std::chrono::milliseconds(s * 1000);
  }
  return rel::kSanitized ? 3000ms : 4000ms;
}

uint16_t Stress::anyPort() {
  for (int tries = 0; tries < 8; ++tries) {
    uint16_t p = servers[size_t(rnd(0, servers.size() - 1))]->port();
    if (p)
      return p;
  }
  return 0;
}

void Stress::startCallbackSession() {
  const uint16_t port = anyPort();
  if (!port)
    return;
  auto s = randomSession(stats, false);
  auto *c = new AsyncClient;
  s->client = c;
  attachSession(s, c);
  if (chance(20))
    c->setNoDelay(true);
  stats.callbackSessions++;
  s->connectOk = c->connect(tst::loopback4(), port);
  sessions.push_back(s);
  if (!s->connectOk) {
    stats.fail("connect() returned false for a callback session");
    s->deleted = true;
    delete c;
    return;
  }
  std::lock_guard<std::mutex> lock(_m);
  _live.push_back(s);
}

// Deletes the clients whose connection ended (the ones that did not delete themselves).
void Stress::reapFinished() {
  std::vector<std::shared_ptr<Session>> done;
  {
    std::lock_guard<std::mutex> lock(_m);
    auto it = std::partition(_live.begin(), _live.end(),
                             [](const std::shared_ptr<Session> &s) { return !s->finished; });
    done.assign(it, _live.end());
    _live.erase(it, _live.end());
  }
  for (auto &s : done) {
    if (!s->deleted)  // else it deleted itself in a callback
      deleteClient(*s);
  }
}

// Anything left is deleted now, so the servers can finish.
void Stress::deleteRest() {
  std::vector<std::shared_ptr<Session>> rest;
  {
    std::lock_guard<std::mutex> lock(_m);
    rest.swap(_live);
    sessions.insert(sessions.end(), _remote.begin(), _remote.end());
  }
  for (auto &s : rest) {
    if (!s->deleted)
      deleteClient(*s);
  }
}

void Stress::remoteLoop() {
  while (running()) {
    auto s = randomSession(stats, true);
    {
      std::lock_guard<std::mutex> lock(_m);
      _remote.push_back(s);
    }
    if (const uint16_t port = anyPort())
      driveRemoteSession(stats, s, port);
  }
}

void Stress::rawLoop() {
  while (running()) {
    if (const uint16_t port = anyPort())
      runRawPeer(stats, port);
  }
}

void Stress::chaosLoop() {
  auto nextRestart = Clock::now() + milliseconds(rnd(100, 300));
  while (running()) {
    std::this_thread::sleep_for(milliseconds(rnd(1, 4)));
    if (Clock::now() >= nextRestart) {
      StressServer &srv = *servers[size_t(rnd(0, servers.size() - 1))];
      srv.end();
      std::this_thread::sleep_for(milliseconds(rnd(5, 40)));
      srv.begin();
      stats.serverRestarts++;
      nextRestart = Clock::now() + milliseconds(rnd(100, 300));
    }
    // close() or abort() a live callback session from outside the service thread.
    std::shared_ptr<Session> victim;
    {
      std::lock_guard<std::mutex> lock(_m);
      if (!_live.empty()) {
        auto &s = _live[size_t(rnd(0, _live.size() - 1))];
        if (s->end == ClientEnd::ChaosTarget)
          victim = s;
      }
    }
    if (!victim || !chance(30))
      continue;
    std::lock_guard<std::mutex> life(victim->life);
    if (!victim->client || victim->deleted)
      continue;
    victim->chaosTouched = true;
    stats.chaosCalls++;
    if (chance(50))
      victim->client->close();
    else
      victim->client->abort();
  }
}

void Stress::run() {
  const int kServers = 3;
  for (int i = 0; i < kServers; ++i)
    servers.push_back(std::make_unique<StressServer>(stats));
  const size_t maxInflight = size_t(rel::scaled(48, 24));
  _deadline = Clock::now() + _duration;
  std::vector<std::thread> threads;
  threads.emplace_back([this] { chaosLoop(); });
  for (int i = 0; i < 2; ++i)
    threads.emplace_back([this] { remoteLoop(); });
  for (int i = 0; i < 3; ++i)
    threads.emplace_back([this] { rawLoop(); });
  while (running()) {
    reapFinished();
    size_t live;
    {
      std::lock_guard<std::mutex> lock(_m);
      live = _live.size();
    }
    if (live < maxInflight)
      startCallbackSession();
    else
      std::this_thread::sleep_for(200us);
  }
  for (auto &t : threads)
    t.join();
  // Let every callback session run to its end.
  const bool drained = tst::waitFor(
      [&] {
        reapFinished();
        std::lock_guard<std::mutex> lock(_m);
        return _live.empty();
      },
      15000ms);
  if (!drained) {
    std::lock_guard<std::mutex> lock(_m);
    for (auto &s : _live)
      stats.fail("callback session never ended: " + s->describe());
  }
  deleteRest();
}

}  // namespace stress
