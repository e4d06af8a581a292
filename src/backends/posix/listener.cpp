// Listening sockets: bind, listen, and accept in batches.
// Host only (the epoll backend): the Arduino IDE and PlatformIO compile every file under src/.
#if !defined(ESP_PLATFORM)

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include "backends/posix/internal.h"
#include "backends/posix/sockaddr.h"
#include "backends/posix/syscalls.h"
#include "ip/ip_bytes.h"
#include "os/os.h"
#if defined(ASYNCTCP_URING)
#include "backends/uring/engine.h"
#endif

namespace asynctcp::backend {

namespace {
constexpr int kBacklog = 1024;
constexpr int kAcceptsPerEvent = 64;  // then let established connections run

int openListener(const SockAddr &sa, bool dualStack, int *err) {
  int fd = sys::socket(sa.family(), SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC);
  if (fd < 0) {
    *err = errno;
    return -1;
  }
  int one = 1, zero = 0;
  // TIME_WAIT from an earlier run must not block a restart; a live listener still does.
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  if (sa.family() == AF_INET6)
    setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, dualStack ? &zero : &one, sizeof(int));
  SockAddr copy = sa;
  if (::bind(fd, copy.ptr(), copy.len) != 0 || ::listen(fd, kBacklog) != 0) {
    *err = errno;
    ::close(fd);
    return -1;
  }
  return fd;
}

constexpr uint64_t kPauseMs = 100;

// At the fd limit the pending connection is accepted with a spare fd and
// closed at once: refused clearly, instead of the listener waking us forever.
// Without a spare, the listener rests a moment: a level-triggered listener
// that cannot accept would otherwise spin the loop at 100% CPU.
}  // namespace

void listenerRefuse(Listener *l) {
  Loop &L = loop();
  if (L.spareFd < 0)  // lost when an earlier reopen raced another thread for the fd
    L.spareFd = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
  if (L.spareFd >= 0) {
    ::close(L.spareFd);
    int fd = sys::acceptToRefuse(l->fd);
    if (fd >= 0)
      ::close(fd);
    L.spareFd = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
    if (L.spareFd >= 0)
      return;
  }
  pollDel(l);
  l->pausedUntil = os::nowMs() + kPauseMs;
  L.pausedListeners.push_back(l);
}

ListenResult listen(const IPAddress &ip, bool anyAddress, uint16_t port, ServerImpl *owner) {
  int err = 0;
  int fd;
  if (anyAddress) {
    fd = openListener(anySockAddr(AF_INET6, port), true, &err);
    if (fd < 0 && (err == EAFNOSUPPORT || err == EADDRNOTAVAIL))
      fd = openListener(anySockAddr(AF_INET, port), false, &err);
  } else {
    fd = openListener(toSockAddr(ip, port), false, &err);
  }
  if (fd < 0)
    return {nullptr, errnoToErr(err), err};
  auto *l = new Listener();
  l->kind = Kind::Listener;
  l->fd = fd;
  l->owner = owner;
  l->bound.len = sizeof(l->bound.ss);
  getsockname(fd, l->bound.ptr(), &l->bound.len);
  IPAddress boundIp;
  fromSockAddr(l->bound, &boundIp, &l->port);
  l->wildcard = anyAddress || isAnyAddress(boundIp);
  if (!pollAdd(l, EPOLLIN)) {
    err = errno;
    ::close(fd);
    delete l;
    return {nullptr, errnoToErr(err), err};
  }
  return {l, ERR_OK, 0};
}

uint16_t listenerPort(Listener *l) {
  return l->port;
}

void closeListener(Listener *l) {
  ASYNCTCP_ASSERT_CORE_LOCKED();
  l->owner = nullptr;
#if defined(ASYNCTCP_URING)
  if (onUring())
    return uring::closeListener(l);
#endif
  ::close(l->fd);  // connections still in the kernel's queue are reset
  loop().closedListeners.push_back(l);
}

void listenersResume(uint64_t nowMs) {
  Loop &L = loop();
  for (size_t i = 0; i < L.pausedListeners.size();) {
    Listener *l = L.pausedListeners[i];
    if (l->owner && nowMs < l->pausedUntil) {
      ++i;
      continue;
    }
    if (l->owner)
      pollAdd(l, EPOLLIN);
    L.pausedListeners[i] = L.pausedListeners.back();
    L.pausedListeners.pop_back();
  }
}

void listenerHandleEvents(Listener *l) {
  for (int i = 0; i < kAcceptsPerEvent && l->owner; ++i) {
    SockAddr peer;
    peer.len = sizeof(peer.ss);
    int fd = sys::accept4(l->fd, peer.ptr(), &peer.len, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) {
      if (errno == EINTR || errno == ECONNABORTED)
        continue;
      if (errno == EMFILE || errno == ENFILE)
        listenerRefuse(l);
      return;  // EAGAIN, or an error the next wake-up retries
    }
    listenerAccepted(l, fd, &peer);
  }
}

void listenerAccepted(Listener *l, int fd, const SockAddr *peer) {
  auto *c = new Conn(fd);
  if (!pollAdd(c, kConnEvents)) {
    ::close(fd);
    delete c;
    return;
  }
  SockAddr asked;
  if (!peer) {  // io_uring's multishot accept returns no address
    asked.len = sizeof(asked.ss);
    getpeername(fd, asked.ptr(), &asked.len);
    peer = &asked;
  }
  // Both ends travel with the event: the peer from accept4(), our end from the
  // listener's own address unless it listens on every address.
  Endpoints ends;
  fromSockAddr(*peer, &ends.remote, &ends.remotePort);
  SockAddr local = l->bound;
  if (l->wildcard) {
    local.len = sizeof(local.ss);
    getsockname(fd, local.ptr(), &local.len);
  }
  fromSockAddr(local, &ends.local, &ends.localPort);
  events::accepted(l->owner, c, ends);  // may close this listener (server deleted or end())
}

}  // namespace asynctcp::backend

#endif  // !defined(ESP_PLATFORM)
