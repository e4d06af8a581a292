#include "stress/session.h"

#include "stress/random.h"

#include <cinttypes>
#include <cstdio>

namespace stress {

namespace {

// Queues as much of the stream as space() allows (service thread, callback sessions).
void pump(Session &s, AsyncClient *c) {
  uint64_t p = s.accepted.load();
  bool queued = false;
  while (p < s.spec.size()) {
    size_t n;
    const char *d = s.spec.at(p, 16 * tst::kKiB + size_t(rnd(0, 48 * 1024)), &n);
    uint8_t flags = p < kHeader ? ASYNC_WRITE_FLAG_COPY : s.flags;
    if (p + n == s.spec.size())
      flags &= uint8_t(~ASYNC_WRITE_FLAG_MORE);  // the end of the stream: push it
    const size_t took = s.useWrite ? c->write(d, n, flags) : c->add(d, n, flags);
    if (took == 0)
      break;
    if (took > n) {
      s.stats->fail("add()/write() took more than offered");
      break;
    }
    p += took;
    queued = !s.useWrite;
  }
  s.stats->bytesAccepted += p - s.accepted.load();
  s.accepted = p;
  if (queued)
    c->send();
}

// Records a callback; false when it came for a deleted or ended client.
bool enter(Session &s) {
  if (s.deleted || s.finished) {
    s.late++;
    s.stats->fail("callback after delete or after onDisconnect: " + s.describe());
    return false;
  }
  return true;
}

void selfDelete(Session &s, AsyncClient *c) {
  s.deleted = true;
  s.finished = true;
  delete c;
}

// What onData does with an echo: check it, then end the session as planned.
void onEcho(Session &s, AsyncClient *cl, void *data, size_t len) {
  const uint64_t at = s.received.load();
  if (!s.corrupt && !s.spec.matches(at, data, len)) {
    s.corrupt = true;
    s.stats->fail("client: echo differs from what was sent at offset " + std::to_string(at) + ": " +
                  s.describe());
  }
  s.received = at + len;
  s.stats->bytesEchoed += len;
  if (s.remote)
    return;
  const bool whenDone = s.end == ClientEnd::CloseWhenDone || s.end == ClientEnd::DeleteWhenDone ||
                        s.end == ClientEnd::ChaosTarget;
  const bool now =
      whenDone ? s.received.load() == s.spec.size() : s.received.load() >= s.clientThreshold;
  if (!now)
    return;
  switch (s.end) {
    case ClientEnd::CloseWhenDone:
    case ClientEnd::ChaosTarget:
    case ClientEnd::CloseEarly:
      cl->close();
      break;
    case ClientEnd::AbortEarly:
      cl->abort();
      break;
    case ClientEnd::DeleteWhenDone:
    case ClientEnd::DeleteEarly:
      selfDelete(s, cl);
      break;
  }
}

}  // namespace

bool Session::cleanPlan() const {
  if (remote)
    return spec.mode == ServerMode::Echo;  // early ends mark the session chaosTouched
  return spec.mode == ServerMode::Echo &&
         (end == ClientEnd::CloseWhenDone || end == ClientEnd::DeleteWhenDone ||
          end == ClientEnd::ChaosTarget);
}

std::vector<int> Session::errorList() {
  std::lock_guard<std::mutex> lock(m);
  return errors;
}

std::string Session::describe() {
  char buf[256];
  std::snprintf(buf, sizeof buf,
                "%s session: server mode %d, end %d, %" PRIu64 " of %" PRIu64
                " bytes echoed, %" PRIu64 " accepted, %d connects, %d disconnects, %zu errors",
                remote ? "remote" : "callback", int(spec.mode), int(end), received.load(),
                spec.size(), accepted.load(), connects.load(), disconnects.load(),
                errorList().size());
  return buf;
}

std::shared_ptr<Session> randomSession(Stats &stats, bool remote) {
  auto s = std::make_shared<Session>();
  s->stats = &stats;
  s->remote = remote;
  s->spec = randomSpec(randomServerMode());
  const int r = int(rnd(0, 99));
  s->end = r < 35   ? ClientEnd::CloseWhenDone
           : r < 55 ? ClientEnd::DeleteWhenDone
           : r < 65 ? ClientEnd::CloseEarly
           : r < 75 ? ClientEnd::AbortEarly
           : r < 85 ? ClientEnd::DeleteEarly
                    : ClientEnd::ChaosTarget;
  s->spec.kind = remote ? 10 : uint8_t(s->end);
  s->spec.encode();
  s->clientThreshold = rnd(0, s->spec.size());
  s->flags = chance(30) ? 0 : ASYNC_WRITE_FLAG_COPY;  // zero-copy: the block outlives everything
  if (chance(20))
    s->flags |= ASYNC_WRITE_FLAG_MORE;
  s->useWrite = chance(50);
  return s;
}

void attachSession(const std::shared_ptr<Session> &sp, AsyncClient *c) {
  c->onConnect([sp](void *, AsyncClient *cl) {
    if (!enter(*sp))
      return;
    sp->connects++;
    sp->stats->established++;
    if (!sp->remote)
      pump(*sp, cl);
  });
  c->onAck([sp](void *, AsyncClient *cl, size_t, uint32_t) {
    if (enter(*sp) && !sp->remote)
      pump(*sp, cl);
  });
  c->onPoll([sp](void *, AsyncClient *cl) {
    if (enter(*sp) && !sp->remote)
      pump(*sp, cl);
  });
  c->onData([sp](void *, AsyncClient *cl, void *data, size_t len) {
    if (enter(*sp))
      onEcho(*sp, cl, data, len);
  });
  c->onError([sp](void *, AsyncClient *cl, int8_t err) {
    Session &s = *sp;
    if (!enter(s))
      return;
    s.stats->clientErrors++;
    {
      std::lock_guard<std::mutex> lock(s.m);
      s.errors.push_back(err);
    }
    // ESP32 sketches: close(true); delete client; in onError.
    if (!s.remote && (s.end == ClientEnd::DeleteWhenDone || s.end == ClientEnd::DeleteEarly)) {
      cl->close(true);
      selfDelete(s, cl);
    }
  });
  c->onDisconnect([sp](void *, AsyncClient *) {
    Session &s = *sp;
    if (!enter(s))
      return;
    s.disconnects++;
    s.finished = true;
  });
}

}  // namespace stress
