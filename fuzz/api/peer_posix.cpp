// The peers of the posix build: plain non-blocking Linux sockets on 127.0.0.1, used by
// the fuzzer's thread only. Each slot has a listener of its own for the connections its
// AsyncClient makes, so a connection is never mistaken for another slot's.
#include <dirent.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cinttypes>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include "api/peer.h"
#include "api/program.h"
#include "net/check.h"
#include "net/pattern.h"
#include "net/private_netns.h"
#include "net/service_barrier.h"
#include "net/trace.h"

namespace fuzz::api::peer {

namespace {
constexpr int kWaitMs = 10000;  // bounds a hang only

struct Peer {
  int fd = -1;
  State st;
};

int g_listeners[kSlots];
uint16_t g_ports[kSlots];
int g_closedFd = -1;  // bound, never listening: connections to its port are refused
uint16_t g_closedPort = 0;
Peer g_peers[kSlots];
uint64_t g_activity = 0;
int g_baselineFds = -1;
uint64_t g_selfConnectsAvoided = 0;
char g_buf[64 * 1024];

sockaddr_in loopback(uint16_t port) {
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = htons(port);
  return a;
}

uint16_t boundPort(int fd) {
  sockaddr_in a{};
  socklen_t len = sizeof a;
  FUZZ_REQUIRE(getsockname(fd, reinterpret_cast<sockaddr *>(&a), &len) == 0, "getsockname");
  return ntohs(a.sin_port);
}

// A small receive buffer: a peer that stops reading soon closes its window, so the
// library's bytes wait unacknowledged in its kernel (a connection reset then must not
// report them acknowledged). Set before connect/listen, so the window scale fits; only
// with the private namespace's Ethernet-sized MTU (net/private_netns.h).
int boundSocket() {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  FUZZ_REQUIRE(fd >= 0, "socket: %d", errno);
  if (inPrivateNetns()) {
    int rcvbuf = 16384;
    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf);
  }
  sockaddr_in a = loopback(0);
  FUZZ_REQUIRE(::bind(fd, reinterpret_cast<sockaddr *>(&a), sizeof a) == 0, "bind: %d", errno);
  return fd;
}

// The peer acknowledges at once: Linux's delayed ACK would hold onAck back 40 ms.
void quickAck(int fd) {
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_QUICKACK, &one, sizeof one);
}

void adopt(Peer &p, int fd) {
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  quickAck(fd);
  p.fd = fd;
  p.st = State();
  p.st.present = true;
  ++g_activity;
}

// An abortive close: an RST, and no TIME_WAIT left behind.
void resetFd(int fd) {
  linger lg{1, 0};
  setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
  ::close(fd);
}

bool waitFor(int fd, short events) {
  pollfd p{fd, events, 0};
  return ::poll(&p, 1, kWaitMs) == 1;
}

void readAll(Peer &p) {
  while (p.st.present && p.st.reading && !p.st.gotEof) {
    ssize_t n = ::recv(p.fd, g_buf, sizeof g_buf, 0);
    if (n > 0) {
      FUZZ_REQUIRE(matchesPattern(g_buf, size_t(n), p.st.rx),
                   "the peer read bytes lost, repeated or reordered at %" PRIu64, p.st.rx);
      p.st.rx += uint64_t(n);
      g_activity += uint64_t(n);
      quickAck(p.fd);
      continue;
    }
    if (n == 0) {
      p.st.gotEof = true;
      ++g_activity;
      return;
    }
    if (errno == EINTR)
      continue;
    if (errno != EAGAIN && errno != EWOULDBLOCK) {
      p.st.gotRst = true;
      ++g_activity;
    }
    return;
  }
}

// The sockets open in the process (not every fd: libFuzzer and the sanitizers open
// pipes of their own as they please), and a listing of them for a report.
int openSockets(std::string *list = nullptr) {
  int n = 0;
  if (DIR *d = opendir("/proc/self/fd")) {
    while (dirent *e = readdir(d)) {
      char path[300], target[256];
      std::snprintf(path, sizeof path, "/proc/self/fd/%s", e->d_name);
      ssize_t len = readlink(path, target, sizeof target - 1);
      if (len <= 0)
        continue;
      target[len] = 0;
      if (std::strncmp(target, "socket:", 7) != 0)
        continue;
      ++n;
      if (list)
        *list += std::string(" ") + e->d_name + "=" + target;
    }
    closedir(d);
  }
  return n;
}
}  // namespace

void init() {
  std::atexit([] {
    if (g_selfConnectsAvoided)
      std::fprintf(stderr, "peer connects that would have reached themselves: %llu\n",
                   (unsigned long long)g_selfConnectsAvoided);
  });
  for (int i = 0; i < kSlots; ++i) {
    g_listeners[i] = boundSocket();
    FUZZ_REQUIRE(::listen(g_listeners[i], 64) == 0, "listen: %d", errno);
    g_ports[i] = boundPort(g_listeners[i]);
  }
  g_closedFd = boundSocket();
  g_closedPort = boundPort(g_closedFd);
}

IPAddress serverAddress() {
  return IPAddress(127, 0, 0, 1);
}

IPAddress peerAddress() {
  return IPAddress(127, 0, 0, 1);
}

uint16_t listenPort(int slot) {
  return g_ports[slot];
}

uint16_t closedPort() {
  return g_closedPort;
}

