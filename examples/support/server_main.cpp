#include "support/server_main.h"

#include <pthread.h>
#include <signal.h>

#include <cerrno>
#include <chrono>
#include <cstdint>
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

[[noreturn]] void usage(const char *argv0, std::initializer_list<MillisecondsOption> extra) {
  std::fprintf(stderr, "usage: %s [--host ADDRESS] [--port N] [--verbose] [--tls CERT KEY]", argv0);
  for (const MillisecondsOption &o : extra)
    std::fprintf(stderr, " [%s N]", o.name);
  std::fprintf(stderr, "\n");
  std::exit(2);
}

bool parseNumber(const char *text, long long max, long long &out) {
  char *end = nullptr;
  errno = 0;
  out = std::strtoll(text, &end, 10);
  return end != text && *end == '\0' && errno == 0 && out >= 0 && out <= max;
}

// Parses argv[i] if it is one of `extra` (taking its value too); false if it is not one.
bool parseExtra(int argc, char **argv, int &i, std::initializer_list<MillisecondsOption> extra) {
  for (const MillisecondsOption &o : extra) {
    if (std::strcmp(argv[i], o.name) != 0)
      continue;
    long long ms = 0;
    if (i + 1 >= argc || !parseNumber(argv[++i], UINT32_MAX, ms))
      usage(argv[0], extra);
    *o.value = uint32_t(ms);
    return true;
  }
  return false;
}

}  // namespace

ServerOptions parseServerOptions(int argc, char **argv, uint16_t defaultPort,
                                 std::initializer_list<MillisecondsOption> extra) {
  ServerOptions o;
  long long port = defaultPort;
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--host") == 0 && i + 1 < argc) {
      o.host = argv[++i];
    } else if (std::strcmp(argv[i], "--port") == 0 && i + 1 < argc) {
      if (!parseNumber(argv[++i], 65535, port))
        usage(argv[0], extra);
    } else if (std::strcmp(argv[i], "--verbose") == 0) {
      o.verbose = true;
    } else if (std::strcmp(argv[i], "--tls") == 0 && i + 2 < argc) {
      o.tlsCert = argv[++i];
      o.tlsKey = argv[++i];
    } else if (!parseExtra(argc, argv, i, extra)) {
      usage(argv[0], extra);
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
  if (o.tlsCert) {
#if ASYNC_TCP_SSL_ENABLED
    if (!server.beginSecure(o.tlsCert, o.tlsKey, nullptr)) {
      std::fprintf(stderr, "%s: cannot serve TLS with %s and %s (%s)\n", name, o.tlsCert, o.tlsKey,
                   server.lastErrno() == EINVAL ? "they do not load" : "cannot listen");
      return false;
    }
    std::printf("TLS with the certificate %s\n", o.tlsCert);
#else
    std::fprintf(stderr, "%s: --tls: AsyncTCP was built without TLS\n", name);
    return false;
#endif
  } else {
    server.begin();
  }
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
