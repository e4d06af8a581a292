// Stress: thousands of connections to a few AsyncServers for a few seconds (or for
// ASYNCTCP_STRESS_SECONDS), every way a connection can live and end, all at once:
//  - AsyncClients driven from their callbacks, and AsyncClients driven from other threads
//    (write(), close(), abort(), delete from a non-service thread);
//  - raw socket peers that echo, half-close, reset (SO_LINGER 0), vanish with unread data,
//    or connect and leave;
//  - servers that echo, or close, abort or delete the client part-way (a header in the
//    stream tells them which), while a chaos thread end()s and begin()s the servers and
//    close()s or abort()s clients from outside.
// Checked: every byte that arrives is the byte that was sent, in order, and a connection that
// nobody ends early delivers everything (or reports an error); onDisconnect exactly once per
// connection that was not deleted; no callback after delete or after onDisconnect; no
// descriptor left open afterwards; leaks and races are the sanitizers' part.
#include "reliability_support.h"

#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>

#include <gtest/gtest.h>

#include <algorithm>
#include <cinttypes>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <random>

using namespace tst;
using namespace rel;

namespace {

// ---- the stream every connection carries -----------------------------------------------------
// [20-byte header][payload]: the payload is `len` bytes of a shared random block starting at
// `start` (wrapping), so both ends can check any byte without storing the stream.

const std::string &block() {
  static const std::string b = pattern(1 * kMiB, 4242);
  return b;
}

enum class ServerMode : uint8_t { Echo, Close, Abort, Delete };
constexpr size_t kHeader = 20;
constexpr uint8_t kMagic[4] = {'S', 'T', 'R', '1'};

void put32(uint8_t *p, uint32_t v) {
  for (int i = 0; i < 4; ++i)
    p[i] = uint8_t(v >> (8 * i));
}
uint32_t get32(const uint8_t *p) {
  return uint32_t(p[0]) | uint32_t(p[1]) << 8 | uint32_t(p[2]) << 16 | uint32_t(p[3]) << 24;
}

struct StreamSpec {
  ServerMode mode = ServerMode::Echo;
  uint8_t kind = 0;                            // who sends it (for diagnostics): see kindName()
  uint32_t start = 0, len = 0, threshold = 0;  // threshold: payload bytes before the server acts
  uint8_t header[kHeader] = {};

  void encode() {
    std::memcpy(header, kMagic, 4);
    header[4] = uint8_t(mode);
    header[5] = kind;
    header[6] = header[7] = 0;
    put32(header + 8, start);
    put32(header + 12, len);
    put32(header + 16, threshold);
  }
  bool decode(const uint8_t *h) {
    if (std::memcmp(h, kMagic, 4) != 0 || h[4] > uint8_t(ServerMode::Delete))
      return false;
    mode = ServerMode(h[4]);
    kind = h[5];
    start = get32(h + 8);
    len = get32(h + 12);
    threshold = get32(h + 16);
    std::memcpy(header, h, kHeader);
    return true;
  }
  uint64_t size() const { return kHeader + uint64_t(len); }
  // The bytes at stream position p, as many as are contiguous (at most max).
  const char *at(uint64_t p, size_t max, size_t *n) const {
    if (p < kHeader) {
      *n = std::min<size_t>(max, kHeader - size_t(p));
      return reinterpret_cast<const char *>(header) + p;
    }
    const size_t off = size_t((start + (p - kHeader)) % block().size());
    *n = std::min<size_t>({max, size_t(size() - p), block().size() - off});
    return block().data() + off;
  }
  bool matches(uint64_t p, const void *data, size_t len) const {
    const auto *d = static_cast<const char *>(data);
    while (len) {
      if (p >= size())
        return false;
      size_t n;
      const char *want = at(p, len, &n);
      if (std::memcmp(want, d, n) != 0)
        return false;
      p += n;
      d += n;
      len -= n;
    }
    return true;
  }
  std::string contiguous() const {
    std::string s;
    s.reserve(size_t(size()));
    for (uint64_t p = 0; p < size();) {
      size_t n;
      const char *d = at(p, SIZE_MAX, &n);
      s.append(d, n);
      p += n;
    }
    return s;
  }
};

// ---- shared bookkeeping ------------------------------------------------------------------------

struct Stats {
  std::atomic<uint64_t> callbackSessions{0}, remoteSessions{0}, rawSessions{0};
  std::atomic<uint64_t> established{0}, refusedOrUnserved{0};
  std::atomic<uint64_t> bytesAccepted{0}, bytesEchoed{0}, serverBytesIn{0};
  std::atomic<uint64_t> cleanSessions{0}, cleanCompleted{0};
  std::atomic<uint64_t> serverAccepted{0}, serverRestarts{0}, chaosCalls{0};
  std::atomic<uint64_t> clientErrors{0}, serverErrors{0};
  std::mutex m;
  std::vector<std::string> failures;  // the first few, with detail
  std::atomic<int> failureCount{0};

