#include <errno.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>

#include "load_engine.h"

namespace scale::load {

double monoSeconds() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return double(ts.tv_sec) + double(ts.tv_nsec) / 1e9;
}

const char *phaseName(Phase p) {
  static const char *const names[] = {"free", "connecting", "exchanging",
                                      "idle", "await-end",  "fin-wait"};
  return names[int(p)];
}

uint32_t Engine::allocSlot() {
  if (!_free.empty()) {
    uint32_t s = _free.back();
    _free.pop_back();
    return s;
  }
  _peers.emplace_back();
  return uint32_t(_peers.size() - 1);
}

void Engine::release(uint32_t s) {
  Peer &p = _peers[s];
  if (p.inSetup)
    --_setup;
  leaveIdle(s);
  if (p.fd >= 0)
    ::close(p.fd);  // also leaves the epoll set
  const uint32_t gen = p.gen + 1;
  p = Peer();
  p.gen = gen;
  _free.push_back(s);
}

void Engine::open(ServerPlan plan) {
  const uint32_t s = allocSlot();
  Peer &p = _peers[s];
  p.id = _nextId++;
  p.plan = plan;
  const uint64_t payload = rnd(p.serverEnds() ? 1 : 0, _o.firstPayloadMax);
  p.threshold = p.serverEnds() ? uint32_t(rnd(0, payload)) : 0;
  p.target = kHeaderSize + payload;
  p.phase = Phase::Connecting;
  p.inSetup = true;
  p.lastProgress = now();
  ++_setup;
  ++_t.opened;
  p.fd = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (p.fd < 0) {
    _t.connectErrno[errno]++;
    fail(s, _t.connectFailed, "socket");
    return;
  }
  int one = 1;
  setsockopt(p.fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  if (!_o.sources.empty()) {
    // The port is picked at connect() time, per destination: each source gets a full range.
    setsockopt(p.fd, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one, sizeof one);
    sa.sin_addr = _o.sources[_nextSource++ % _o.sources.size()];
    if (::bind(p.fd, reinterpret_cast<sockaddr *>(&sa), sizeof sa) != 0) {
      _t.connectErrno[errno]++;
      fail(s, _t.connectFailed, "bind");
      return;
    }
  }
  sa.sin_addr = _o.dst;
  sa.sin_port = htons(_o.port);
  if (::connect(p.fd, reinterpret_cast<sockaddr *>(&sa), sizeof sa) != 0 && errno != EINPROGRESS) {
    _t.connectErrno[errno]++;
    fail(s, _t.connectFailed, "connect");
    return;
  }
  epoll_event ev{};
  ev.events = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET;
  ev.data.u64 = uint64_t(s) | uint64_t(p.gen) << 32;
  epoll_ctl(_ep, EPOLL_CTL_ADD, p.fd, &ev);
}

void Engine::onEvent(uint64_t key, uint32_t events) {
  const uint32_t s = uint32_t(key);
  if (s >= _peers.size() || _peers[s].gen != uint32_t(key >> 32) || _peers[s].phase == Phase::Free)
    return;  // ended earlier in this batch
  Peer &p = _peers[s];
  if (p.phase == Phase::Connecting) {
    if (!(events & (EPOLLOUT | EPOLLERR | EPOLLHUP)))
      return;
    int err = 0;
    socklen_t len = sizeof err;
    getsockopt(p.fd, SOL_SOCKET, SO_ERROR, &err, &len);
    if (err != 0) {
      _t.connectErrno[err]++;
      fail(s, _t.connectFailed, "connect");
      return;
    }
    ++_t.established;
    p.phase = Phase::Exchanging;
    p.lastProgress = now();
  }
  pump(s);
}

void Engine::pump(uint32_t s) {
  if (!sendSome(s) || !recvSome(s))
    return;
  Peer &p = _peers[s];
  if (p.phase != Phase::Exchanging || p.sent != p.target)
    return;
  if (p.serverEnds())
    p.phase = Phase::AwaitServerEnd;  // keep reading the echo until the server ends it
  else if (p.echoed == p.target)
    roundDone(s);
}

bool Engine::sendSome(uint32_t s) {
  Peer &p = _peers[s];
  while (p.sent < p.target && p.sent < p.resetAt) {
    const size_t n =
        size_t(std::min<uint64_t>({sizeof _buf, p.target - p.sent, p.resetAt - p.sent}));
    streamBytes(p.header(), p.sent, _buf, n);
    const ssize_t w = ::send(p.fd, _buf, n, MSG_NOSIGNAL | MSG_DONTWAIT);
    if (w > 0) {
      p.sent += uint64_t(w);
      _t.bytesSent += uint64_t(w);
      p.lastProgress = now();
      continue;
    }
    if (w < 0 && errno == EINTR)
      continue;
    if (w < 0 && errno == EAGAIN)
      break;
    // The server ended the connection: read what it sent first, then count the end.
    if (recvSome(s))
      peerEnded(s, true);
    return false;
  }
  if (p.sent >= p.resetAt) {
    endByUs(s, After::Reset);
    return false;
  }
  return true;
}

bool Engine::recvSome(uint32_t s) {
  Peer &p = _peers[s];
  for (;;) {
    const ssize_t r = ::recv(p.fd, _buf, sizeof _buf, MSG_DONTWAIT);
    if (r > 0) {
      if (p.echoed + uint64_t(r) > p.sent ||
          !streamMatches(p.header(), p.echoed, _buf, size_t(r))) {
        fail(s, _t.corrupt, "the echo differs from what was sent");
        return false;
      }
      p.echoed += uint64_t(r);
      _t.bytesEchoed += uint64_t(r);
      p.lastProgress = now();
      continue;
    }
    if (r == 0) {
      peerEnded(s, false);
      return false;
    }
    if (errno == EINTR)
      continue;
    if (errno == EAGAIN)
      return true;
    peerEnded(s, true);
    return false;
  }
}

void Engine::roundDone(uint32_t s) {
  Peer &p = _peers[s];
  if (p.inSetup) {
    p.inSetup = false;
    --_setup;
  }
  if (p.after == After::Hold) {
    p.phase = Phase::Idle;
    makeIdle(s);
    return;
  }
  endByUs(s, p.after);
}

// The server's end (EOF or RST) reached us.
void Engine::peerEnded(uint32_t s, bool reset) {
  Peer &p = _peers[s];
  if (p.phase == Phase::FinWait && !reset) {
    ++_t.finClean;
    if (p.plan == ServerPlan::Echo) {
      ++_t.cleanEchoConns;
      _t.cleanEchoBytes += p.sent;
    }
  } else if (p.serverEnds()) {
    if (p.sent < kHeaderSize + p.threshold) {
      fail(s, _t.prematureEnd, "the server ended it before its threshold was sent");
      return;
    }
    ++(reset ? _t.serverEndedRst : _t.serverEndedEof);
  } else if (p.plan == ServerPlan::Chaos) {
    ++_t.chaosEnded;
  } else {
    fail(s, reset ? _t.unexpectedRst : _t.unexpectedEof, reset ? "reset" : "closed by the server");
    return;
  }
  release(s);
}

void Engine::endByUs(uint32_t s, After how) {
  Peer &p = _peers[s];
  leaveIdle(s);
  switch (how) {
    case After::Fin:
      ::shutdown(p.fd, SHUT_WR);
      p.phase = Phase::FinWait;
      p.lastProgress = now();
      recvSome(s);  // the server's FIN may be in already
      return;
    case After::Reset: {
      linger lg{1, 0};
      setsockopt(p.fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
      ++_t.resetByUs;
      break;
    }
    case After::CloseNoWait:
      ++_t.closeNoWait;
      if (p.plan == ServerPlan::Echo) {
        ++_t.cleanEchoConns;
        _t.cleanEchoBytes += p.sent;
      }
      break;
    case After::Hold:
      return;
  }
  release(s);
}

void Engine::fail(uint32_t s, uint64_t &kind, const char *what) {
  Peer &p = _peers[s];
  ++kind;
  if (p.plan == ServerPlan::Echo)
    _t.lostBytes += p.sent - std::min(p.sent, p.echoed);
  if (_details++ < 20)
    std::fprintf(stderr,
                 "load: stream %u (plan %d, %s): %s after %llu bytes sent, %llu echoed, "
                 "target %llu\n",
                 p.id, int(p.plan), phaseName(p.phase), what, (unsigned long long)p.sent,
                 (unsigned long long)p.echoed, (unsigned long long)p.target);
  if (p.fd >= 0) {
    linger lg{1, 0};
    setsockopt(p.fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
  }
  release(s);
}

void Engine::makeIdle(uint32_t s) {
  _peers[s].idlePos = uint32_t(_idle.size());
  _idle.push_back(s);
}

void Engine::leaveIdle(uint32_t s) {
  Peer &p = _peers[s];
  if (p.idlePos == UINT32_MAX)
    return;
  const uint32_t last = _idle.back();
  _idle[p.idlePos] = last;
  _peers[last].idlePos = p.idlePos;
  _idle.pop_back();
  p.idlePos = UINT32_MAX;
}

}  // namespace scale::load
