#include "stress/remote.h"

#include "stress/random.h"

#include <algorithm>
#include <thread>

using namespace std::chrono_literals;

namespace stress {

void driveRemoteSession(Stats &stats, const std::shared_ptr<Session> &s, uint16_t port) {
  AsyncClient *c = new AsyncClient;
  attachSession(s, c);
  stats.remoteSessions++;
  s->connectOk = c->connect(tst::loopback4(), port);
  if (!s->connectOk) {
    stats.fail("connect() returned false for a remote session");
    delete c;
    s->deleted = true;
    return;
  }
  const auto limit = tst::Clock::now() + 10s;
  tst::waitFor([&] { return s->connects > 0 || s->finished; }, 5000ms);
  // What to do, from this thread: finish the exchange, or stop part-way.
  const int how = int(rnd(0, 99));
  const bool early = how >= 60;
  const uint64_t stopAt = early ? rnd(0, s->spec.size()) : s->spec.size();
  uint64_t p = 0;
  while (s->connects > 0 && !s->finished && p < stopAt && tst::Clock::now() < limit) {
    size_t n;
    const char *d = s->spec.at(p, size_t(rnd(1, 64 * 1024)), &n);
    n = size_t(std::min<uint64_t>(n, stopAt - p));
    uint8_t flags = p < kHeader ? ASYNC_WRITE_FLAG_COPY : s->flags;
    if (p + n == s->spec.size())
      flags &= uint8_t(~ASYNC_WRITE_FLAG_MORE);
    const size_t took = c->write(d, n, flags);
    if (took > n)
      stats.fail("write() took more than offered");
    p += took;
    s->accepted = p;
    stats.bytesAccepted += took;
    if (took == 0)
      std::this_thread::sleep_for(200us);
  }
  if (!early)
    tst::waitFor([&] { return s->received == s->spec.size() || s->finished.load(); }, 5000ms);
  else
    s->chaosTouched = true;  // not a clean session any more
  if (how < 30 || how >= 90) {
    // delete straight away (graceful close, no callbacks)
    delete c;
    s->deleted = true;
    s->finished = true;
    return;
  }
  if (how < 75)
    c->close();
  else
    c->abort();
  if (!tst::waitFor([&] { return s->finished.load(); }, 5000ms))
    stats.fail("remote session: no onDisconnect after close()/abort(): " + s->describe());
  delete c;
  s->deleted = true;
}

}  // namespace stress