  void fail(const std::string &what) {
    failureCount++;
    std::lock_guard<std::mutex> lock(m);
    if (failures.size() < 20)
      failures.push_back(what);
  }
};

std::mt19937_64 &rng() {
  thread_local std::mt19937_64 r(std::random_device{}());
  return r;
}
uint64_t rnd(uint64_t lo, uint64_t hi) {  // inclusive
  return std::uniform_int_distribution<uint64_t>(lo, hi)(rng());
}
bool chance(int percent) {
  return int(rnd(0, 99)) < percent;
}

uint32_t randomPayloadSize() {
  const uint32_t cap = kSanitized ? 128 * 1024 : 512 * 1024;
  const int r = int(rnd(0, 99));
  if (r < 40)
    return uint32_t(rnd(0, 100));
  if (r < 70)
    return uint32_t(rnd(100, 4096));
  if (r < 90)
    return uint32_t(rnd(4096, 64 * 1024));
  return uint32_t(rnd(64 * 1024, cap));
}

StreamSpec randomSpec(ServerMode mode) {
  StreamSpec s;
  s.mode = mode;
  s.len = randomPayloadSize();
  s.start = uint32_t(rnd(0, block().size() - 1));
  s.threshold = uint32_t(rnd(0, s.len));
  s.encode();
  return s;
}

ServerMode randomServerMode() {
  const int r = int(rnd(0, 99));
  if (r < 70)
    return ServerMode::Echo;
  if (r < 80)
    return ServerMode::Close;
  if (r < 90)
    return ServerMode::Abort;
  return ServerMode::Delete;
}

// ---- the servers -----------------------------------------------------------------------------

// One accepted connection. The fields without atomics are touched on the service thread only.
struct ServerConn {
  Stats *stats;
  uint8_t hdr[kHeader];
  size_t hdrLen = 0;
  bool haveSpec = false;
  StreamSpec spec;
  uint64_t in = 0;  // stream bytes received
  bool acted = false;
  ByteQueue pending;
  size_t movedNotAcked = 0;
  std::atomic<bool> gone{false};  // deleted or disconnected: no callback may follow
  std::atomic<bool> deletedByUs{false};
  std::atomic<int> disconnects{0}, late{0};
  std::atomic<bool> corrupt{false};
  // For diagnostics, readable from any thread.
  std::atomic<int> kindSeen{-1}, modeSeen{-1}, lastEvent{0}, peerPort{0};
  std::atomic<uint64_t> inSeen{0}, pendingSeen{0}, unackedSeen{0};
  std::atomic<bool> actedSeen{false};
  void note(int event) {
    lastEvent = event;
    inSeen = in;
    pendingSeen = pending.size();
    unackedSeen = movedNotAcked;
    actedSeen = acted;
    if (haveSpec) {
      kindSeen = spec.kind;
      modeSeen = int(spec.mode);
    }
  }
  std::string describe() const;
};

// Client kinds, carried in the header: 0-5 callback sessions (ClientEnd), 10 remote, 20-24 raw.
std::string kindName(int kind) {
  static const char *const async[] = {"close-when-done", "delete-when-done", "close-early",
                                      "abort-early",     "delete-early",     "chaos-target"};
  static const char *const raw[] = {"echo", "half-close", "reset", "vanish", "idle"};
  if (kind >= 0 && kind < 6)
    return std::string("callback client ") + async[kind];
  if (kind == 10)
    return "remote-driven client";
  if (kind >= 20 && kind < 25)
    return std::string("raw peer ") + raw[kind - 20];
  return "unknown client (no header)";
}

std::string ServerConn::describe() const {
  return "server connection from port " + std::to_string(peerPort) + ", " + kindName(kindSeen) +
         ", server mode " + std::to_string(modeSeen) + ", " + std::to_string(inSeen) +
         " bytes in, " + std::to_string(pendingSeen) + " pending, " + std::to_string(unackedSeen) +
         " held unacked, acted " + std::to_string(actedSeen) + ", last event " +
         std::to_string(lastEvent) + " (1 data 2 ack 3 poll 4 error), " +
         std::to_string(disconnects) + " disconnects";
}

class StressServer {
public:
  explicit StressServer(Stats &stats) : _stats(stats), _server(loopback4(), 0) {
    _server.onClient([this](void *, AsyncClient *c) { accept(c); }, nullptr);
    begin();
  }
  void begin() {
    _server.begin();
    _port = _server.port();
  }
  void end() {
    _port = 0;
    _server.end();
  }
  uint16_t port() const { return _port.load(); }
  std::vector<std::shared_ptr<ServerConn>> conns() {
    std::lock_guard<std::mutex> lock(_m);
    return _conns;
  }

private:
  void accept(AsyncClient *c) {
    auto sc = std::make_shared<ServerConn>();
    sc->stats = &_stats;
    {
      std::lock_guard<std::mutex> lock(_m);
      _conns.push_back(sc);
    }
    _stats.serverAccepted++;
    sc->peerPort = c->remotePort();
    c->setPollInterval(50);
    c->onData([sc](void *, AsyncClient *cl, void *d, size_t n) { onData(sc, cl, d, n); });
    c->onAck([sc](void *, AsyncClient *cl, size_t, uint32_t) {
      if (sc->gone) {
        sc->late++;
        return;
      }
      flush(*sc, cl, true);
      sc->note(2);
    });
    c->onPoll([sc](void *, AsyncClient *cl) {
      if (sc->gone) {
        sc->late++;
        return;
      }
      flush(*sc, cl, true);
      sc->note(3);
    });
    c->onError([sc](void *, AsyncClient *cl, int8_t) {
      if (sc->gone)
        sc->late++;
      sc->stats->serverErrors++;
      sc->note(4);
      if (sc->haveSpec && sc->spec.mode == ServerMode::Delete) {
        // The ESP32 sketch habit, on the server side.
        sc->gone = true;
        sc->deletedByUs = true;
        cl->close(true);
        delete cl;
      }
    });
    c->onDisconnect([sc](void *, AsyncClient *cl) {
      if (sc->gone)
        sc->late++;
      sc->gone = true;
      sc->disconnects++;
      delete cl;
    });
  }

