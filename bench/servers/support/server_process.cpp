#include "support/server_process.h"

#include <malloc.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <sys/resource.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace bench {

namespace {

sigset_t ownedSignals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGUSR1);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  return set;
}

long rssKb() {
  FILE *f = std::fopen("/proc/self/status", "r");
  if (!f)
    return -1;
  char line[256];
  long kb = -1;
  while (std::fgets(line, sizeof line, f))
    if (std::sscanf(line, "VmRSS: %ld kB", &kb) == 1)
      break;
  std::fclose(f);
  return kb;
}

// mallinfo2 walks every arena, so it sees what the loop thread allocated too.
size_t heapBytes() {
  struct mallinfo2 mi = mallinfo2();
  return mi.uordblks + mi.hblkhd;
}

void *signalThread(void *) {
  sigset_t set = ownedSignals();
  for (;;) {
    int sig = 0;
    if (sigwait(&set, &sig) != 0)
      continue;
    if (sig == SIGUSR1) {
      std::printf("mem rss_kb=%ld heap_bytes=%zu\n", rssKb(), heapBytes());
      std::fflush(stdout);
    } else {
      std::fflush(stdout);
      _exit(0);
    }
  }
  return nullptr;
}

[[noreturn]] void usage(const char *argv0) {
  std::fprintf(stderr, "usage: %s [--port N] [--cpu N] [--tls CERT KEY] [--close]\n", argv0);
  std::exit(2);
}

long parseNumber(const char *text, long lo, long hi, const char *argv0) {
  char *end = nullptr;
  long v = std::strtol(text, &end, 10);
  if (end == text || *end != '\0' || v < lo || v > hi)
    usage(argv0);
  return v;
}

}  // namespace

ServerArgs parseServerArgs(int argc, char **argv) {
  ServerArgs args;
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--port") == 0 && i + 1 < argc)
      args.port = uint16_t(parseNumber(argv[++i], 0, 65535, argv[0]));
    else if (std::strcmp(argv[i], "--cpu") == 0 && i + 1 < argc)
      args.cpu = int(parseNumber(argv[++i], -1, CPU_SETSIZE - 1, argv[0]));
    else if (std::strcmp(argv[i], "--tls") == 0 && i + 2 < argc) {
      args.tlsCert = argv[++i];
      args.tlsKey = argv[++i];
    } else if (std::strcmp(argv[i], "--close") == 0)
      args.close = true;
    else
      usage(argv[0]);
  }
  return args;
}

void startServerProcess(const ServerArgs &args) {
  if (args.cpu >= 0) {
    cpu_set_t cpus;
    CPU_ZERO(&cpus);
    CPU_SET(args.cpu, &cpus);
    if (sched_setaffinity(0, sizeof cpus, &cpus) != 0)
      std::perror("sched_setaffinity");
  }
  rlimit lim{};
  if (getrlimit(RLIMIT_NOFILE, &lim) == 0 && lim.rlim_cur < lim.rlim_max) {
    lim.rlim_cur = lim.rlim_max;
    if (setrlimit(RLIMIT_NOFILE, &lim) != 0)
      std::perror("setrlimit");
  }
  signal(SIGPIPE, SIG_IGN);
  sigset_t set = ownedSignals();
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  pthread_t t;
  if (pthread_create(&t, nullptr, signalThread, nullptr) != 0) {
    std::perror("pthread_create");
    std::exit(1);
  }
  pthread_detach(t);
}

void announcePort(uint16_t port) {
  std::printf("port %u\n", unsigned(port));
  std::fflush(stdout);
}

void waitForever() {
  for (;;)
    pause();
}

}  // namespace bench
