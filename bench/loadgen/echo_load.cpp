// Echo workloads: throughput (large messages, several in flight) and ping-pong (small
// messages, one in flight). Every connection streams messages cut from a random pattern at
// an offset that depends on the connection and the message number, so a byte that comes back
// lost, duplicated, reordered or from another connection fails the comparison.
#include <errno.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <random>

#include "loadgen.h"

namespace loadgen {

namespace {

constexpr size_t kPatternSlack = 4096;
constexpr size_t kReadSize = 64 * 1024;

struct Stream {
  int fd = -1;
  uint64_t id = 0;
  uint64_t sent = 0;                // messages completely sent
  size_t sendPos = 0;               // bytes of message `sent` already sent
  uint64_t recvd = 0;               // messages completely echoed
  size_t recvPos = 0;               // bytes of message `recvd` already echoed
  std::vector<uint64_t> startedAt;  // per message slot (index % window): first byte sent
};

class EchoRun {
public:
  explicit EchoRun(const Options &o) : _o(o), _pattern(o.size + kPatternSlack) {
    std::mt19937_64 rng(12345);
    for (char &c : _pattern)
      c = char(rng());
  }

  int run();

private:
  const char *message(const Stream &s, uint64_t k) const {
    return _pattern.data() + (k * 2654435761ull + s.id * 40503ull) % kPatternSlack;
  }
  bool pump(Stream &s, uint64_t now);
  bool drain(Stream &s, bool peerClosing);
  bool fail(const char *what, const Stream &s) {
    std::fprintf(stderr, "loadgen: connection %llu: %s\n", (unsigned long long)s.id, what);
    return false;
  }
  bool idle(const Stream &s) const { return s.sendPos == 0 && s.recvd == s.sent; }