  static void flush(ServerConn &sc, AsyncClient *c, bool mayAck) {
    size_t moved = 0;
    while (sc.pending.size()) {
      const size_t n = c->add(sc.pending.data(), sc.pending.size());
      if (n == 0)
        break;
      sc.pending.pop(n);
      moved += n;
    }
    if (moved)
      c->send();
    sc.movedNotAcked += moved;
    if (mayAck && sc.movedNotAcked) {
      c->ack(sc.movedNotAcked);
      sc.movedNotAcked = 0;
    }
  }

  static void onData(const std::shared_ptr<ServerConn> &sp, AsyncClient *c, void *data,
                     size_t len) {
    ServerConn &sc = *sp;
    if (sc.gone) {
      sc.late++;
      return;
    }
    sc.stats->serverBytesIn += len;
    const auto *d = static_cast<const uint8_t *>(data);
    if (!sc.haveSpec) {
      const size_t take = std::min(len, kHeader - sc.hdrLen);
      std::memcpy(sc.hdr + sc.hdrLen, d, take);
      sc.hdrLen += take;
      if (sc.hdrLen == kHeader) {
        sc.haveSpec = sc.spec.decode(sc.hdr);
        if (!sc.haveSpec) {
          sc.corrupt = true;
          sc.stats->fail("server: corrupted stream header");
        }
      }
    }
    if (sc.haveSpec && !sc.corrupt && !sc.spec.matches(sc.in, data, len)) {
      sc.corrupt = true;
      sc.stats->fail("server: received bytes that were not sent (offset " + std::to_string(sc.in) +
                     ")");
    }
    sc.in += len;
    sc.pending.append(data, len);
    c->ackLater();  // acknowledged once echoed: a slow reader slows its writer
    flush(sc, c, false);
    sc.note(1);
    if (!sc.haveSpec || sc.acted || sc.spec.mode == ServerMode::Echo ||
        sc.in < kHeader + sc.spec.threshold)
      return;
    sc.acted = true;
    switch (sc.spec.mode) {
      case ServerMode::Close:
        c->close();
        break;
      case ServerMode::Abort:
        c->abort();
        break;
      case ServerMode::Delete:
        sc.gone = true;
        sc.deletedByUs = true;
        delete c;
        break;
      case ServerMode::Echo:
        break;
    }
  }

