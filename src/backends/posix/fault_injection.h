// Fault injection for tests: make the posix backend's system calls fail on
// demand (EAGAIN, EINTR, ENOMEM, EMFILE on accept, ECONNRESET mid-write, short
// writes), so every error path can be driven from a test. Compiled in only with
// ASYNCTCP_FAULT_INJECTION (test builds); without it the calls below are the plain
// system calls and the release path carries no trace of it. Not part of the public API.
#pragma once

#include <sys/socket.h>
#include <sys/types.h>

#include <atomic>
#include <cstddef>
#include <cstdint>

#include "backends/posix/direct_syscall.h"

#if defined(ASYNCTCP_FAULT_INJECTION)

namespace asynctcp::fault {

enum Call : int { kAccept, kRecv, kSend, kConnect, kSocket, kCallCount };

// The next `count` calls of `call` fail with `err`, after `skip` calls that pass.
void failNext(Call call, int err, int count = 1, int skip = 0);
// The next `count` sends take at most `maxBytes` each (short writes).
void shortSends(size_t maxBytes, int count);
void reset();
uint64_t injected(Call call);  // faults injected so far (short sends count as kSend)

// True when the last system call through asynctcp::backend::sys was cut short or
// failed by the injector (so no kernel wake-up stands behind its EAGAIN).
bool lastCallInjected();

namespace detail {
extern std::atomic<bool> armed;
bool take(Call call, int *err);
size_t sendCap(size_t want);
}  // namespace detail

}  // namespace asynctcp::fault

namespace asynctcp::backend::sys {

// The backend's system calls, through the fault injector. The per-message ones
// test `armed` inline, so a disarmed injector adds one load, not a call.
ssize_t recvInjected(int fd, void *buf, size_t len, int flags);
ssize_t sendInjected(int fd, const void *buf, size_t len, int flags);
ssize_t sendmsgInjected(int fd, msghdr *m, int flags);

inline ssize_t recv(int fd, void *buf, size_t len, int flags) {
  if (__builtin_expect(fault::detail::armed.load(std::memory_order_relaxed), false))
    return recvInjected(fd, buf, len, flags);
  return direct::recv(fd, buf, len, flags);
}
inline ssize_t send(int fd, const void *buf, size_t len, int flags) {
  if (__builtin_expect(fault::detail::armed.load(std::memory_order_relaxed), false))
    return sendInjected(fd, buf, len, flags);
  return direct::send(fd, buf, len, flags);
}
inline ssize_t sendmsg(int fd, msghdr *m, int flags) {
  if (__builtin_expect(fault::detail::armed.load(std::memory_order_relaxed), false))
    return sendmsgInjected(fd, m, flags);
  return direct::sendmsg(fd, m, flags);
}
int accept4(int fd, sockaddr *peer, socklen_t *len, int flags);
int connect(int fd, const sockaddr *sa, socklen_t len);
int socket(int family, int type);

}  // namespace asynctcp::backend::sys

#else

namespace asynctcp::fault {
constexpr bool lastCallInjected() {
  return false;
}
}  // namespace asynctcp::fault

namespace asynctcp::backend::sys {
using direct::recv;
using direct::send;
using direct::sendmsg;
inline int accept4(int fd, sockaddr *peer, socklen_t *len, int flags) {
  return ::accept4(fd, peer, len, flags);
}
inline int connect(int fd, const sockaddr *sa, socklen_t len) {
  return ::connect(fd, sa, len);
}
inline int socket(int family, int type) {
  return ::socket(family, type, 0);
}
}  // namespace asynctcp::backend::sys

#endif
