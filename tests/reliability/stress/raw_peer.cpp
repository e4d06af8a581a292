#include "stress/raw_peer.h"

#include "stress/random.h"
#include "stress/stream.h"
#include "test_support.h"

#include <poll.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <thread>

using namespace std::chrono_literals;
using tst::Clock;
using tst::milliseconds;
using tst::PeerEnd;
using tst::RawSocket;

namespace stress {

namespace {

enum RawKind { Echo, HalfClose, Reset, Vanish, Idle };

// Sends `out` while reading the echo until `want` bytes came back (or EOF, error, timeout).
bool exchangeEcho(RawSocket &s, const std::string &out, std::string &in, milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  size_t sent = 0;
  char buf[64 * 1024];
  while (in.size() < out.size() && Clock::now() < deadline) {
    pollfd p{s.fd(), short(POLLIN | (sent < out.size() ? POLLOUT : 0)), 0};
    if (::poll(&p, 1, 50) <= 0)
      continue;
    if ((p.revents & POLLOUT) && sent < out.size()) {
      long n =
          s.trySend(out.data() + sent, std::min<size_t>(out.size() - sent, size_t(rnd(1, 65536))));
      if (n < 0)
        return false;
      sent += size_t(n);
    }
    if (p.revents & (POLLIN | POLLHUP | POLLERR)) {
      ssize_t n = ::recv(s.fd(), buf, sizeof buf, MSG_DONTWAIT);
      if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR))
        return false;
      if (n > 0)
        in.append(buf, size_t(n));
    }
  }
  return in.size() == out.size();
}

// A stream for a peer of `kind`: the ones that do not read must not need the echo read.
StreamSpec rawSpec(RawKind kind) {
  const bool served = kind == Echo || kind == HalfClose;
  StreamSpec spec = randomSpec(served ? ServerMode::Echo : randomServerMode());
  spec.kind = uint8_t(20 + kind);
  spec.encode();
  if (!served && spec.len > 32 * 1024) {
    spec.len = 32 * 1024;  // fits in the socket buffers without reading
    spec.threshold = std::min(spec.threshold, spec.len);
    spec.encode();
  }
  return spec;
}

void echo(Stats &stats, RawSocket &s, const StreamSpec &spec, const std::string &out) {
  std::string in;
  stats.cleanSessions++;
  const bool ok = exchangeEcho(s, out, in, 10000ms);
  stats.bytesAccepted += out.size();
  stats.bytesEchoed += in.size();
  if (!spec.matches(0, in.data(), in.size()))
    stats.fail("raw echo: corrupted echo");
  if (ok)
    stats.cleanCompleted++;
  else if (in.empty())
    stats.refusedOrUnserved++;  // reset in the accept queue of a server that end()ed
  else
    stats.fail("raw echo: the connection broke after " + std::to_string(in.size()) + " of " +
               std::to_string(out.size()) + " bytes");
  if (chance(50))
    s.shutdownWrite();
}

void halfClose(Stats &stats, RawSocket &s, const StreamSpec &spec, const std::string &out) {
  std::string in;
  stats.cleanSessions++;
  const PeerEnd end = s.exchange(out, true, in, 10000ms);
  stats.bytesAccepted += out.size();
  stats.bytesEchoed += in.size();
  if (!spec.matches(0, in.data(), in.size()))
    stats.fail("raw half-close: corrupted echo");
  if (end == PeerEnd::Eof && in.size() == out.size())
    stats.cleanCompleted++;
  else if (in.empty())
    stats.refusedOrUnserved++;
  else
    stats.fail(std::string("raw half-close: ended with ") + toString(end) + " after " +
               std::to_string(in.size()) + " of " + std::to_string(out.size()) + " bytes");
}

}  // namespace

void runRawPeer(Stats &stats, uint16_t port) {
  const int r = int(rnd(0, 99));
  const RawKind kind = r < 35 ? Echo : r < 60 ? HalfClose : r < 75 ? Reset : r < 90 ? Vanish : Idle;
  const StreamSpec spec = rawSpec(kind);
  RawSocket s = tst::rawConnect("127.0.0.1", port, 0, 0, 2000ms);
  stats.rawSessions++;
  if (!s.valid()) {
    stats.refusedOrUnserved++;
    return;
  }
  stats.established++;
  const std::string out = spec.contiguous();
  switch (kind) {
    case Echo:
      echo(stats, s, spec, out);
      break;
    case HalfClose:
      halfClose(stats, s, spec, out);
      break;
    case Reset: {
      const size_t part = size_t(rnd(0, out.size()));
      s.sendAll(out.data(), part, 2000ms);
      stats.bytesAccepted += part;
      if (chance(50))
        std::this_thread::sleep_for(std::chrono::microseconds(rnd(0, 2000)));
      s.closeWithReset();
      break;
    }
    case Vanish:
      s.sendAll(out, 2000ms);
      stats.bytesAccepted += out.size();
      std::this_thread::sleep_for(std::chrono::microseconds(rnd(0, 2000)));
      s.close();  // the echo is unread: the kernel answers it with a RST
      break;
    case Idle:
      break;
  }
}

}  // namespace stress