  Stats &_stats;
  AsyncServer _server;
  std::atomic<uint16_t> _port{0};
  std::mutex _m;
  std::vector<std::shared_ptr<ServerConn>> _conns;
};

// ---- AsyncClient sessions ------------------------------------------------------------------

enum class ClientEnd : uint8_t {
  CloseWhenDone,   // close() in onData once everything came back
  DeleteWhenDone,  // delete in onData once everything came back
  CloseEarly,      // close() in onData part-way
  AbortEarly,      // abort() in onData part-way
  DeleteEarly,     // delete in onData part-way
  ChaosTarget,     // like CloseWhenDone, but the chaos thread may close()/abort() it first
};

struct Session {
  Stats *stats = nullptr;
  StreamSpec spec;
  ClientEnd end = ClientEnd::CloseWhenDone;
  uint64_t clientThreshold = 0;  // echoed bytes before an early end
  uint8_t flags = ASYNC_WRITE_FLAG_COPY;
  bool useWrite = false;
  bool remote = false;
  bool connectOk = false;
  AsyncClient *client = nullptr;  // guarded by `life` once other threads may use it
  std::mutex life;                // held by a non-service thread while it calls the client

  std::atomic<uint64_t> accepted{0}, received{0};
  std::atomic<int> connects{0}, disconnects{0}, late{0};
  std::atomic<bool> finished{false};  // onDisconnect ran, or the client was deleted
  std::atomic<bool> deleted{false};
  std::atomic<bool> chaosTouched{false};
  std::atomic<bool> corrupt{false};
  std::mutex m;
  std::vector<int> errors;  // guarded by m

