// The per-message socket calls without libc's cancellation wrapper. recv() and
// send() are pthread cancellation points, so glibc brackets each with
// enable/disable_asynccancel: ~57 instructions a call against syscall(2)'s 11,
// a fifth of the library's user-space cost per HTTP request (callgrind). The
// service thread is never cancelled, so syscall(2) does the same work. Sanitized builds
// keep the libc calls: ThreadSanitizer learns happens-before from them, and
// AddressSanitizer checks the buffers they are given.
#pragma once

#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <unistd.h>

#if defined(__SANITIZE_THREAD__) || defined(__SANITIZE_ADDRESS__)
#define ASYNCTCP_LIBC_SOCKET_CALLS 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer) || __has_feature(address_sanitizer)
#define ASYNCTCP_LIBC_SOCKET_CALLS 1
#endif
#endif
#if !defined(ASYNCTCP_LIBC_SOCKET_CALLS) && !(defined(SYS_recvfrom) && defined(SYS_sendto) && \
                                              defined(SYS_sendmsg) && defined(SYS_recvmsg))
#define ASYNCTCP_LIBC_SOCKET_CALLS 1  // an ABI that routes these through socketcall
#endif

namespace asynctcp::backend::direct {

#if defined(ASYNCTCP_LIBC_SOCKET_CALLS)
inline ssize_t recv(int fd, void *buf, size_t len, int flags) {
  return ::recv(fd, buf, len, flags);
}
inline ssize_t send(int fd, const void *buf, size_t len, int flags) {
  return ::send(fd, buf, len, flags);
}
inline ssize_t sendmsg(int fd, const msghdr *m, int flags) {
  return ::sendmsg(fd, m, flags);
}
inline ssize_t recvmsg(int fd, msghdr *m, int flags) {
  return ::recvmsg(fd, m, flags);
}
#else
inline ssize_t recv(int fd, void *buf, size_t len, int flags) {
  return ::syscall(SYS_recvfrom, fd, buf, len, flags, nullptr, nullptr);
}
inline ssize_t send(int fd, const void *buf, size_t len, int flags) {
  return ::syscall(SYS_sendto, fd, buf, len, flags, nullptr, 0);
}
inline ssize_t sendmsg(int fd, const msghdr *m, int flags) {
  return ::syscall(SYS_sendmsg, fd, m, flags);
}
inline ssize_t recvmsg(int fd, msghdr *m, int flags) {
  return ::syscall(SYS_recvmsg, fd, m, flags);
}
#endif

}  // namespace asynctcp::backend::direct
