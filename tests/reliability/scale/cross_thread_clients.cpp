#include "cross_thread_clients.h"

#include <chrono>
#include <functional>
#include <memory>

#include "stream.h"

namespace scale {

namespace {

using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

enum class Plan {
  CloseAfterEcho,    // the thread: write all, wait for the echo, close(), delete after the end
  DeleteAfterEcho,   // the thread: write all, wait for the echo, delete (a graceful close)
  DeleteMidway,      // the thread: write part, delete
  AbortMidway,       // the thread: write part, abort(), delete after the end
  CloseInCallback,   // onData: close() once the echo is complete
  DeleteInCallback,  // onData: delete part-way (or onDisconnect, if it ends first)
};

bool waitUntil(const std::function<bool()> &pred, std::chrono::milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  while (!pred()) {
    if (Clock::now() >= deadline)
      return false;
    std::this_thread::sleep_for(1ms);
  }
  return true;
}

uint64_t rnd(std::mt19937_64 &rng, uint64_t lo, uint64_t hi) {
  return std::uniform_int_distribution<uint64_t>(lo, hi)(rng);
}

}  // namespace

const char *probeCounterName(ProbeCounter k) {
  static const char *const names[kProbeCounterCount] = {"started",
                                                        "connected",
                                                        "echoed_fully",
                                                        "bytes_sent",
                                                        "bytes_echoed",
                                                        "close_after_echo",
                                                        "delete_after_echo",
                                                        "delete_midway",
                                                        "abort_midway",
                                                        "close_in_callback",
                                                        "delete_in_callback",
                                                        "errors",
                                                        "connect_failed",
                                                        "lost",
                                                        "corrupt",
                                                        "late_callbacks",
                                                        "double_ends",
                                                        "no_end"};
  return names[k];
}

struct CrossThreadClients::Probe {
  CrossThreadClients *owner = nullptr;
  StreamHeader header;
  uint64_t size = 0;       // stream bytes to send
  uint64_t threshold = 0;  // DeleteInCallback: echoed bytes before the delete
  Plan plan = Plan::CloseAfterEcho;
  std::mutex life;  // held by the thread while it calls the client: a callback may delete it
  AsyncClient *client = nullptr;  // guarded by life once connected
  bool claimed = false;           // guarded by life: whoever sets it deletes the client
  std::atomic<uint64_t> echoed{0};
  std::atomic<int> connects{0}, disconnects{0}, errors{0};
  std::atomic<bool> deleted{false}, corrupt{false};

