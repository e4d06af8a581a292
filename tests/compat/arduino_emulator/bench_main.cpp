// The benchmark's ESPAsyncWebServer program (routes in bench_server.cpp):
//   bench_<variant> --port N [--cpu N]
// Prints "port N" once listening and exits 0 on SIGTERM or SIGINT. --port 0 takes a port the
// kernel says is free (ESPAsyncWebServer cannot report the port it bound), as scripts/bench's
// servers do.
#include <netinet/in.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "bench_server.h"

namespace {

struct Options {
  int port = 8080;
  int cpu = -1;
};

bool parse(int argc, char **argv, Options *o) {
  for (int i = 1; i + 1 < argc; i += 2) {
    if (std::strcmp(argv[i], "--port") == 0)
      o->port = std::atoi(argv[i + 1]);
    else if (std::strcmp(argv[i], "--cpu") == 0)
      o->cpu = std::atoi(argv[i + 1]);
    else
      return false;
  }
  return argc % 2 == 1 && o->port >= 0 && o->port < 65536;
}

// A port free right now on every address; 0 if none could be had.
int freePort() {
  int fd = socket(AF_INET6, SOCK_STREAM, 0);
  if (fd < 0)
    return 0;
  sockaddr_in6 a{};
  a.sin6_family = AF_INET6;
  socklen_t len = sizeof(a);
  int port = 0;
  if (bind(fd, reinterpret_cast<sockaddr *>(&a), len) == 0 &&
      getsockname(fd, reinterpret_cast<sockaddr *>(&a), &len) == 0)
    port = ntohs(a.sin6_port);
  close(fd);
  return port;
}

// Before any thread starts, so that the AsyncTCP's threads inherit it.
void pinTo(int cpu) {
  if (cpu < 0)
    return;
  cpu_set_t set;
  CPU_ZERO(&set);
  CPU_SET(cpu, &set);
  sched_setaffinity(0, sizeof(set), &set);
}

}  // namespace

int main(int argc, char **argv) {
  Options opt;
  if (!parse(argc, argv, &opt)) {
    std::fprintf(stderr, "usage: %s --port N [--cpu N]\n", argv[0]);
    return 2;
  }
  if (opt.port == 0 && (opt.port = freePort()) == 0) {
    std::perror("no free port");
    return 1;
  }
  pinTo(opt.cpu);
  // Blocked before the library's threads start, so that only sigwait() below receives them.
  sigset_t stop;
  sigemptyset(&stop);
  sigaddset(&stop, SIGINT);
  sigaddset(&stop, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop, nullptr);
  signal(SIGPIPE, SIG_IGN);

  startBenchServer(uint16_t(opt.port));
  std::printf("port %d\n", opt.port);
  std::fflush(stdout);

  int sig = 0;
  sigwait(&stop, &sig);
  // No teardown: PosixAsyncTCP's poll thread may still be using the server.
  std::_Exit(0);
}
