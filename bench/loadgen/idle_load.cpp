// Idle connections: opens --conns connections (each proven with one echo), prints
// "ready conns=N", then holds them without traffic until SIGTERM (or --hold seconds), so the
// runner can read the server's memory. A connection the server drops meanwhile is an error.
#include <errno.h>
#include <signal.h>
#include <sys/epoll.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>

#include "loadgen.h"

namespace loadgen {

namespace {
volatile sig_atomic_t g_stop = 0;
void onStop(int) {
  g_stop = 1;
}
}  // namespace

int runIdle(const Options &o) {
  struct sigaction sa {};
  sa.sa_handler = onStop;  // no SA_RESTART: epoll_wait returns EINTR
  sigaction(SIGTERM, &sa, nullptr);
  sigaction(SIGINT, &sa, nullptr);

  std::vector<int> fds;
  std::string error;
  const uint64_t start = nowNs();
  if (!connectAll(o, o.conns, 256, fds, error)) {
    std::fprintf(stderr, "loadgen: %s\n", error.c_str());
    return kSetupFailed;
  }
  double setupSeconds = double(nowNs() - start) / 1e9;
  std::printf("ready conns=%zu setup_seconds=%.3f\n", fds.size(), setupSeconds);

  int ep = epoll_create1(EPOLL_CLOEXEC);
  for (int fd : fds) {
    epoll_event ev{};
    ev.events = EPOLLIN | EPOLLRDHUP;
    ev.data.fd = fd;
    epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
  }
  const uint64_t until = nowNs() + uint64_t(o.hold * 1e9);
  size_t dropped = 0;
  epoll_event evs[256];
  while (!g_stop && nowNs() < until) {
    int n = epoll_wait(ep, evs, 256, 100);
    for (int i = 0; i < n; ++i) {
      // Anything readable on an idle connection is a close (or stray data): stop watching it.
      epoll_ctl(ep, EPOLL_CTL_DEL, evs[i].data.fd, nullptr);
      ++dropped;
    }
  }
  for (int fd : fds)
    ioClose(fd);
  ::close(ep);
  std::printf("result mode=idle conns=%zu setup_seconds=%.3f dropped=%zu errors=%zu\n", fds.size(),
              setupSeconds, dropped, dropped);
  if (dropped) {
    std::fprintf(stderr, "loadgen: idle: the server dropped %zu connections\n", dropped);
    return kBadEcho;
  }
  return kOk;
}

}  // namespace loadgen