  bool enter() {
    if (!deleted && disconnects == 0)
      return true;
    owner->bump(kProbeLate);
    owner->fail("a callback after delete or after onDisconnect");
    return false;
  }
  void selfDelete(AsyncClient *c) {
    {
      std::lock_guard<std::mutex> lock(life);
      if (claimed)
        return;  // the thread is deleting it (and waits for this callback)
      claimed = deleted = true;
      client = nullptr;
    }
    delete c;
  }
  // The thread's delete of a client that may also delete itself in a callback.
  void claimAndDelete(AsyncClient *c) {
    {
      std::lock_guard<std::mutex> lock(life);
      if (claimed)
        return;
      claimed = true;
    }
    delete c;  // waits for a callback of c running now
    deleted = true;
  }
  void onData(AsyncClient *c, const uint8_t *d, size_t len) {
    const uint64_t at = echoed.load();
    if (!corrupt && (at + len > size || !streamMatches(header, at, d, len))) {
      corrupt = true;
      owner->bump(kProbeCorrupt);
      owner->fail("in-process client: the echo differs from what was sent");
    }
    echoed = at + len;
    owner->bump(kProbeBytesEchoed, len);
    if (plan == Plan::CloseInCallback && echoed == size)
      c->close();
    else if (plan == Plan::DeleteInCallback && echoed >= threshold)
      selfDelete(c);
  }
};

namespace {
void attach(const std::shared_ptr<CrossThreadClients::Probe> &p, AsyncClient *c) {
  using P = CrossThreadClients::Probe;
  c->onConnect([p](void *, AsyncClient *) {
    if (p->enter())
      p->connects++;
  });
  c->onData([p](void *, AsyncClient *cl, void *d, size_t len) {
    if (p->enter())
      p->onData(cl, static_cast<const uint8_t *>(d), len);
  });
  c->onError([p](void *, AsyncClient *, int8_t err) {
    if (!p->enter())
      return;
    p->errors++;
    p->owner->bump(kProbeErrors);
    p->owner->noteError(err);
  });
  c->onDisconnect([p](void *, AsyncClient *cl) {
    P &probe = *p;
    if (!probe.enter())
      return;
    probe.disconnects++;
    if (probe.plan == Plan::DeleteInCallback)
      probe.selfDelete(cl);  // ended before its threshold: the ESP32 habit, delete here
  });
}
}  // namespace

CrossThreadClients::CrossThreadClients(const IPAddress &server, uint16_t port, int threads,
                                       uint32_t idBase, std::chrono::seconds patience)
    : _ip(server), _port(port), _patience(patience), _nextId(idBase) {
  for (int i = 0; i < threads; ++i)
    _threads.emplace_back([this, i] { loop(i); });
}

void CrossThreadClients::stop() {
  _stop = true;
  for (auto &t : _threads)
    if (t.joinable())
      t.join();
}

void CrossThreadClients::fail(const std::string &what) {
  std::lock_guard<std::mutex> lock(_failM);
  if (_failures.size() < 20)
    _failures.push_back(what);
}

std::vector<std::string> CrossThreadClients::failureDetails() {
  std::lock_guard<std::mutex> lock(_failM);
  return _failures;
}

ProbeCounts CrossThreadClients::counts() const {
  ProbeCounts out;
  for (int k = 0; k < kProbeCounterCount; ++k)
    out.c[k] = _c[k].load(std::memory_order_relaxed);
  for (int k = 0; k < kErrorKinds; ++k)
    out.errors[k] = _errors[k].load(std::memory_order_relaxed);
  return out;
}

void CrossThreadClients::loop(int thread) {
  std::mt19937_64 rng(std::random_device{}() + uint64_t(thread));
  while (!_stop)
    runOne(_nextId++, rng);
}

// write() from this thread, under the probe's life lock, until upTo or the client's end.
uint64_t CrossThreadClients::writeFromThread(Probe &p, AsyncClient *c, uint64_t upTo,
                                             std::mt19937_64 &rng) {
  uint8_t buf[16 * 1024];
  uint64_t sent = 0;
  const auto deadline = Clock::now() + _patience;
  while (sent < upTo && Clock::now() < deadline) {
    size_t took;
    {
      std::lock_guard<std::mutex> lock(p.life);
      if (p.deleted || p.disconnects > 0)
        break;
      const size_t n = size_t(std::min<uint64_t>(upTo - sent, rnd(rng, 1, sizeof buf)));
      streamBytes(p.header, sent, buf, n);
      took = c->write(reinterpret_cast<const char *>(buf), n);
    }
    sent += took;
    bump(kProbeBytesSent, took);
    if (took == 0)
      std::this_thread::sleep_for(500us);
  }
  return sent;
}

void CrossThreadClients::runOne(uint32_t id, std::mt19937_64 &rng) {
  auto p = std::make_shared<Probe>();
  p->owner = this;
  p->header.id = id;
  p->header.origin = Origin::InProcess;
  p->size = kHeaderSize + rnd(rng, 0, 48 * 1024);
  p->threshold = rnd(rng, 1, p->size);
  p->plan = Plan(rnd(rng, 0, 5));
  auto *c = new AsyncClient;
  p->client = c;
  attach(p, c);
  bump(kProbeStarted);
  const bool selfDeleting = p->plan == Plan::DeleteInCallback;
  const auto deleteFromThread = [&] {
    delete c;  // waits for a callback of c running now
    p->deleted = true;
  };
  if (!c->connect(_ip, _port)) {
    bump(kProbeConnectFailed);
    fail("in-process client: connect() returned false");
    deleteFromThread();
    return;
  }
  if (!waitUntil([&] { return p->connects > 0 || p->disconnects > 0; }, _patience) ||
      p->connects == 0) {
    bump(kProbeConnectFailed);
    fail("in-process client: no connection to the server");
    if (selfDeleting)
      p->claimAndDelete(c);
    else
      deleteFromThread();
    return;
  }
  bump(kProbeConnected);
  const auto echoedAll = [&] { return p->echoed == p->size || p->disconnects > 0; };
  const auto checkFullEcho = [&](const char *plan) {
    if (p->echoed == p->size && p->errors == 0) {
      bump(kProbeEchoed);
      return;
    }
    bump(kProbeLost);
    fail(std::string("in-process client (") + plan + "): " + std::to_string(p->echoed.load()) +
         " of " + std::to_string(p->size) + " bytes echoed, " + std::to_string(p->errors.load()) +
         " errors");
  };
  const auto waitEnd = [&] {
    if (!waitUntil([&] { return p->disconnects > 0; }, _patience)) {
      bump(kProbeNoEnd);
      fail("in-process client: no onDisconnect after close(), abort() or the echo");
    }
  };
  switch (p->plan) {
    case Plan::CloseAfterEcho:
      bump(kProbeCloseAfterEcho);
      writeFromThread(*p, c, p->size, rng);
      waitUntil(echoedAll, _patience);
      checkFullEcho("close after echo");
      c->close();
      waitEnd();
      deleteFromThread();
      break;
    case Plan::DeleteAfterEcho:
      bump(kProbeDeleteAfterEcho);
      writeFromThread(*p, c, p->size, rng);
      waitUntil(echoedAll, _patience);
      checkFullEcho("delete after echo");
      deleteFromThread();
      break;
    case Plan::DeleteMidway:
      bump(kProbeDeleteMidway);
      writeFromThread(*p, c, rnd(rng, 0, p->size), rng);
      std::this_thread::sleep_for(std::chrono::microseconds(rnd(rng, 0, 2000)));
      deleteFromThread();
      break;
    case Plan::AbortMidway:
      bump(kProbeAbortMidway);
      writeFromThread(*p, c, rnd(rng, 0, p->size), rng);
      c->abort();
      waitEnd();
      deleteFromThread();
      break;
    case Plan::CloseInCallback:
      bump(kProbeCloseInCallback);
      writeFromThread(*p, c, p->size, rng);
      waitEnd();
      checkFullEcho("close in callback");
      deleteFromThread();
      break;
    case Plan::DeleteInCallback:
      bump(kProbeDeleteInCallback);
      writeFromThread(*p, c, p->size, rng);
      if (!waitUntil([&] { return p->deleted.load(); }, _patience)) {
        bump(kProbeNoEnd);
        fail("in-process client: never reached its delete in a callback");
        std::lock_guard<std::mutex> lock(p->life);
        if (!p->deleted)
          c->abort();  // ends it; its onDisconnect deletes it
      }
      break;
  }
  if (p->disconnects > 1)
    bump(kProbeDoubleEnd);
}

}  // namespace scale
