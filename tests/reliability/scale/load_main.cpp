// asynctcp_scale_load: the load process of the scale run (load_generator.h). Started by the
// orchestrator (scale_run.h), never by hand in the usual case:
//   asynctcp_scale_load --dst 127.0.0.1 --port P [--sources 127.0.0.2,127.0.0.3] --conns N
//       [--parallel K] [--first-payload B] [--round-max B] [--churn-rate R] [--stall S]
//       [--end-rate R]
//       [--id-base I] [--seed S]
#include <arpa/inet.h>
#include <signal.h>
#include <sys/resource.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include "load_generator.h"

namespace {

volatile sig_atomic_t g_command = scale::load::kNone;

void onSignal(int sig) {
  g_command = sig == SIGUSR1   ? scale::load::kChurn
              : sig == SIGUSR2 ? scale::load::kQuiet
                               : scale::load::kTeardown;
}

bool parseIp(const char *s, in_addr *out) {
  return inet_pton(AF_INET, s, out) == 1;
}

bool parseSources(const char *csv, std::vector<in_addr> &out) {
  std::string all = csv;
  size_t at = 0;
  while (at <= all.size()) {
    const size_t comma = all.find(',', at);
    const std::string one = all.substr(at, comma == std::string::npos ? comma : comma - at);
    in_addr a{};
    if (!parseIp(one.c_str(), &a))
      return false;
    out.push_back(a);
    if (comma == std::string::npos)
      break;
    at = comma + 1;
  }
  return true;
}

bool parse(int argc, char **argv, scale::load::Options &o) {
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string k = argv[i];
    const char *v = argv[i + 1];
    if (k == "--dst" && parseIp(v, &o.dst))
      continue;
    if (k == "--sources" && parseSources(v, o.sources))
      continue;
    const unsigned long long n = std::strtoull(v, nullptr, 10);
    if (k == "--port")
      o.port = uint16_t(n);
    else if (k == "--conns")
      o.conns = uint32_t(n);
    else if (k == "--parallel")
      o.parallel = uint32_t(n);
    else if (k == "--first-payload")
      o.firstPayloadMax = uint32_t(n);
    else if (k == "--round-max")
      o.roundMax = uint32_t(n);
    else if (k == "--churn-rate")
      o.churnRate = std::strtod(v, nullptr);
    else if (k == "--end-rate")
      o.endRate = std::strtod(v, nullptr);
    else if (k == "--stall")
      o.stallSeconds = uint32_t(n);
    else if (k == "--id-base")
      o.idBase = uint32_t(n);
    else if (k == "--seed")
      o.seed = n;
    else
      return false;
  }
  return argc % 2 == 1 && o.port != 0 && o.dst.s_addr != 0 && o.conns > 0 && o.parallel > 0;
}

}  // namespace

int main(int argc, char **argv) {
  scale::load::Options o;
  if (!parse(argc, argv, o)) {
    std::fprintf(stderr, "usage: %s --dst IP --port P --conns N [options] (see load_main.cpp)\n",
                 argv[0]);
    return 1;
  }
  // Every connection is an fd: raise the soft limit as far as the hard one allows (raising
  // the hard limit needs CAP_SYS_RESOURCE; the orchestrator splits the load to fit it).
  rlimit rl{};
  getrlimit(RLIMIT_NOFILE, &rl);
  const rlim_t want = rlim_t(o.conns) + o.parallel + 1024;
  if (rl.rlim_cur < want) {
    rl.rlim_cur = want < rl.rlim_max ? want : rl.rlim_max;
    setrlimit(RLIMIT_NOFILE, &rl);
  }
  if (rl.rlim_cur < want) {
    std::fprintf(stderr, "load: %llu connections need %llu descriptors, the hard limit is %llu\n",
                 (unsigned long long)o.conns, (unsigned long long)want,
                 (unsigned long long)rl.rlim_max);
    return 2;
  }
  struct sigaction sa {};
  sa.sa_handler = onSignal;  // no SA_RESTART: epoll_wait returns at once
  sigaction(SIGUSR1, &sa, nullptr);
  sigaction(SIGUSR2, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);
  return scale::load::run(o, &g_command);
}
