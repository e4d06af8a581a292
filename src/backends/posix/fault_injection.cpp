// Host only (the epoll backend): the Arduino IDE and PlatformIO compile every file under src/.
#if !defined(ESP_PLATFORM)

#include "backends/posix/fault_injection.h"

#include <errno.h>
#include <sys/uio.h>
#include <unistd.h>

#include <algorithm>

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

namespace {
thread_local bool t_lastInjected = false;
}

bool lastCallInjected() {
  // Disarmed, calls skip the injector and leave the flag as it was.
  return detail::armed.load(std::memory_order_relaxed) && t_lastInjected;
}

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
  t_lastInjected = true;
  return true;
}

size_t sendCap(size_t want) {
  if (g_sendCapCount.load() <= 0)
    return want;
  if (g_sendCapCount.fetch_sub(1) <= 0)
    return want;
  g_rules[kSend].hits.fetch_add(1);
  t_lastInjected = true;
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
  fault::t_lastInjected = false;
  int err;
  if (!fault::detail::armed.load(std::memory_order_relaxed) || !fault::detail::take(call, &err))
    return false;
  errno = err;
  return true;
}
}  // namespace

ssize_t recvInjected(int fd, void *buf, size_t len, int flags) {
  return fails(fault::kRecv) ? -1 : ::recv(fd, buf, len, flags);
}

ssize_t sendInjected(int fd, const void *buf, size_t len, int flags) {
  if (fails(fault::kSend))
    return -1;
  if (fault::detail::armed.load(std::memory_order_relaxed))
    len = fault::detail::sendCap(len);
  return ::send(fd, buf, len, flags);
}

ssize_t sendmsgInjected(int fd, msghdr *m, int flags) {
  if (fails(fault::kSend))
    return -1;
  if (fault::detail::armed.load(std::memory_order_relaxed) && m->msg_iovlen > 0) {
    size_t cap = fault::detail::sendCap(SIZE_MAX);
    if (cap != SIZE_MAX) {  // a short write: the first cap bytes of the first buffer
      iovec first = m->msg_iov[0];
      first.iov_len = std::min(first.iov_len, cap);
      return ::send(fd, first.iov_base, first.iov_len, flags);
    }
  }
  return ::sendmsg(fd, m, flags);
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

}  // namespace asynctcp::backend::sys

#endif  // !defined(ESP_PLATFORM)
