#include "scale_run.h"

#include <signal.h>
#include <sys/wait.h>

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <random>
#include <thread>

#include "load_fleet.h"

namespace scale {

namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;
using namespace std::chrono_literals;

bool waitUntil(const std::function<bool()> &pred, milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  while (!pred()) {
    if (Clock::now() >= deadline)
      return false;
    std::this_thread::sleep_for(5ms);
  }
  return true;
}

// A thread that close()s, abort()s or deletes random Chaos-plan connections of the server.
class ChaosThread {
public:
  ChaosThread(ScaleServer &server, double perSecond)
      : _thread([this, &server, perSecond] { run(server, perSecond); }) {}
  ~ChaosThread() { stop(); }
  void stop() {
    _stop = true;
    if (_thread.joinable())
      _thread.join();
  }
  uint64_t strikes() const { return _strikes; }

private:
  void run(ScaleServer &server, double perSecond) {
    std::mt19937_64 rng(std::random_device{}());
    const auto pause = std::chrono::microseconds(int64_t(1e6 / perSecond));
    while (!_stop) {
      std::this_thread::sleep_for(pause);
      const int r = int(rng() % 10);
      const auto what = r < 4   ? ScaleServer::Strike::Close
                        : r < 8 ? ScaleServer::Strike::Abort
                                : ScaleServer::Strike::Delete;
      _strikes += server.strike(what, rng);
    }
  }
  std::atomic<bool> _stop{false};
  std::atomic<uint64_t> _strikes{0};
  std::thread _thread;
};

class Run {
public:
  explicit Run(const RunConfig &c) : _c(c) { _r.config = c; }
  RunReport go();

private:
  double now() const { return std::chrono::duration<double>(Clock::now() - _t0).count(); }
  Sample sample(const std::string &phase) {
    Sample s{phase, sampleProcess(now()), _server ? _server->live() : 0};
    _r.samples.push_back(s);
    return s;
  }
  void say(const std::string &what) {
    if (_c.progress)
      std::fprintf(stderr, "[scale %6.1f s] %s\n", now(), what.c_str());
  }
  void fail(const std::string &what) {
    _r.failures.push_back(what);
    say("FAILED: " + what);
  }
  void warmUp();
  bool ramp();
  void measurePeak();
  void churn();
  void quiet();
  void teardown();
  void check();

