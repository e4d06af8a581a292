#include "load_fleet.h"

#include <sys/resource.h>
#include <sys/wait.h>

#include <random>
#include <sstream>

#include "scale_run.h"
#include "support/child_process.h"

namespace scale {

using std::chrono::milliseconds;
using Clock = std::chrono::steady_clock;

namespace {

Fields parseFields(const std::string &line) {
  Fields m;
  std::istringstream in(line);
  std::string word;
  while (in >> word) {
    const size_t eq = word.find('=');
    if (eq != std::string::npos)
      m[word.substr(0, eq)] = std::strtoull(word.c_str() + eq + 1, nullptr, 10);
  }
  return m;
}

void addFields(Fields &sum, const Fields &one) {
  for (const auto &f : one) {
    if (f.first == "seconds")  // the processes ran side by side
      sum[f.first] = std::max(sum[f.first], f.second);
    else
      sum[f.first] += f.second;
  }
}

}  // namespace

struct LoadFleet::Proc {
  tst::ChildProcess child;
  size_t consumed = 0;  // stdout up to here has been read as lines

  std::string waitLine(const std::string &prefix, Clock::time_point deadline) {
    std::string line;
    const auto left = std::chrono::duration_cast<milliseconds>(deadline - Clock::now());
    child.waitForOutput(
        [&](const std::string &out) {
          for (size_t at = consumed; at < out.size();) {
            const size_t nl = out.find('\n', at);
            if (nl == std::string::npos)
              break;
            if (out.compare(at, prefix.size(), prefix) == 0) {
              line = out.substr(at, nl - at);
              consumed = nl + 1;
              return true;
            }
            at = nl + 1;
          }
          return !child.running();
        },
        left.count() > 0 ? left : milliseconds(0));
    return line;
  }
};

LoadFleet::LoadFleet() = default;
LoadFleet::~LoadFleet() = default;

size_t LoadFleet::perProcessLimit(uint32_t parallel) {
  rlimit rl{};
  getrlimit(RLIMIT_NOFILE, &rl);
  const size_t hard = size_t(rl.rlim_max);
  const size_t reserve = size_t(parallel) + 2048;  // sockets in setup, and what a process has
  return hard > reserve ? hard - reserve : 1;
}

size_t LoadFleet::processesFor(size_t conns, size_t perProcess) {
  return (conns + perProcess - 1) / perProcess;
}

bool LoadFleet::start(const RunConfig &c, uint16_t port, std::string &error) {
  const size_t n = processesFor(c.conns, perProcessLimit(c.parallel));
  std::random_device seeds;
  for (size_t i = 0; i < n; ++i) {
    const size_t conns = c.conns / n + (i < c.conns % n ? 1 : 0);
    std::vector<std::string> argv = {c.loadPath,
                                     "--dst",
                                     c.dst,
                                     "--port",
                                     std::to_string(port),
                                     "--conns",
                                     std::to_string(conns),
                                     "--parallel",
                                     std::to_string(std::max<size_t>(1, c.parallel / n)),
                                     "--first-payload",
                                     std::to_string(c.firstPayloadMax),
                                     "--round-max",
                                     std::to_string(c.roundMax),
                                     "--churn-rate",
                                     std::to_string(c.churnRate / double(n)),
                                     "--stall",
                                     std::to_string(c.stallSeconds),
                                     "--end-rate",
                                     std::to_string(c.endRate / double(n)),
                                     "--id-base",
                                     std::to_string(1 + i * 0x04000000u),  // < 0x7f000000
                                     "--seed",
                                     std::to_string(seeds())};
    if (!c.sources.empty()) {
      argv.push_back("--sources");
      argv.push_back(c.sources);
    }
    _procs.push_back(std::make_unique<Proc>());
    if (!_procs.back()->child.start(argv)) {
      error = _procs.back()->child.error();
      return false;
    }
  }
  return true;
}

void LoadFleet::signalAll(int sig) {
  for (auto &p : _procs)
    p->child.signal(sig);
}

bool LoadFleet::allRunning() {
  for (auto &p : _procs)
    if (!p->child.running())
      return false;
  return !_procs.empty();
}

bool LoadFleet::waitAll(const std::string &prefix, milliseconds timeout, Fields *sum) {
  const auto deadline = Clock::now() + timeout;
  bool all = !_procs.empty();
  for (auto &p : _procs) {
    const std::string line = p->waitLine(prefix, deadline);
    if (line.empty())
      all = false;
    else if (sum)
      addFields(*sum, parseFields(line));
  }
  return all;
}

int LoadFleet::waitExitAll(milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  int worst = _procs.empty() ? -1 : 0;
  for (auto &p : _procs) {
    const auto left = std::chrono::duration_cast<milliseconds>(deadline - Clock::now());
    const int status = p->child.waitExit(left.count() > 0 ? left : milliseconds(0));
    const int code = status >= 0 && WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    if (worst == 0 && code != 0)
      worst = code;
  }
  return worst;
}

std::string LoadFleet::errTail() {
  std::string all;
  for (size_t i = 0; i < _procs.size(); ++i) {
    _procs[i]->child.pump();
    const std::string &e = _procs[i]->child.err();
    if (!e.empty())
      all +=
          "[load " + std::to_string(i) + "] " + (e.size() > 1500 ? e.substr(e.size() - 1500) : e);
  }
  return all;
}

void LoadFleet::close() {
  _procs.clear();
}

}  // namespace scale
