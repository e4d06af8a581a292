// Connection churn: --conns slots, each in a loop of connect, one 64-byte echo (checked),
// close. Counts the connections completed per second.
#include <errno.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <vector>

#include "loadgen.h"

namespace loadgen {

namespace {

struct Slot {
  int fd = -1;
  uint64_t id = 0;
  bool sent = false;
  size_t got = 0;
  char echo[kHelloSize];
};

class ChurnRun {
public:
  explicit ChurnRun(const Options &o) : _o(o), _slots(size_t(o.conns)) {}
  int run();

private:
  bool open(Slot &s);
  void finish(Slot &s, bool completed);
  int step(Slot &s, uint32_t events);

  const Options &_o;
  std::vector<Slot> _slots;
  int _ep = -1;
  uint64_t _nextId = 0;
  bool _measuring = false;
  uint64_t _completed = 0, _errors = 0, _badEchoes = 0;
  int _lastErrno = 0;
};

bool ChurnRun::open(Slot &s) {
  s.fd = startConnect(_o.port);
  if (s.fd < 0) {
    _lastErrno = errno;
    ++_errors;  // e.g. EADDRNOTAVAIL when ephemeral ports run out; retried next turn
    return false;
  }
  s.id = _nextId++;
  s.sent = false;
  s.got = 0;
  epoll_event ev{};
  ev.events = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET;
  ev.data.ptr = &s;
  epoll_ctl(_ep, EPOLL_CTL_ADD, s.fd, &ev);
  return true;
}

void ChurnRun::finish(Slot &s, bool completed) {
  ::close(s.fd);  // a normal close: FIN, as a client that is done would
  s.fd = -1;
  if (!completed)
    ++_errors;
  if (completed && _measuring)
    ++_completed;
}

// Returns 1 when the echo is complete, 0 to wait, -1 on a failed connection.
int ChurnRun::step(Slot &s, uint32_t events) {
  char hello[kHelloSize];
  helloFor(s.id, hello);
  if (!s.sent) {
    if (!(events & (EPOLLOUT | EPOLLERR | EPOLLHUP)))
      return 0;
    ssize_t w = ::send(s.fd, hello, kHelloSize, MSG_NOSIGNAL);
    if (w != ssize_t(kHelloSize)) {
      if (w < 0)
        _lastErrno = errno;
      return -1;
    }
    s.sent = true;
  }
  for (;;) {
    ssize_t n = ::recv(s.fd, s.echo + s.got, kHelloSize - s.got, 0);
    if (n > 0) {
      s.got += size_t(n);
      if (s.got < kHelloSize)
        continue;
      if (std::memcmp(s.echo, hello, kHelloSize) != 0) {
        ++_badEchoes;
        return -1;
      }
      return 1;
    }
    if (n < 0 && errno == EAGAIN)
      return 0;
    if (n < 0 && errno == EINTR)
      continue;
    _lastErrno = n < 0 ? errno : ECONNRESET;
    return -1;
  }
}

int ChurnRun::run() {
  _ep = epoll_create1(EPOLL_CLOEXEC);
  const uint64_t start = nowNs();
  const uint64_t measureFrom = start + uint64_t(_o.warmup * 1e9);
  const uint64_t measureTo = measureFrom + uint64_t(_o.duration * 1e9);
  uint64_t measuredFrom = 0, errorsBefore = 0;
  double cpuFrom = -1, ownFrom = -1;
  epoll_event evs[512];
  for (;;) {
    uint64_t now = nowNs();
    if (!_measuring && now >= measureFrom) {
      _measuring = true;
      measuredFrom = now;
      errorsBefore = _errors;
      cpuFrom = processCpuSeconds(_o.serverPid);
      ownFrom = processCpuSeconds(getpid());
    }
    if (now >= measureTo)
      break;
    for (Slot &s : _slots)
      if (s.fd < 0)
        open(s);
    int n = epoll_wait(_ep, evs, 512, 5);
    for (int i = 0; i < n; ++i) {
      Slot &s = *static_cast<Slot *>(evs[i].data.ptr);
      int r = step(s, evs[i].events);
      if (r != 0)
        finish(s, r > 0);
      if (s.fd < 0 && now < measureTo)
        open(s);
    }
  }
  double seconds = double(nowNs() - measuredFrom) / 1e9;
  double cpuTo = processCpuSeconds(_o.serverPid), ownTo = processCpuSeconds(getpid());
  for (Slot &s : _slots)
    if (s.fd >= 0)
      ::close(s.fd);
  ::close(_ep);
  uint64_t errors = _errors - errorsBefore;
  if (errors)
    std::fprintf(stderr, "loadgen: churn: %llu failed connections (last: %s)\n",
                 (unsigned long long)errors, std::strerror(_lastErrno));
  std::printf(
      "result mode=churn concurrency=%d seconds=%.3f conns=%llu conns_per_s=%.1f srv_cpu_s=%.3f "
      "load_cpu_s=%.3f errors=%llu\n",
      _o.conns, seconds, (unsigned long long)_completed, _completed / seconds,
      cpuFrom < 0 || cpuTo < 0 ? -1.0 : cpuTo - cpuFrom,
      ownFrom < 0 || ownTo < 0 ? -1.0 : ownTo - ownFrom, (unsigned long long)errors);
  if (_badEchoes) {
    std::fprintf(stderr, "loadgen: churn: %llu echoes differ from what was sent\n",
                 (unsigned long long)_badEchoes);
    return kBadEcho;
  }
  return _completed > 0 ? kOk : kNoResult;
}

}  // namespace

int runChurn(const Options &o) {
  ChurnRun r(o);
  return r.run();
}

}  // namespace loadgen
