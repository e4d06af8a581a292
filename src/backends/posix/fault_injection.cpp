// Host only (the epoll backend): the Arduino IDE and PlatformIO compile every file under src/.
#if !defined(ESP_PLATFORM)

#include "backends/posix/fault_injection.h"

#include <errno.h>
#include <sys/epoll.h>
#include <sys/uio.h>
#include <unistd.h>

#include <algorithm>
#include <utility>

#include "backends/posix/syscalls.h"

namespace asynctcp::fault {

namespace {
struct Rule {
  std::atomic<int> skip{0}, count{0}, err{0};
  std::atomic<uint64_t> hits{0};
};
Rule g_rules[kCallCount];
std::atomic<size_t> g_sendCap{0};
std::atomic<int> g_sendCapCount{0};
}  // namespace

namespace detail {
std::atomic<bool> armed{false};

bool take(Call call, int *err) {
  Rule &r = g_rules[call];
  if (r.count.load() <= 0)
    return false;
  if (r.skip.load() > 0) {
    r.skip.fetch_sub(1);
    return false;
  }
  if (r.count.fetch_sub(1) <= 0)
    return false;
  *err = r.err.load();
  r.hits.fetch_add(1);
  return true;
}

size_t sendCap(size_t want) {
  if (g_sendCapCount.load() <= 0)
    return want;
  if (g_sendCapCount.fetch_sub(1) <= 0)
    return want;
  g_rules[kSend].hits.fetch_add(1);
  return std::min(want, g_sendCap.load());
}
}  // namespace detail

void failNext(Call call, int err, int count, int skip) {
  Rule &r = g_rules[call];
  r.err = err;
  r.skip = skip;
  r.count = count;
  detail::armed = true;
}

void shortSends(size_t maxBytes, int count) {
  g_sendCap = maxBytes;
  g_sendCapCount = count;
  detail::armed = true;
}

void reset() {
  detail::armed = false;
  for (Rule &r : g_rules) {
    r.count = 0;
    r.skip = 0;
  }
  g_sendCapCount = 0;
}

uint64_t injected(Call call) {
  return g_rules[call].hits.load();
}

}  // namespace asynctcp::fault

namespace asynctcp::backend::sys {

namespace {
bool fails(fault::Call call) {
  int err;
  if (!fault::detail::armed.load(std::memory_order_relaxed) || !fault::detail::take(call, &err))
    return false;
  errno = err;
  return true;
}

// An EAGAIN or a short write made up here has no kernel wake-up behind it: the socket is
// still ready, and edge-triggered epoll would not report it again. EPOLL_CTL_MOD has the
// kernel look at the socket afresh and report what is ready, as its own edge would.
void stall(Conn *c) {
  int saved = errno;
  epoll_event ev{};
  ev.events = kConnEvents;
  ev.data.ptr = static_cast<Pollable *>(c);
  epoll_ctl(loop().epfd, EPOLL_CTL_MOD, c->fd, &ev);
  errno = saved;
}

ssize_t failed(Conn *c) {
  if (errno == EAGAIN || errno == EWOULDBLOCK)
    stall(c);
  return -1;
}
}  // namespace

ssize_t recvInjected(Conn *c, void *buf, size_t len, int flags) {
  return fails(fault::kRecv) ? failed(c) : ::recv(c->fd, buf, len, flags);
}

ssize_t sendInjected(Conn *c, const void *buf, size_t len, int flags) {
  if (fails(fault::kSend))
    return failed(c);
  size_t cap = fault::detail::sendCap(len);
  ssize_t w = ::send(c->fd, buf, cap, flags);
  if (cap < len)
    stall(c);
  return w;
}

ssize_t sendmsgInjected(Conn *c, msghdr *m, int flags) {
  if (fails(fault::kSend))
    return failed(c);
  if (m->msg_iovlen > 0) {
    size_t cap = fault::detail::sendCap(SIZE_MAX);
    if (cap != SIZE_MAX) {  // a short write: the first cap bytes of the first buffer
      iovec first = m->msg_iov[0];
      first.iov_len = std::min(first.iov_len, cap);
      ssize_t w = ::send(c->fd, first.iov_base, first.iov_len, flags);
      stall(c);
      return w;
    }
  }
  return ::sendmsg(c->fd, m, flags);
}

int accept4(int fd, sockaddr *peer, socklen_t *len, int flags) {
  return fails(fault::kAccept) ? -1 : ::accept4(fd, peer, len, flags);
}

int connect(int fd, const sockaddr *sa, socklen_t len) {
  return fails(fault::kConnect) ? -1 : ::connect(fd, sa, len);
}

int socket(int family, int type) {
  return fails(fault::kSocket) ? -1 : ::socket(family, type, 0);
}

namespace {
int g_parked = -1;  // service thread only
}  // namespace

int acceptToRefuse(int listenFd) {
  if (g_parked >= 0)
    return std::exchange(g_parked, -1);
  return ::accept4(listenFd, nullptr, nullptr, SOCK_CLOEXEC);
}

void parkAccepted(int fd) {
  if (g_parked >= 0)
    ::close(g_parked);
  g_parked = fd;
}

}  // namespace asynctcp::backend::sys

#endif  // !defined(ESP_PLATFORM)
