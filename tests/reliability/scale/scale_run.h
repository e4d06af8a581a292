// One scale run: the server under test in this process (ScaleServer), the load in a process
// of its own (asynctcp_scale_load), and, while the load churns, in-process clients driven
// from other threads plus a chaos thread striking at the server's connections. Phases:
//   baseline -> ramp to `conns` held connections -> sample memory and idle CPU there ->
//   churn (stress: churnSeconds; soak: the same, sampled every sampleSeconds) ->
//   quiet (every connection idle again, sampled) -> teardown -> every end accounted for,
//   descriptors and heap back to the baseline.
// The report lists every check that failed; an empty list is a pass.
#pragma once

#include <AsyncTCP.h>

#include <cstdint>
#include <cstdio>
#include <map>
#include <string>
#include <vector>

#include "cross_thread_clients.h"
#include "process_probe.h"
#include "scale_server.h"

namespace scale {

struct RunConfig {
  size_t conns = 2000;      // connections the load process holds at once
  uint32_t parallel = 256;  // load connections in setup at once
  uint32_t firstPayloadMax = 4096, roundMax = 16384;
  double churnSeconds = 5;
  double churnRate = 300;         // load churn operations per second
  double sampleSeconds = 0;       // > 0: a sample (and CSV row) this often while churning
  double idleSeconds = 5;         // the window over which idle CPU is measured at the peak
  int crossThreads = 3;           // threads driving in-process clients
  double strikesPerSecond = 200;  // chaos: close()/abort()/delete from another thread
  uint32_t stallSeconds = 60;     // a load connection without progress this long fails
  std::string loadPath;           // the asynctcp_scale_load binary
  IPAddress bindIp;               // the server listens here (port 0)
  std::string dst;                // the load connects here ...
  std::string sources;            // ... from these addresses, comma-separated ("": any)
  IPAddress probeIp;              // in-process clients connect here
  std::string csvPath;            // every sample, one row each ("": none)
  bool progress = false;          // progress lines on stderr
  // lwIP's TAP link drops frames when lwIP's input queue is full; a dropped RST leaves a
  // half-open connection. Allowed, counted and ended by a keepalive sweep at teardown.
  bool lossyLink = false;
  double endRate = 0;  // teardown: idle load connections ended a second, all processes (0: at once)
  std::string note;    // why the run is smaller than asked, for the report
};

struct Sample {
  std::string phase;
  ProcessSample p;
  size_t live = 0;  // the server's open connections
};

struct RunReport {
  RunConfig config;
  double rampSeconds = 0, churnSeconds = 0, quietSeconds = 0, teardownSeconds = 0;
  double totalSeconds = 0;
  Sample base, peak, afterChurn, end, endTrimmed;
  double idleCpuPercent = 0;  // this process, over 5 s with every connection idle at the peak
  size_t loadProcesses = 0;
  std::map<std::string, uint64_t> load;  // the load's result lines, summed
  int loadExit = -1;
  ServerCounts server;
  ProbeCounts probes;
  uint64_t strikes = 0;
  size_t halfOpenAtQuiet = 0;   // lossy link: server connections whose peer was already gone
  size_t swept = 0;             // lossy link: connections the keepalive sweep was applied to
  std::vector<Sample> samples;  // every sample, in order
  std::vector<std::string> failures;
};

RunReport runScale(const RunConfig &config);
void printReport(std::FILE *f, const RunReport &r);
void writeCsv(const std::string &path, const std::vector<Sample> &samples);

}  // namespace scale
