#include "lifecycle.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <ctime>
#include <thread>

namespace asynctcp::arduino {
namespace {

std::atomic<bool> stopFlag{false};
int stopPipe[2] = {-1, -1};  // written once on stop and never drained: stays readable

void markStopped() {
  if (!stopFlag.exchange(true) && stopPipe[1] >= 0) {
    const char byte = 1;
    ssize_t n;
    do {
      n = ::write(stopPipe[1], &byte, 1);
    } while (n < 0 && errno == EINTR);
  }
}

// Only async-signal-safe work: an atomic exchange and write(2).
void onStopSignal(int) {
  const int saved = errno;
  markStopped();
  errno = saved;
}

}  // namespace

bool installStopSignals() {
  if (stopPipe[0] < 0 && ::pipe2(stopPipe, O_CLOEXEC) != 0)
    return false;
  struct sigaction sa = {};
  sa.sa_handler = onStopSignal;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = SA_RESTART;
  return sigaction(SIGINT, &sa, nullptr) == 0 && sigaction(SIGTERM, &sa, nullptr) == 0;
}

bool stopRequested() {
  return stopFlag.load();
}

void requestStop() {
  markStopped();
}

bool sleepUnlessStopped(uint64_t ms) {
  if (stopPipe[0] < 0) {  // outside the runner (a unit test): a plain sleep
    std::this_thread::sleep_for(std::chrono::milliseconds(ms));
    return true;
  }
  pollfd p{stopPipe[0], POLLIN, 0};
  // poll() may return early on EINTR; the deadline keeps the total right.
  timespec start;
  clock_gettime(CLOCK_MONOTONIC, &start);
  for (;;) {
    timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    const int64_t elapsed =
        (now.tv_sec - start.tv_sec) * 1000 + (now.tv_nsec - start.tv_nsec) / 1000000;
    if (static_cast<uint64_t>(elapsed) >= ms)
      return true;
    const int64_t left = static_cast<int64_t>(ms) - elapsed;
    if (::poll(&p, 1, left > INT32_MAX ? INT32_MAX : static_cast<int>(left)) > 0)
      return false;
  }
}

void exitNow(int status) {
  std::fflush(stdout);
  std::fflush(stderr);
  ::_exit(status);
}

}  // namespace asynctcp::arduino
