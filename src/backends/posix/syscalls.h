// The backend's system calls on its sockets: the one seam between its I/O code and the
// kernel. A release build issues the bare call (direct_syscall.h). A test build
// (ASYNCTCP_FAULT_INJECTION) sends each through the fault injector, which also stands in
// for the kernel's wake-up behind a fault it made up (fault_injection.cpp): so the I/O
// code handles an injected EAGAIN or short write as the kernel's, with no test branch.
#pragma once

#include <sys/socket.h>
#include <sys/types.h>

#include <atomic>
#include <cstddef>

#include "backends/posix/direct_syscall.h"
#include "backends/posix/fault_injection.h"
#include "backends/posix/internal.h"

namespace asynctcp::backend::sys {

#if defined(ASYNCTCP_FAULT_INJECTION)

// The per-message calls test `armed` inline, so a disarmed injector adds one load, not
// a call.
ssize_t recvInjected(Conn *c, void *buf, size_t len, int flags);
ssize_t sendInjected(Conn *c, const void *buf, size_t len, int flags);
ssize_t sendmsgInjected(Conn *c, msghdr *m, int flags);

inline ssize_t recv(Conn *c, void *buf, size_t len, int flags) {
  if (__builtin_expect(fault::detail::armed.load(std::memory_order_relaxed), false))
    return recvInjected(c, buf, len, flags);
  return direct::recv(c->fd, buf, len, flags);
}
inline ssize_t send(Conn *c, const void *buf, size_t len, int flags) {
  if (__builtin_expect(fault::detail::armed.load(std::memory_order_relaxed), false))
    return sendInjected(c, buf, len, flags);
  return direct::send(c->fd, buf, len, flags);
}
inline ssize_t sendmsg(Conn *c, msghdr *m, int flags) {
  if (__builtin_expect(fault::detail::armed.load(std::memory_order_relaxed), false))
    return sendmsgInjected(c, m, flags);
  return direct::sendmsg(c->fd, m, flags);
}
int accept4(int fd, sockaddr *peer, socklen_t *len, int flags);
int connect(int fd, const sockaddr *sa, socklen_t len);
int socket(int family, int type);
// The fd limit's refusal (listenerRefuse()): never injected, and on the io_uring engine
// it takes the connection an injected EMFILE kept back (parkAccepted()).
int acceptToRefuse(int listenFd);
void parkAccepted(int fd);

#else

inline ssize_t recv(Conn *c, void *buf, size_t len, int flags) {
  return direct::recv(c->fd, buf, len, flags);
}
inline ssize_t send(Conn *c, const void *buf, size_t len, int flags) {
  return direct::send(c->fd, buf, len, flags);
}
inline ssize_t sendmsg(Conn *c, msghdr *m, int flags) {
  return direct::sendmsg(c->fd, m, flags);
}
inline int accept4(int fd, sockaddr *peer, socklen_t *len, int flags) {
  return ::accept4(fd, peer, len, flags);
}
inline int connect(int fd, const sockaddr *sa, socklen_t len) {
  return ::connect(fd, sa, len);
}
inline int socket(int family, int type) {
  return ::socket(family, type, 0);
}
inline int acceptToRefuse(int listenFd) {
  return ::accept4(listenFd, nullptr, nullptr, SOCK_CLOEXEC);
}

#endif

}  // namespace asynctcp::backend::sys
