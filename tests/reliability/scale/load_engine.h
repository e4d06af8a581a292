// The load process's engine (load_generator.h): one epoll set, one Peer per connection.
// load_peer_io.cpp moves each peer's bytes and ends it; load_generator.cpp schedules what
// the peers do (ramp, churn, quiet, teardown). Private to the load binary.
#pragma once

#include <signal.h>

#include <cstdint>
#include <random>
#include <vector>

#include "load_generator.h"
#include "load_tally.h"
#include "stream.h"

namespace scale::load {

enum class Phase : uint8_t { Free, Connecting, Exchanging, Idle, AwaitServerEnd, FinWait };
enum class After : uint8_t { Hold, Fin, Reset, CloseNoWait };  // once the echo is complete

struct Peer {
  uint64_t sent = 0, target = 0, echoed = 0, resetAt = UINT64_MAX;
  int fd = -1;
  uint32_t gen = 0, id = 0, threshold = 0;
  uint32_t idlePos = UINT32_MAX;
  uint32_t lastProgress = 0;  // seconds since the start
  ServerPlan plan = ServerPlan::Echo;
  Phase phase = Phase::Free;
  After after = After::Hold;
  bool inSetup = false;  // counted against Options::parallel until its first round is done

  StreamHeader header() const {
    StreamHeader h;
    h.id = id;
    h.plan = plan;
    h.origin = Origin::LoadPeer;
    h.threshold = threshold;
    return h;
  }
  // The server acts on this connection by itself once the threshold arrived.
  bool serverEnds() const {
    return plan == ServerPlan::Close || plan == ServerPlan::Abort || plan == ServerPlan::Delete;
  }
};

double monoSeconds();
const char *phaseName(Phase p);

class Engine {
public:
  Engine(const Options &o, volatile sig_atomic_t *command)
      : _o(o), _command(command), _rng(o.seed), _nextId(o.idBase) {
    _peers.reserve(o.conns + o.parallel + 1024);
  }
  int run();

private:
  uint64_t rnd(uint64_t lo, uint64_t hi) {
    return std::uniform_int_distribution<uint64_t>(lo, hi)(_rng);
  }
  uint32_t now() const { return uint32_t(monoSeconds() - _start); }
  size_t live() const { return _peers.size() - _free.size(); }

  uint32_t allocSlot();
  void release(uint32_t s);
  void open(ServerPlan plan);
  void onEvent(uint64_t key, uint32_t events);
  void pump(uint32_t s);
  bool sendSome(uint32_t s);
  bool recvSome(uint32_t s);
  void roundDone(uint32_t s);
  void peerEnded(uint32_t s, bool reset);
  void endByUs(uint32_t s, After how);
  void fail(uint32_t s, uint64_t &kind, const char *what);
  void makeIdle(uint32_t s);
  void leaveIdle(uint32_t s);
  void startRound(uint32_t s, uint64_t payload, After after);
  void churnOne();
  ServerPlan randomPlan();
  void tick();
  void scanStalls();
  void beginTeardown();
  void endSomeIdle(double dt);

  const Options &_o;
  volatile sig_atomic_t *_command;
  std::mt19937_64 _rng;
  uint32_t _nextId;
  double _start = monoSeconds();
  int _ep = -1;
  std::vector<Peer> _peers;
  std::vector<uint32_t> _free, _idle;
  size_t _setup = 0, _rampOpened = 0, _nextSource = 0;
  bool _rampReported = false, _churning = false, _wantQuiet = false, _tearingDown = false;
  double _budget = 0, _endBudget = 0, _lastTick = monoSeconds(), _lastScan = 0,
         _lastProgressLine = 0;
  int _details = 0;  // failure details printed so far
  Tally _t;
  uint8_t _buf[64 * 1024];
};

}  // namespace scale::load
