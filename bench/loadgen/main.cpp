// loadgen --mode echo|churn|idle --port N [options]; prints one "result key=value ..." line.
#include <sched.h>
#include <signal.h>
#include <sys/resource.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "loadgen.h"

namespace {

[[noreturn]] void usage() {
  std::fprintf(
      stderr,
      "usage: loadgen --mode echo|churn|idle --port N [--conns N] [--size BYTES]\n"
      "               [--window N] [--warmup S] [--duration S] [--hold S] [--cpu N]\n"
      "               [--server-pid PID]  (reports the server's CPU time while measuring)\n"
      "               [--tls 1]  (echo, idle: every connection speaks TLS)\n"
      "  echo:  --conns connections, each keeping --window messages of --size bytes\n"
      "         in flight; reports MB/s, messages/s and latency percentiles\n"
      "  churn: --conns connections at once, each: connect, one 64-byte echo, close\n"
      "  idle:  opens --conns connections, prints 'ready', holds them until SIGTERM\n");
  std::exit(loadgen::kUsage);
}

double number(const char *text, double lo, double hi) {
  char *end = nullptr;
  double v = std::strtod(text, &end);
  if (end == text || *end != '\0' || v < lo || v > hi)
    usage();
  return v;
}

loadgen::Options parse(int argc, char **argv) {
  loadgen::Options o;
  for (int i = 1; i < argc; ++i) {
    const char *a = argv[i];
    if (i + 1 >= argc)
      usage();
    const char *v = argv[++i];
    if (!std::strcmp(a, "--mode"))
      o.mode = v;
    else if (!std::strcmp(a, "--port"))
      o.port = uint16_t(number(v, 1, 65535));
    else if (!std::strcmp(a, "--conns"))
      o.conns = int(number(v, 1, 1000000));
    else if (!std::strcmp(a, "--size"))
      o.size = size_t(number(v, 1, 1 << 26));
    else if (!std::strcmp(a, "--window"))
      o.window = int(number(v, 1, 64));
    else if (!std::strcmp(a, "--warmup"))
      o.warmup = number(v, 0, 3600);
    else if (!std::strcmp(a, "--duration"))
      o.duration = number(v, 0.01, 3600);
    else if (!std::strcmp(a, "--hold"))
      o.hold = number(v, 0, 86400);
    else if (!std::strcmp(a, "--cpu"))
      o.cpu = int(number(v, -1, CPU_SETSIZE - 1));
    else if (!std::strcmp(a, "--server-pid"))
      o.serverPid = int(number(v, 1, 1 << 30));
    else if (!std::strcmp(a, "--tls"))
      o.tls = number(v, 0, 1) == 1;
    else
      usage();
  }
  if (o.port == 0)
    usage();
  return o;
}

void prepareProcess(const loadgen::Options &o) {
  if (o.cpu >= 0) {
    cpu_set_t cpus;
    CPU_ZERO(&cpus);
    CPU_SET(o.cpu, &cpus);
    if (sched_setaffinity(0, sizeof cpus, &cpus) != 0)
      std::perror("loadgen: sched_setaffinity");
  }
  rlimit lim{};
  if (getrlimit(RLIMIT_NOFILE, &lim) == 0 && lim.rlim_cur < lim.rlim_max) {
    lim.rlim_cur = lim.rlim_max;
    setrlimit(RLIMIT_NOFILE, &lim);
  }
  signal(SIGPIPE, SIG_IGN);
}

}  // namespace

int main(int argc, char **argv) {
  loadgen::Options o = parse(argc, argv);
  prepareProcess(o);
  std::setvbuf(stdout, nullptr, _IOLBF, 0);
  if (o.tls && !loadgen::enableTls()) {
    std::fprintf(stderr, "loadgen: no TLS client context\n");
    return loadgen::kSetupFailed;
  }
  if (o.mode == "echo")
    return loadgen::runEcho(o);
  if (o.mode == "churn")
    return loadgen::runChurn(o);
  if (o.mode == "idle")
    return loadgen::runIdle(o);
  usage();
}