  const Options &_o;
  std::vector<char> _pattern;
  char _buf[kReadSize];
  bool _sending = true, _measuring = false;
  uint64_t _bytes = 0, _msgs = 0;  // echoed while measuring
  uint64_t _sentBytes = 0, _echoedBytes = 0;
  std::vector<uint32_t> _latencyNs;
};

// Sends while the window allows; a message once begun is always finished.
bool EchoRun::pump(Stream &s, uint64_t now) {
  const uint64_t window = uint64_t(_o.window);
  while (s.sendPos > 0 || (_sending && s.sent - s.recvd < window)) {
    if (s.sendPos == 0)
      s.startedAt[s.sent % window] = now;
    ssize_t w = ioSend(s.fd, message(s, s.sent) + s.sendPos, _o.size - s.sendPos);
    if (w < 0) {
      if (errno == EAGAIN || errno == EINTR)
        return true;
      return fail(std::strerror(errno), s);
    }
    _sentBytes += size_t(w);
    s.sendPos += size_t(w);
    if (s.sendPos == _o.size) {
      s.sendPos = 0;
      ++s.sent;
    }
  }
  return true;
}

// Reads what has come back and checks it. Returns false on a fault (reported).
bool EchoRun::drain(Stream &s, bool peerClosing) {
  for (;;) {
    ssize_t n = ioRecv(s.fd, _buf, sizeof _buf);
    if (n == 0)
      return fail("closed by the server", s);
    if (n < 0) {
      if (errno == EAGAIN)
        return true;
      if (errno == EINTR)
        continue;
      return fail(std::strerror(errno), s);
    }
    uint64_t now = nowNs();
    _echoedBytes += size_t(n);
    if (_measuring)
      _bytes += size_t(n);
    for (size_t i = 0; i < size_t(n);) {
      if (s.recvd >= s.sent + (s.sendPos ? 1 : 0))
        return fail("more bytes came back than were sent", s);
      size_t m = std::min(size_t(n) - i, _o.size - s.recvPos);
      if (std::memcmp(_buf + i, message(s, s.recvd) + s.recvPos, m) != 0)
        return fail("echoed bytes differ from the bytes sent", s);
      i += m;
      s.recvPos += m;
      if (s.recvPos < _o.size)
        continue;
      if (_measuring) {
        ++_msgs;
        uint64_t lat = now - s.startedAt[s.recvd % uint64_t(_o.window)];
        _latencyNs.push_back(uint32_t(std::min<uint64_t>(lat, UINT32_MAX)));
      }
      s.recvPos = 0;
      ++s.recvd;
    }
    if (!pump(s, now))
      return false;
    // A short read drained the socket and the next data brings a new edge; a FIN that was
    // already signalled brings none, so then read on to see it. Over TLS a read ends at a
    // record, short or not: read on until the session says it waits.
    if (size_t(n) < sizeof _buf && !peerClosing && !_o.tls)
      return true;
  }
}

double percentileUs(std::vector<uint32_t> &v, double q) {
  if (v.empty())
    return 0;
  size_t k = std::min(v.size() - 1, size_t(q * double(v.size())));
  std::nth_element(v.begin(), v.begin() + long(k), v.end());
  return v[k] / 1000.0;
}

int EchoRun::run() {
  std::vector<int> fds;
  std::string error;
  if (!connectAll(_o, _o.conns, 256, fds, error)) {
    std::fprintf(stderr, "loadgen: %s\n", error.c_str());
    return kSetupFailed;
  }
  std::vector<Stream> streams(fds.size());
  int ep = epoll_create1(EPOLL_CLOEXEC);
  for (size_t i = 0; i < fds.size(); ++i) {
    streams[i].fd = fds[i];
    streams[i].id = i;
    streams[i].startedAt.resize(size_t(_o.window));
    epoll_event ev{};
    ev.events = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET;
    ev.data.ptr = &streams[i];
    epoll_ctl(ep, EPOLL_CTL_ADD, fds[i], &ev);
  }
  _latencyNs.reserve(1 << 20);

  const uint64_t start = nowNs();
  const uint64_t measureFrom = start + uint64_t(_o.warmup * 1e9);
  const uint64_t measureTo = measureFrom + uint64_t(_o.duration * 1e9);
  uint64_t measuredFrom = 0, measuredTo = 0, drainDeadline = 0;
  double cpuFrom = -1, cpuTo = -1;  // the server's CPU seconds at both ends of the window
  double ownFrom = -1, ownTo = -1;  // ours: whether the load generator was the bottleneck
  bool ok = true;
  for (Stream &s : streams)
    ok = ok && pump(s, start);
  epoll_event evs[512];
  while (ok) {
    uint64_t now = nowNs();
    if (!_measuring && _sending && now >= measureFrom) {
      _measuring = true;
      measuredFrom = now;
      cpuFrom = processCpuSeconds(_o.serverPid);
      ownFrom = processCpuSeconds(getpid());
    }
    if (_sending && now >= measureTo) {
      // Stop: no new messages, and what is in flight must all come back.
      _measuring = false;
      _sending = false;
      measuredTo = now;
      cpuTo = processCpuSeconds(_o.serverPid);
      ownTo = processCpuSeconds(getpid());
      drainDeadline = now + 5000000000ull;
    }
    if (!_sending) {
      if (std::all_of(streams.begin(), streams.end(), [this](const Stream &s) { return idle(s); }))
        break;
      if (now > drainDeadline) {
        std::fprintf(stderr, "loadgen: echo stalled: %llu bytes sent never came back\n",
                     (unsigned long long)(_sentBytes - _echoedBytes));
        ok = false;
        break;
      }
    }
    int n = epoll_wait(ep, evs, 512, 5);
    for (int i = 0; i < n && ok; ++i) {
      Stream &s = *static_cast<Stream *>(evs[i].data.ptr);
      uint32_t e = evs[i].events;
      if (e & EPOLLERR) {
        int err = 0;
        socklen_t len = sizeof err;
        getsockopt(s.fd, SOL_SOCKET, SO_ERROR, &err, &len);
        ok = fail(err ? std::strerror(err) : "socket error", s);
      }
      if (ok && (e & EPOLLOUT))
        ok = pump(s, nowNs());
      if (ok && (e & (EPOLLIN | EPOLLRDHUP | EPOLLHUP)))
        ok = drain(s, e & (EPOLLRDHUP | EPOLLHUP));
    }
  }
  for (int fd : fds)
    ioClose(fd);
  ::close(ep);
  if (!ok)
    return kBadEcho;

  double seconds = double(measuredTo - measuredFrom) / 1e9;
  double p50 = percentileUs(_latencyNs, 0.50), p99 = percentileUs(_latencyNs, 0.99);
  std::printf(
      "result mode=echo conns=%d size=%zu window=%d seconds=%.3f bytes=%llu mb_per_s=%.2f "
      "msgs=%llu msgs_per_s=%.1f p50_us=%.1f p99_us=%.1f sent_bytes=%llu echoed_bytes=%llu "
      "srv_cpu_s=%.3f load_cpu_s=%.3f errors=0\n",
      _o.conns, _o.size, _o.window, seconds, (unsigned long long)_bytes, _bytes / seconds / 1e6,
      (unsigned long long)_msgs, _msgs / seconds, p50, p99, (unsigned long long)_sentBytes,
      (unsigned long long)_echoedBytes, cpuFrom < 0 || cpuTo < 0 ? -1.0 : cpuTo - cpuFrom,
      ownFrom < 0 || ownTo < 0 ? -1.0 : ownTo - ownFrom);
  return _msgs > 0 ? kOk : kNoResult;
}

}  // namespace

int runEcho(const Options &o) {
  auto *r = new EchoRun(o);  // large: keep it off the stack
  int rc = r->run();
  delete r;
  return rc;
}

}  // namespace loadgen
