// The per-message socket calls without libc's cancellation wrapper. recv() and
// send() are pthread cancellation points, so glibc brackets each with
// enable/disable_asynccancel: ~57 instructions a call against syscall(2)'s 11,
// a fifth of the library's user-space cost per HTTP request (callgrind). The
// service thread is never cancelled, so the bare system call does the same work; on
// x86-64 and AArch64 it is issued inline (the arguments are loaded straight into the
// registers the kernel reads), elsewhere through syscall(2). Sanitized builds
// keep the libc calls: ThreadSanitizer learns happens-before from them, and
// AddressSanitizer checks the buffers they are given.
#pragma once

#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <unistd.h>

#include <cerrno>

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
// A system call with up to six arguments; errors as libc reports them (-1 and errno).
inline long call6(long nr, long a, long b, long c, long d = 0, long e = 0, long f = 0) {
  long r;
#if defined(__x86_64__)
  register long r10 __asm__("r10") = d;
  register long r8 __asm__("r8") = e;
  register long r9 __asm__("r9") = f;
  __asm__ volatile("syscall"
                   : "=a"(r)
                   : "a"(nr), "D"(a), "S"(b), "d"(c), "r"(r10), "r"(r8), "r"(r9)
                   : "rcx", "r11", "memory");
#elif defined(__aarch64__)
  register long x8 __asm__("x8") = nr;
  register long x0 __asm__("x0") = a;
  register long x1 __asm__("x1") = b;
  register long x2 __asm__("x2") = c;
  register long x3 __asm__("x3") = d;
  register long x4 __asm__("x4") = e;
  register long x5 __asm__("x5") = f;
  __asm__ volatile("svc 0"
                   : "+r"(x0)
                   : "r"(x8), "r"(x1), "r"(x2), "r"(x3), "r"(x4), "r"(x5)
                   : "memory");
  r = x0;
#else
  return ::syscall(nr, a, b, c, d, e, f);
#endif
  if (__builtin_expect(static_cast<unsigned long>(r) > -4096UL, false)) {
    errno = static_cast<int>(-r);
    return -1;
  }
  return r;
}
inline long arg(const void *p) {
  return reinterpret_cast<long>(p);
}

inline ssize_t recv(int fd, void *buf, size_t len, int flags) {
  return call6(SYS_recvfrom, fd, arg(buf), long(len), flags);
}
inline ssize_t send(int fd, const void *buf, size_t len, int flags) {
  return call6(SYS_sendto, fd, arg(buf), long(len), flags);
}
inline ssize_t sendmsg(int fd, const msghdr *m, int flags) {
  return call6(SYS_sendmsg, fd, arg(m), flags);
}
inline ssize_t recvmsg(int fd, msghdr *m, int flags) {
  return call6(SYS_recvmsg, fd, arg(m), flags);
}
#endif

}  // namespace asynctcp::backend::direct