void forget(int slot) {
  Peer &p = g_peers[slot];
  if (p.fd >= 0)
    resetFd(p.fd);
  p = Peer();
  // Connections the slot's earlier clients made and nobody took.
  while (true) {
    int fd = ::accept4(g_listeners[slot], nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0)
      break;
    resetFd(fd);
  }
}

bool accept(int slot, uint8_t) {
  if (!waitFor(g_listeners[slot], POLLIN))
    return false;
  int fd = ::accept4(g_listeners[slot], nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
  if (fd < 0)
    return false;
  adopt(g_peers[slot], fd);
  return true;
}

bool connect(int slot, uint16_t serverPort, uint8_t, const std::function<void(uint16_t)> &bound) {
  int fd = boundSocket();
  // A server that end()ed left its port free, and the port the fuzzer still knows for it
  // may be the very one the kernel binds the peer to: connecting then to itself (TCP's
  // simultaneous open) succeeds, and no onClient ever comes. Another port, then.
  while (boundPort(fd) == serverPort) {
    ++g_selfConnectsAvoided;
    const int other = boundSocket();
    ::close(fd);
    fd = other;
  }
  bound(boundPort(fd));
  sockaddr_in a = loopback(serverPort);
  if (::connect(fd, reinterpret_cast<sockaddr *>(&a), sizeof a) != 0 && errno != EINPROGRESS) {
    ::close(fd);
    return false;
  }
  int err = 0;
  socklen_t len = sizeof err;
  if (!waitFor(fd, POLLOUT) || getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0 || err) {
    resetFd(fd);
    return false;
  }
  adopt(g_peers[slot], fd);
  return true;
}

size_t send(int slot, size_t len) {
  Peer &p = g_peers[slot];
  if (!p.st.present || p.st.finSent || !len)
    return 0;
  ssize_t n = ::send(p.fd, patternAt(p.st.tx), len, MSG_NOSIGNAL | MSG_DONTWAIT);
  if (n <= 0)
    return 0;
  p.st.tx += uint64_t(n);
  g_activity += uint64_t(n);
  return size_t(n);
}

void setReading(int slot, bool on) {
  g_peers[slot].st.reading = on;
}

void fin(int slot) {
  Peer &p = g_peers[slot];
  if (!p.st.present || p.st.finSent)
    return;
  ::shutdown(p.fd, SHUT_WR);
  p.st.finSent = true;
  ++g_activity;
}

void rst(int slot) {
  Peer &p = g_peers[slot];
  if (!p.st.present)
    return;
  // What the kernel may have acknowledged: what was read, what waits unread, and what may
  // still arrive (the library writes on its own thread) before close() resets: at most a
  // receive buffer.
  int unread = 0, rcvbuf = 0;
  socklen_t len = sizeof rcvbuf;
  ioctl(p.fd, FIONREAD, &unread);
  getsockopt(p.fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, &len);
  p.st.ackable = p.st.rx + uint64_t(unread) + uint64_t(rcvbuf);
  FUZZ_TRACE("  peer %d resets: read %llu, %d unread\n", slot, (unsigned long long)p.st.rx, unread);
  resetFd(p.fd);
  p.fd = -1;
  p.st.present = false;
  p.st.rstSent = true;
  ++g_activity;
}

State state(int slot) {
  return g_peers[slot].st;
}

State stateUnlocked(int slot) {
  return g_peers[slot].st;
}

uint64_t pump() {
  // One poll() says which peers have anything to read (data, EOF, a reset): settling
  // pumps twice a round, and a recv() per peer each time cost more than the rest of it.
  pollfd fds[kSlots];
  int n = 0;
  Peer *which[kSlots];
  for (Peer &p : g_peers) {
    if (p.st.present && p.st.reading && !p.st.gotEof) {
      fds[n] = {p.fd, POLLIN, 0};
      which[n++] = &p;
    }
  }
  if (n == 0 || ::poll(fds, nfds_t(n), 0) <= 0)
    return g_activity;
  for (int i = 0; i < n; ++i)
    if (fds[i].revents)
      readAll(*which[i]);
  return g_activity;
}

void stackBarrier() {}  // the kernel delivers loopback data as it is sent
void stackTimers() {}

bool stackRunsOnRealTime() {
  // Linux's timers: zero-window probes, a corked tail
  return true;
}

bool stackGivesUp() {
  return false;  // Linux's timers run on real time, which the fuzzer does not move
}

uint64_t ackDelayMs() {
  return 60;  // the ack tracker's informational cadence is 50 ms (ack_tracker.cpp)
}

bool moreHoldsData() {
  return true;
}

void resetAll() {
  for (int i = 0; i < kSlots; ++i)
    forget(i);
}

void checkNoLeaks() {
  // Connections the library let go of close as their resets arrive: a few passes of
  // its loop.
  int fds = openSockets();
  for (int round = 0; g_baselineFds >= 0 && fds != g_baselineFds && round < 1000; ++round) {
    serviceBarrier();
    fds = openSockets();
  }
  if (g_baselineFds < 0)
    g_baselineFds = fds;
  std::string list;
  FUZZ_REQUIRE(fds == g_baselineFds, "sockets leaked: %d open, %d at start:%s", fds, g_baselineFds,
               (openSockets(&list), list.c_str()));
}

}  // namespace fuzz::api::peer