  const RunConfig &_c;
  RunReport _r;
  Clock::time_point _t0 = Clock::now();
  std::unique_ptr<ScaleServer> _server;
  std::unique_ptr<LoadFleet> _load = std::make_unique<LoadFleet>();
  std::string _loadErr;  // the load's stderr, kept once its pipes are closed
  size_t _quietLive = 0;
};

// One connection through the library, so its thread, epoll set and pools exist before the
// baseline is taken.
void Run::warmUp() {
  CrossThreadClients once(_c.probeIp, _server->port(), 1, 0x7f000000);
  waitUntil([&] { return once.counts()[kProbeStarted] >= 2; }, 10000ms);
  once.stop();
  for (const auto &f : once.failureDetails())
    fail("warm-up: " + f);
  waitUntil([&] { return _server->live() == 0; }, 10000ms);
}

bool Run::ramp() {
  std::string error;
  const bool started = _load->start(_c, _server->port(), error);
  _r.loadProcesses = _load->size();
  if (!started) {
    fail("cannot start the load processes: " + error);
    return false;
  }
  const auto t = Clock::now();
  Fields f;
  const bool ramped = _load->waitAll("ramped ", milliseconds(60000 + _c.conns * 10), &f);
  _r.rampSeconds = std::chrono::duration<double>(Clock::now() - t).count();
  if (!ramped) {
    fail("the load never finished its ramp to " + std::to_string(_c.conns) +
         " connections: " + _load->errTail());
    return false;
  }
  say("ramped: " + std::to_string(f["live"]) + " connections from " +
      std::to_string(_load->size()) + " load processes");
  if (!waitUntil([&] { return _server->live() >= _c.conns; }, 30000ms))
    fail("the server holds " + std::to_string(_server->live()) + " connections, the load " +
         std::to_string(_c.conns));
  return true;
}

void Run::measurePeak() {
  std::this_thread::sleep_for(2s);  // let the last callbacks and acks settle
  _r.peak = sample("peak");
  std::this_thread::sleep_for(milliseconds(int64_t(_c.idleSeconds * 1000)));
  const Sample idle = sample("peak-idle");
  _r.idleCpuPercent =
      (idle.p.cpuSeconds - _r.peak.p.cpuSeconds) * 100.0 / (idle.p.seconds - _r.peak.p.seconds);
  say("peak: " + std::to_string(_r.peak.live) + " connections, RSS " +
      std::to_string(_r.peak.p.rssKiB) + " KiB, idle CPU " +
      std::to_string(int(_r.idleCpuPercent)) + "%");
}

void Run::churn() {
  CrossThreadClients probes(_c.probeIp, _server->port(), _c.crossThreads, 0x80000000u,
                            std::chrono::seconds(std::max<uint32_t>(30, _c.stallSeconds)));
  ChaosThread chaos(*_server, _c.strikesPerSecond);
  _load->signalAll(SIGUSR1);
  if (!_load->waitAll("churning ", 10000ms, nullptr))
    fail("the load did not start churning");
  const auto start = Clock::now();
  const auto end = start + milliseconds(int64_t(_c.churnSeconds * 1000));
  auto nextSample = start + milliseconds(int64_t(_c.sampleSeconds * 1000));
  auto nextSay = start + 10s;
  while (Clock::now() < end && _load->allRunning()) {
    std::this_thread::sleep_for(std::min<Clock::duration>(200ms, end - Clock::now()));
    if (_c.sampleSeconds > 0 && Clock::now() >= nextSample) {
      const Sample s = sample("churn");
      nextSample += milliseconds(int64_t(_c.sampleSeconds * 1000));
      if (!_c.csvPath.empty())
        writeCsv(_c.csvPath, _r.samples);  // kept current: a long soak can be watched
      say("sample: RSS " + std::to_string(s.p.rssKiB) + " KiB, fds " + std::to_string(s.p.fds) +
          ", live " + std::to_string(s.live));
    }
    if (Clock::now() >= nextSay) {
      nextSay += 10s;
      const ServerCounts n = _server->counts();
      say("churning: live " + std::to_string(n.live) + ", accepted " +
          std::to_string(n[kAccepted]) + ", probes " +
          std::to_string(probes.counts()[kProbeStarted]) + ", strikes " +
          std::to_string(chaos.strikes()));
    }
  }
  _r.churnSeconds = std::chrono::duration<double>(Clock::now() - start).count();
  chaos.stop();
  probes.stop();
  _r.strikes = chaos.strikes();
  _r.probes = probes.counts();
  for (const auto &f : probes.failureDetails())
    fail("in-process clients: " + f);
}

void Run::quiet() {
  const auto t = Clock::now();
  _load->signalAll(SIGUSR2);
  Fields f;
  if (!_load->waitAll("quiet ", milliseconds((_c.stallSeconds + 60) * 1000), &f)) {
    fail("the load never became quiet: " + _load->errTail());
    return;
  }
  _quietLive = size_t(f["live"]);
  // On a lossy link what is still open after a few seconds is half-open (a dropped RST).
  const milliseconds patience = _c.lossyLink ? 5000ms : 30000ms;
  const bool same = waitUntil([&] { return _server->live() == _quietLive; }, patience);
  if (!same && _c.lossyLink && _server->live() > _quietLive)
    _r.halfOpenAtQuiet = _server->live() - _quietLive;  // ended by the sweep at teardown
  else if (!same)
    fail("after the churn the server holds " + std::to_string(_server->live()) +
         " connections, the load " + std::to_string(_quietLive));
  std::this_thread::sleep_for(2s);
  _r.afterChurn = sample("after-churn");
  _r.quietSeconds = std::chrono::duration<double>(Clock::now() - t).count();
}

void Run::teardown() {
  const auto t = Clock::now();
  _load->signalAll(SIGTERM);
  // The load ends its idle connections at endRate a second, then waits for their ends.
  const double pacing = _c.endRate > 0 ? double(_c.conns) / _c.endRate : 0;
  const auto patience = milliseconds(int64_t((pacing + _c.stallSeconds + 120) * 1000));
  const bool results = _load->waitAll("result ", patience, &_r.load);
  _r.loadExit = _load->waitExitAll(30000ms);
  _loadErr = _load->errTail();
  _load->close();  // its pipes are descriptors of ours: closed before the last sample
  if (!results)
    fail("a load process printed no result: " + _loadErr);
  // A connection the peer reset or closed is gone at once; one we close lingers at most 10 s.
  bool ended = waitUntil([&] { return _server->live() == 0; }, _c.lossyLink ? 5000ms : 30000ms);
  if (!ended && _c.lossyLink) {
    _r.swept = _server->sweepWithKeepAlive();
    say("keepalive sweep of " + std::to_string(_r.swept) + " half-open connections");
    ended = waitUntil([&] { return _server->live() == 0; }, 60000ms);
  }
  if (!ended)
    fail(std::to_string(_server->live()) +
         " server connections never ended:" + _server->describeLive(12));
  _r.teardownSeconds = std::chrono::duration<double>(Clock::now() - t).count();
  _server->end();
  std::this_thread::sleep_for(500ms);
  _r.end = sample("end");
  trimHeap();
  _r.endTrimmed = sample("end-trimmed");
}

RunReport Run::go() {
  raiseFdLimit(2 * _c.conns + _c.parallel + 8192);  // inherited by the load process
  // Room for churn: replacements can be accepted before the ends they replace are seen.
  _server = std::make_unique<ScaleServer>(_c.bindIp, _c.conns + _c.conns / 4 + 8192);
  if (!_server->listening()) {
    fail("the server could not listen");
    return _r;
  }
  warmUp();
  _r.base = sample("base");
  say("baseline: RSS " + std::to_string(_r.base.p.rssKiB) + " KiB, fds " +
      std::to_string(_r.base.p.fds));
  if (ramp()) {
    measurePeak();
    churn();
    quiet();
  }
  teardown();
  _r.server = _server->counts();
  for (const auto &f : _server->failureDetails())
    fail("server: " + f);
  _server.reset();
  _r.totalSeconds = now();
  check();
  if (!_c.csvPath.empty())
    writeCsv(_c.csvPath, _r.samples);
  return _r;
}

void Run::check() {
  const ServerCounts &s = _r.server;
  for (int k = kFirstFailure; k < kCounterCount; ++k)
    if (s.c[k])
      fail(std::string("server ") + counterName(Counter(k)) + " = " + std::to_string(s.c[k]));
  if (s[kTableFull])
    fail("server table_full = " + std::to_string(s[kTableFull]));
  if (s[kEnded] != s[kAccepted])
    fail("server: " + std::to_string(s[kAccepted]) + " accepted, " + std::to_string(s[kEnded]) +
         " ended");
  for (int k = kFirstProbeFailure; k < kProbeCounterCount; ++k)
    if (_r.probes.c[k])
      fail(std::string("in-process clients ") + probeCounterName(ProbeCounter(k)) + " = " +
           std::to_string(_r.probes.c[k]));
  auto L = _r.load;
  if (_r.loadExit != 0)
    fail("the load exited with " + std::to_string(_r.loadExit) + ": " + _loadErr);
  for (const char *k : {"unexpected_eof", "unexpected_rst", "premature_end", "corrupt", "stalled",
                        "connect_failed", "lost_bytes"})
    if (L[k])
      fail(std::string("load ") + k + " = " + std::to_string(L[k]));
  if (L["ends"] != L["opened"])
    fail("load: " + std::to_string(L["opened"]) + " opened, " + std::to_string(L["ends"]) +
         " ended");
  // Both ends agree on every clean echo connection and its bytes. On a lossy link a FIN
  // the load sent after the full echo may never reach lwIP: the load counts that connection
  // clean, the server sees it end in the sweep. That much difference, and no more.
  const bool agree = _c.lossyLink ? s[kCleanLoad] <= L["clean_echo_conns"] &&
                                        L["clean_echo_conns"] - s[kCleanLoad] <= s[kSwept] &&
                                        s[kCleanBytesInLoad] == s[kCleanBytesOutLoad] &&
                                        s[kCleanBytesInLoad] <= L["clean_echo_bytes"]
                                  : s[kCleanLoad] == L["clean_echo_conns"] &&
                                        s[kCleanBytesInLoad] == L["clean_echo_bytes"] &&
                                        s[kCleanBytesOutLoad] == L["clean_echo_bytes"];
  if (!agree)
    fail("clean echo connections: server " + std::to_string(s[kCleanLoad]) + " (" +
         std::to_string(s[kCleanBytesInLoad]) + " bytes in, " +
         std::to_string(s[kCleanBytesOutLoad]) + " out), load " +
         std::to_string(L["clean_echo_conns"]) + " (" + std::to_string(L["clean_echo_bytes"]) +
         " bytes)");
  if (s[kHeadersLoad] > L["established"] || s[kAccepted] < L["established"])
    fail("the server accepted " + std::to_string(s[kAccepted]) + " connections (" +
         std::to_string(s[kHeadersLoad]) + " load streams), the load established " +
         std::to_string(L["established"]));
  if (_r.endTrimmed.p.fds > _r.base.p.fds)
    fail("descriptors: " + std::to_string(_r.endTrimmed.p.fds) + " open after the run, " +
         std::to_string(_r.base.p.fds) + " before:" + describeFds());
}

}  // namespace

RunReport runScale(const RunConfig &config) {
  return Run(config).go();
}

void writeCsv(const std::string &path, const std::vector<Sample> &samples) {
  FILE *f = std::fopen(path.c_str(), "w");
  if (!f)
    return;
  std::fprintf(f,
               "seconds,phase,rss_kib,heap_bytes,fds,server_live,slab_kib,tcp_mem_pages,"
               "tcp_inuse,cpu_seconds\n");
  for (const Sample &s : samples)
    std::fprintf(f, "%.1f,%s,%zu,%zu,%zu,%zu,%zu,%zu,%zu,%.2f\n", s.p.seconds, s.phase.c_str(),
                 s.p.rssKiB, s.p.heapBytes, s.p.fds, s.live, s.p.slabKiB, s.p.tcpMemPages,
                 s.p.tcpInUse, s.p.cpuSeconds);
  std::fclose(f);
}

}  // namespace scale
