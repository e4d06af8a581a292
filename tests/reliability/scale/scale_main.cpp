// asynctcp_scale: the long forms of the scale run (scripts/stress runs them).
//   asynctcp_scale [--conns N] [--churn-seconds S] [--churn-rate R] [--parallel K]
//                  [--sources N] [--threads T] [--strikes R] [--stall S]
//                  [--soak-minutes M] [--sample-seconds S] [--csv PATH] [--own-netns]
// --own-netns (root): run in a network namespace of this process's own, with its own
// loopback, port range and accept-queue limit, so nothing global changes and no packet
// leaves it. The lwIP build always makes one (a TAP link to lwIP, tests/lwip/tap_link.h).
// --soak-minutes M: churn for M minutes, sampling every --sample-seconds (default 60).
// Exit status 0 when every check held.
#include <sched.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include "scale_run.h"
#if defined(ASYNCTCP_BACKEND_LWIP)
#include "lwip/tap_link.h"
#endif

namespace {

bool writeProc(const char *path, const char *value) {
  FILE *f = std::fopen(path, "w");
  if (!f)
    return false;
  const bool ok = std::fputs(value, f) >= 0;
  return std::fclose(f) == 0 && ok;
}

// Inside the namespace only: the widest port range and a long accept queue.
bool tuneNamespace() {
  return writeProc("/proc/sys/net/ipv4/ip_local_port_range", "1024 65535") &&
         writeProc("/proc/sys/net/core/somaxconn", "65535") &&
         writeProc("/proc/sys/net/ipv4/tcp_max_syn_backlog", "65535");
}

std::string sourcesFor(int n, const char *prefix, int first) {
  std::string s;
  for (int i = 0; i < n; ++i)
    s += (i ? "," : "") + std::string(prefix) + std::to_string(first + i);
  return s;
}

// Before any thread exists: unshare(CLONE_NEWNET) moves only the calling thread.
bool makeNetwork(bool ownNetns, int sources, scale::RunConfig &c) {
#if defined(ASYNCTCP_BACKEND_LWIP)
  (void)ownNetns;
  const std::string why = tst::lwip::makeTapLink("atcpscale0");
  if (!why.empty()) {
    std::fprintf(stderr, "asynctcp_scale: no TAP link to lwIP: %s\n", why.c_str());
    return false;
  }
  // More Linux addresses on the link: each is a full port range towards lwIP.
  for (int i = 0; i < sources - 1; ++i) {
    const std::string cmd =
        "ip addr add 10.200.0." + std::to_string(10 + i) + "/24 dev atcpscale0 >/dev/null 2>&1";
    if (std::system(cmd.c_str()) != 0)
      return false;
  }
  c.sources = "10.200.0.1" + (sources > 1 ? "," + sourcesFor(sources - 1, "10.200.0.", 10) : "");
  c.dst = "10.200.0.2";
  c.bindIp = IPAddress(0, 0, 0, 0);  // lwIP's TAP netif and its loopback
  c.lossyLink = true;
  c.endRate = 100;  // ~2 segments each for lwIP: what it takes at 100,000 pcbs
  c.probeIp = IPAddress(127, 0, 0, 1);
  return tuneNamespace();
#else
  c.sources = sourcesFor(sources, "127.0.0.", 2);
  c.dst = "127.0.0.1";
  c.bindIp = IPAddress(127, 0, 0, 1);
  c.probeIp = IPAddress(127, 0, 0, 1);
  if (!ownNetns)
    return true;
  if (unshare(CLONE_NEWNET) != 0) {
    std::perror("asynctcp_scale: unshare(CLONE_NEWNET)");
    return false;
  }
  return std::system("ip link set lo up") == 0 && tuneNamespace();
#endif
}

// Linux sockets: every server connection is a descriptor of this process. Without
// CAP_SYS_RESOURCE the hard RLIMIT_NOFILE cannot be raised, and it bounds the run.
void capToDescriptors(scale::RunConfig &c) {
#if !defined(ASYNCTCP_BACKEND_LWIP)
  const size_t limit = scale::raiseFdLimit(2 * c.conns + 65536);
  // Room beyond the held connections: replacements accepted during churn before the ends
  // they replace, closed connections flushing (up to 10 s), the in-process clients, pipes.
  const size_t reserve = c.parallel + 2048;
  if (c.conns + reserve <= limit)
    return;
  const size_t asked = c.conns;
  c.conns = limit > reserve ? limit - reserve : 1;
  c.note = "asked for " + std::to_string(asked) + " connections; this process may open " +
           std::to_string(limit) +
           " descriptors (the hard RLIMIT_NOFILE; raising it needs CAP_SYS_RESOURCE), so the "
           "server holds " +
           std::to_string(c.conns);
  std::fprintf(stderr, "asynctcp_scale: %s\n", c.note.c_str());
#else
  (void)c;  // lwIP's connections are no descriptors; the load splits itself to fit
#endif
}

}  // namespace

int main(int argc, char **argv) {
  scale::RunConfig c;
  c.conns = 100000;
  c.churnSeconds = 60;
#if defined(ASYNCTCP_BACKEND_LWIP)
  // lwIP walks its pcb list for every segment: near 100,000 pcbs its thread takes a few
  // hundred segments a second (the ramp there runs at ~230 connections/s), and its
  // 128-message input queue drops the rest (TCP resends them, slowly). Gentle churn, a slow
  // teardown, and patience for a connection's progress.
  c.parallel = 64;
  c.churnRate = 20;
  c.stallSeconds = 300;
  c.crossThreads = 1;  // each in-process connection is two more pcbs in that list
#else
  c.parallel = 512;
  c.churnRate = 2000;
#endif
  c.sampleSeconds = 10;
  c.loadPath = ASYNCTCP_SCALE_LOAD;
  c.progress = true;
  bool ownNetns = false;
  int sources = 4;
  double soakMinutes = 0;
  for (int i = 1; i < argc; ++i) {
    const std::string k = argv[i];
    if (k == "--own-netns") {
      ownNetns = true;
      continue;
    }
    if (i + 1 >= argc) {
      std::fprintf(stderr, "usage: see the top of scale_main.cpp\n");
      return 2;
    }
    const char *v = argv[++i];
    const double x = std::strtod(v, nullptr);
    if (k == "--conns")
      c.conns = size_t(x);
    else if (k == "--churn-seconds")
      c.churnSeconds = x;
    else if (k == "--churn-rate")
      c.churnRate = x;
    else if (k == "--parallel")
      c.parallel = uint32_t(x);
    else if (k == "--sources")
      sources = int(x);
    else if (k == "--threads")
      c.crossThreads = int(x);
    else if (k == "--strikes")
      c.strikesPerSecond = x;
    else if (k == "--stall")
      c.stallSeconds = uint32_t(x);
    else if (k == "--soak-minutes")
      soakMinutes = x;
    else if (k == "--sample-seconds")
      c.sampleSeconds = x;
    else if (k == "--csv")
      c.csvPath = v;
    else {
      std::fprintf(stderr, "asynctcp_scale: unknown option %s\n", k.c_str());
      return 2;
    }
  }
  if (soakMinutes > 0)
    c.churnSeconds = soakMinutes * 60;
  if (!makeNetwork(ownNetns, sources, c))
    return 2;
  capToDescriptors(c);
  const scale::RunReport r = scale::runScale(c);
  scale::printReport(stdout, r);
  return r.failures.empty() ? 0 : 1;
}