  bool cleanPlan() const {
    if (remote)
      return spec.mode == ServerMode::Echo;  // early ends mark the session chaosTouched
    return spec.mode == ServerMode::Echo &&
           (end == ClientEnd::CloseWhenDone || end == ClientEnd::DeleteWhenDone ||
            end == ClientEnd::ChaosTarget);
  }
  std::vector<int> errorList() {
    std::lock_guard<std::mutex> lock(m);
    return errors;
  }
  std::string describe() {
    char buf[256];
    std::snprintf(buf, sizeof buf,
                  "%s session: server mode %d, end %d, %" PRIu64 " of %" PRIu64
                  " bytes echoed, %" PRIu64 " accepted, %d connects, %d disconnects, %zu errors",
                  remote ? "remote" : "callback", int(spec.mode), int(end), received.load(),
                  spec.size(), accepted.load(), connects.load(), disconnects.load(),
                  errorList().size());
    return buf;
  }
};

// Queues as much of the stream as space() allows (service thread, callback sessions).
void pump(Session &s, AsyncClient *c) {
  uint64_t p = s.accepted.load();
  bool queued = false;
  while (p < s.spec.size()) {
    size_t n;
    const char *d = s.spec.at(p, 16 * kKiB + size_t(rnd(0, 48 * 1024)), &n);
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
    Session &s = *sp;
    if (!enter(s))
      return;
    const uint64_t at = s.received.load();
    if (!s.corrupt && !s.spec.matches(at, data, len)) {
      s.corrupt = true;
      s.stats->fail("client: echo differs from what was sent at offset " + std::to_string(at) +
                    ": " + s.describe());
    }
    s.received = at + len;
    s.stats->bytesEchoed += len;
    if (s.remote)
      return;
    const bool done = s.received.load() == s.spec.size();
    const bool early = s.received.load() >= s.clientThreshold;
    switch (s.end) {
      case ClientEnd::CloseWhenDone:
      case ClientEnd::ChaosTarget:
        if (done)
          cl->close();
        break;
      case ClientEnd::DeleteWhenDone:
        if (done)
          selfDelete(s, cl);
        break;
      case ClientEnd::CloseEarly:
        if (early)
          cl->close();
        break;
      case ClientEnd::AbortEarly:
        if (early)
          cl->abort();
        break;
      case ClientEnd::DeleteEarly:
        if (early)
          selfDelete(s, cl);
        break;
    }
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

// ---- the test harness ------------------------------------------------------------------------

class Stress {
public:
  Stress(std::chrono::milliseconds duration) : _duration(duration) {}

  void run();
  Stats stats;
  std::vector<std::shared_ptr<Session>> sessions;  // every AsyncClient session (main thread)
  std::vector<std::unique_ptr<StressServer>> servers;

private:
  uint16_t anyPort() {
    for (int tries = 0; tries < 8; ++tries) {
      uint16_t p = servers[size_t(rnd(0, servers.size() - 1))]->port();
      if (p)
        return p;
    }
    return 0;
  }
  bool running() const { return Clock::now() < _deadline; }
  std::shared_ptr<Session> newSession(bool remote);
  void startCallbackSession();
  void reapFinished();
  void remoteLoop();
  void rawLoop();
  void chaosLoop();
  void runRemote(const std::shared_ptr<Session> &s);
  void runRaw();

  std::chrono::milliseconds _duration;
  Clock::time_point _deadline;
  std::mutex _m;                                // guards _live and _remote
  std::vector<std::shared_ptr<Session>> _live;  // callback sessions not yet deleted
  std::vector<std::shared_ptr<Session>> _remote;
};

std::shared_ptr<Session> Stress::newSession(bool remote) {
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

void Stress::startCallbackSession() {
  const uint16_t port = anyPort();
  if (!port)
    return;
  auto s = newSession(false);
  auto *c = new AsyncClient;
  s->client = c;
  attachSession(s, c);
  if (chance(20))
    c->setNoDelay(true);
  stats.callbackSessions++;
  s->connectOk = c->connect(loopback4(), port);
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
    if (s->deleted)
      continue;  // deleted itself in a callback
    std::lock_guard<std::mutex> life(s->life);
    delete s->client;
    s->client = nullptr;
    s->deleted = true;
  }
}

void Stress::runRemote(const std::shared_ptr<Session> &s) {
  const uint16_t port = anyPort();
  if (!port)
    return;
  AsyncClient *c = new AsyncClient;
  attachSession(s, c);
  stats.remoteSessions++;
  s->connectOk = c->connect(loopback4(), port);
  if (!s->connectOk) {
    stats.fail("connect() returned false for a remote session");
    delete c;
    s->deleted = true;
    return;
  }
  const auto limit = Clock::now() + 10s;
  waitFor([&] { return s->connects > 0 || s->finished; }, 5000ms);
  // What to do, from this thread: finish the exchange, or stop part-way.
  const int how = int(rnd(0, 99));
  const bool early = how >= 60;
  const uint64_t stopAt = early ? rnd(0, s->spec.size()) : s->spec.size();
  uint64_t p = 0;
  while (s->connects > 0 && !s->finished && p < stopAt && Clock::now() < limit) {
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
    waitFor([&] { return s->received == s->spec.size() || s->finished.load(); }, 5000ms);
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
  if (!waitFor([&] { return s->finished.load(); }, 5000ms))
    stats.fail("remote session: no onDisconnect after close()/abort(): " + s->describe());
  delete c;
  s->deleted = true;
}

void Stress::remoteLoop() {
  while (running()) {
    auto s = newSession(true);
    {
      std::lock_guard<std::mutex> lock(_m);
      _remote.push_back(s);
    }
    runRemote(s);
  }
}

namespace {
// Sends `out` while reading the echo until `want` bytes came back (or EOF, error, timeout).
bool exchangeEcho(RawSocket &s, const std::string &out, std::string &in, milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  size_t sent = 0;
  char buf[64 * 1024];
  while (in.size() < out.size() && Clock::now() < deadline) {
    pollfd p{s.fd(), short(POLLIN | (sent < out.size() ? POLLOUT : 0)), 0};
    if (::poll(&p, 1, 50) <= 0)
      continue;
    if ((p.revents & POLLOUT) && sent < out.size()) {
      long n =
          s.trySend(out.data() + sent, std::min<size_t>(out.size() - sent, size_t(rnd(1, 65536))));
      if (n < 0)
        return false;
      sent += size_t(n);
    }
    if (p.revents & (POLLIN | POLLHUP | POLLERR)) {
      ssize_t n = ::recv(s.fd(), buf, sizeof buf, MSG_DONTWAIT);
      if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR))
        return false;
      if (n > 0)
        in.append(buf, size_t(n));
    }
  }
  return in.size() == out.size();
}
}  // namespace

void Stress::runRaw() {
  const uint16_t port = anyPort();
  if (!port)
    return;
  enum { Echo, HalfClose, Reset, Vanish, Idle } mode;
  const int r = int(rnd(0, 99));
  mode = r < 35 ? Echo : r < 60 ? HalfClose : r < 75 ? Reset : r < 90 ? Vanish : Idle;
  const bool served = mode == Echo || mode == HalfClose;
  StreamSpec spec = randomSpec(served ? ServerMode::Echo : randomServerMode());
  spec.kind = uint8_t(20 + mode);
  spec.encode();
  if (!served && spec.len > 32 * 1024) {
    spec.len = 32 * 1024;  // fits in the socket buffers without reading
    spec.threshold = std::min(spec.threshold, spec.len);
    spec.encode();
  }
  RawSocket s = rawConnect("127.0.0.1", port, 0, 0, 2000ms);
  stats.rawSessions++;
  if (!s.valid()) {
    stats.refusedOrUnserved++;
    return;
  }
  stats.established++;
  const std::string out = spec.contiguous();
  std::string in;
  switch (mode) {
    case Echo: {
      stats.cleanSessions++;
      const bool ok = exchangeEcho(s, out, in, 10000ms);
      stats.bytesAccepted += out.size();
      stats.bytesEchoed += in.size();
      if (!spec.matches(0, in.data(), in.size()))
        stats.fail("raw echo: corrupted echo");
      if (ok)
        stats.cleanCompleted++;
      else if (in.empty())
        stats.refusedOrUnserved++;  // reset in the accept queue of a server that end()ed
      else
        stats.fail("raw echo: the connection broke after " + std::to_string(in.size()) + " of " +
                   std::to_string(out.size()) + " bytes");
      if (chance(50))
        s.shutdownWrite();
      break;
    }
    case HalfClose: {
      stats.cleanSessions++;
      const PeerEnd end = s.exchange(out, true, in, 10000ms);
      stats.bytesAccepted += out.size();
      stats.bytesEchoed += in.size();
      if (!spec.matches(0, in.data(), in.size()))
        stats.fail("raw half-close: corrupted echo");
      if (end == PeerEnd::Eof && in.size() == out.size())
        stats.cleanCompleted++;
      else if (in.empty())
        stats.refusedOrUnserved++;
      else
        stats.fail(std::string("raw half-close: ended with ") + toString(end) + " after " +
                   std::to_string(in.size()) + " of " + std::to_string(out.size()) + " bytes");
      break;
    }
    case Reset: {
      const size_t part = size_t(rnd(0, out.size()));
      s.sendAll(out.data(), part, 2000ms);
      stats.bytesAccepted += part;
      if (chance(50))
        std::this_thread::sleep_for(std::chrono::microseconds(rnd(0, 2000)));
      s.closeWithReset();
      break;
    }
    case Vanish:
      s.sendAll(out, 2000ms);
      stats.bytesAccepted += out.size();
      std::this_thread::sleep_for(std::chrono::microseconds(rnd(0, 2000)));
      s.close();  // the echo is unread: the kernel answers it with a RST
      break;
    case Idle:
      break;
  }
}

void Stress::rawLoop() {
  while (running())
    runRaw();
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
  const size_t maxInflight = size_t(scaled(48, 24));
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
  const bool drained = waitFor(
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
  // Anything left is deleted now, so the servers can finish.
  std::vector<std::shared_ptr<Session>> rest;
  {
    std::lock_guard<std::mutex> lock(_m);
    rest.swap(_live);
    sessions.insert(sessions.end(), _remote.begin(), _remote.end());
  }
  for (auto &s : rest) {
    if (s->deleted)
      continue;
    std::lock_guard<std::mutex> life(s->life);
    delete s->client;
    s->client = nullptr;
    s->deleted = true;
  }
}

std::chrono::milliseconds stressDuration() {
  if (const char *env = std::getenv("ASYNCTCP_STRESS_SECONDS")) {
    const long s = std::strtol(env, nullptr, 10);
    if (s > 0)
      return std::chrono::milliseconds(s * 1000);
  }
  return kSanitized ? 3000ms : 4000ms;
}

}  // namespace

TEST(Stress, ThousandsOfConnectionsEveryWayToEnd_NoLossNoLeakNoLateCallback) {
  if (raiseFdLimit() < 4096)
    GTEST_SKIP() << "RLIMIT_NOFILE too low";
  warmUp();
  const size_t fdBaseline = openFdCount();
  const auto duration = stressDuration();
  const auto t0 = Clock::now();
  auto stress = std::make_unique<Stress>(duration);
  stress->run();
  Stats &st = stress->stats;

  // ---- every AsyncClient session
  uint64_t cleanAsync = 0, cleanAsyncDone = 0, unserved = 0;
  for (auto &s : stress->sessions) {
    if (!s->connectOk)
      continue;
    EXPECT_EQ(s->late.load(), 0) << s->describe();
    EXPECT_FALSE(s->corrupt.load()) << s->describe();
    EXPECT_LE(s->received.load(), s->accepted.load())
        << "echoed more than was accepted: " << s->describe();
    EXPECT_LE(s->disconnects.load(), 1) << s->describe();
    // A client nobody deleted before its end saw onDisconnect exactly once.
    const bool deletedEarly = s->disconnects.load() == 0 && s->deleted.load();
    if (!deletedEarly) {
      EXPECT_EQ(s->disconnects.load(), 1) << s->describe();
    }
    if (!s->cleanPlan() || s->chaosTouched)
      continue;
    cleanAsync++;
    // Served (some echo came back): then everything must come back, with no error.
    const std::vector<int> errors = s->errorList();
    if (s->received.load() == s->spec.size() && errors.empty()) {
      cleanAsyncDone++;
    } else if (s->received.load() == 0 && !errors.empty()) {
      unserved++;  // refused, or reset in the accept queue of a server that end()ed
    } else {
      ADD_FAILURE() << "a connection nobody ended early lost data: " << s->describe()
                    << (errors.empty() ? "" : ", first error " + std::to_string(errors[0]));
    }
  }

  // ---- the servers' side, once every client is gone
  for (auto &srv : stress->servers)
    srv->end();
  std::vector<std::shared_ptr<ServerConn>> conns;
  for (auto &srv : stress->servers) {
    auto c = srv->conns();
    conns.insert(conns.end(), c.begin(), c.end());
  }
  EXPECT_TRUE(waitFor(
      [&] {
        for (auto &c : conns)
          if (!c->gone)
            return false;
        return true;
      },
      12000ms))  // a closed peer may linger up to 10 s before its reset
      << "accepted connections still open after every peer went away";
  for (auto &c : conns) {
    if (!c->gone)
      ADD_FAILURE() << "no onDisconnect: " << c->describe() << "\n" << describeOpenSockets();
    EXPECT_EQ(c->late.load(), 0);
    EXPECT_FALSE(c->corrupt.load());
    EXPECT_EQ(c->disconnects.load(), c->deletedByUs ? 0 : 1);
  }
  stress->servers.clear();
  const uint64_t connections = st.callbackSessions + st.remoteSessions + st.rawSessions;
  const double seconds = std::chrono::duration<double>(Clock::now() - t0).count();
  std::printf("[stress] %.1f s run (%.1f s total): %" PRIu64 " connections (%" PRIu64
              " callback-driven, %" PRIu64 " driven from other threads, %" PRIu64
              " raw peers), %" PRIu64
              " established; %.1f MiB "
              "accepted for sending, %.1f MiB echoed back, %.1f MiB read by servers; %" PRIu64
              " server connections, %" PRIu64 " server end()/begin() cycles, %" PRIu64
              " close()/abort() from the chaos thread; clean sessions: %" PRIu64 "/%" PRIu64
              " raw and %" PRIu64 "/%" PRIu64 " async completed (%" PRIu64
              " unserved); errors: %" PRIu64 " client, %" PRIu64 " server\n",
              double(duration.count()) / 1000.0, seconds, connections, st.callbackSessions.load(),
              st.remoteSessions.load(), st.rawSessions.load(), st.established.load(),
              double(st.bytesAccepted) / kMiB, double(st.bytesEchoed) / kMiB,
              double(st.serverBytesIn) / kMiB, st.serverAccepted.load(), st.serverRestarts.load(),
              st.chaosCalls.load(), st.cleanCompleted.load(), st.cleanSessions.load(),
              cleanAsyncDone, cleanAsync, unserved, st.clientErrors.load(), st.serverErrors.load());
  {
    std::lock_guard<std::mutex> lock(st.m);
    for (const auto &f : st.failures)
      ADD_FAILURE() << f;
  }
  EXPECT_EQ(st.failureCount.load(), 0);
  // A library that refuses or breaks most connections must not pass for "no data lost".
  const uint64_t minConnections = uint64_t(duration.count()) * (kSanitized ? 50 : 250) / 1000;
  EXPECT_GE(connections, minConnections);
  EXPECT_GE(cleanAsyncDone * 10, cleanAsync * 8) << "most clean AsyncClient sessions failed";
  EXPECT_GE(st.cleanCompleted * 10, st.cleanSessions * 8) << "most clean raw sessions failed";
  stress.reset();
  EXPECT_TRUE(waitFdsAtMost(fdBaseline, 5000ms))
      << openFdCount() << " descriptors open, " << fdBaseline << " before the run:\n"
      << describeOpenSockets();
}
