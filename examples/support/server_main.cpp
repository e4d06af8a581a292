#include "support/server_main.h"

#include <pthread.h>
#include <signal.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <thread>

namespace example {

namespace {

sigset_t stopSignals() {
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  return signals;
}

[[noreturn]] void usage(const char *argv0) {
  std::fprintf(stderr, "usage: %s [--host ADDRESS] [--port N] [--verbose]\n", argv0);
  std::exit(2);
}

}  // namespace

ServerOptions parseServerOptions(int argc, char **argv, uint16_t defaultPort) {
  ServerOptions o;
  long port = defaultPort;
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--host") == 0 && i + 1 < argc) {
      o.host = argv[++i];
    } else if (std::strcmp(argv[i], "--port") == 0 && i + 1 < argc) {
      char *end = nullptr;
      port = std::strtol(argv[++i], &end, 10);
      if (*end != '\0' || port < 0 || port > 65535)
        usage(argv[0]);
    } else if (std::strcmp(argv[i], "--verbose") == 0) {
      o.verbose = true;
    } else {
      usage(argv[0]);
    }
  }
  if (!o.address.fromString(o.host)) {
    std::fprintf(stderr, "%s: '%s' is not an IP address\n", argv[0], o.host);
    std::exit(2);
  }
  o.port = uint16_t(port);
  std::setvbuf(stdout, nullptr, _IOLBF, 0);
  return o;
}

void blockStopSignals() {
  const sigset_t signals = stopSignals();
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
}

bool startListening(AsyncServer &server, const ServerOptions &o, const char *name) {
  server.begin();
  if (server.status() != LISTEN) {
    std::fprintf(stderr, "%s: cannot listen on %s:%u: %s\n", name, o.host, o.port,
                 std::strerror(server.lastErrno()));
    return false;
  }
  const bool v6 = o.address.isV6();
  std::printf("listening on %s%s%s:%u\n", v6 ? "[" : "", o.host, v6 ? "]" : "", server.port());
  return true;
}

const char *waitForStop(AsyncServer &server, std::atomic<bool> &stopping,
                        const std::atomic<int> &connections) {
  const sigset_t signals = stopSignals();
  int sig = 0;
  sigwait(&signals, &sig);
  server.end();
  stopping = true;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(3);
  while (connections > 0 && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  return strsignal(sig);
}

}  // namespace example
