// Raw Linux sockets as the peers of the library under test: connect, listen, a listener whose
// queue is full, a port nobody listens on; bounded reads and writes, resets.
#include "test_support.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gtest/gtest.h>

#if defined(ASYNCTCP_BACKEND_LWIP)
extern "C" {
#include "lwip/tcp.h"  // TCP_SND_BUF
}
#include "lwip/tap_link.h"
#endif

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace tst {

const char *toString(PeerEnd end) {
  switch (end) {
    case PeerEnd::Eof:
      return "EOF";
    case PeerEnd::Reset:
      return "RST";
    case PeerEnd::Timeout:
      return "timeout";
    case PeerEnd::Error:
      return "error";
  }
  return "?";
}

namespace {

bool fillAddress(const char *ip, uint16_t port, sockaddr_storage &ss, socklen_t &len) {
  std::memset(&ss, 0, sizeof ss);
  auto *a4 = reinterpret_cast<sockaddr_in *>(&ss);
  auto *a6 = reinterpret_cast<sockaddr_in6 *>(&ss);
  if (inet_pton(AF_INET, ip, &a4->sin_addr) == 1) {
    a4->sin_family = AF_INET;
    a4->sin_port = htons(port);
    len = sizeof(sockaddr_in);
    return true;
  }
  if (inet_pton(AF_INET6, ip, &a6->sin6_addr) == 1) {
    a6->sin6_family = AF_INET6;
    a6->sin6_port = htons(port);
    len = sizeof(sockaddr_in6);
    return true;
  }
  return false;
}

uint16_t portOf(const sockaddr_storage &ss) {
  if (ss.ss_family == AF_INET)
    return ntohs(reinterpret_cast<const sockaddr_in *>(&ss)->sin_port);
  if (ss.ss_family == AF_INET6)
    return ntohs(reinterpret_cast<const sockaddr_in6 *>(&ss)->sin6_port);
  return 0;
}

int remainingMs(Clock::time_point deadline) {
  auto left = std::chrono::duration_cast<milliseconds>(deadline - Clock::now()).count();
  return left < 0 ? 0 : static_cast<int>(left);
}

bool pollFor(int fd, short events, Clock::time_point deadline) {
  for (;;) {
    pollfd p{fd, events, 0};
    int r = ::poll(&p, 1, remainingMs(deadline));
    if (r > 0)
      return true;
    if (r == 0)
      return false;
    if (errno != EINTR)
      return false;
  }
}

void setBufferSizes(int fd, int rcvbuf, int sndbuf) {
  if (rcvbuf > 0)
    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf);
  if (sndbuf > 0)
    setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof sndbuf);
}

}  // namespace

RawSocket::~RawSocket() {
  close();
}

RawSocket &RawSocket::operator=(RawSocket &&other) noexcept {
  if (this != &other) {
    close();
    _fd = other.release();
  }
  return *this;
}

int RawSocket::release() {
  int fd = _fd;
  _fd = -1;
  return fd;
}

void RawSocket::close() {
  if (_fd >= 0)
    ::close(_fd);
  _fd = -1;
}

uint16_t RawSocket::localPort() const {
  sockaddr_storage ss{};
  socklen_t len = sizeof ss;
  if (getsockname(_fd, reinterpret_cast<sockaddr *>(&ss), &len) != 0)
    return 0;
  return portOf(ss);
}

uint16_t RawSocket::remotePort() const {
  sockaddr_storage ss{};
  socklen_t len = sizeof ss;
  if (getpeername(_fd, reinterpret_cast<sockaddr *>(&ss), &len) != 0)
    return 0;
  return portOf(ss);
}

bool RawSocket::sendAll(const void *data, size_t size, milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  const auto *p = static_cast<const char *>(data);
  while (size > 0) {
    ssize_t n = ::send(_fd, p, size, MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n > 0) {
      p += n;
      size -= static_cast<size_t>(n);
      continue;
    }
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      if (!pollFor(_fd, POLLOUT, deadline))
        return false;
      continue;
    }
    return false;
  }
  return true;
}

long RawSocket::trySend(const void *data, size_t size) {
  for (;;) {
    ssize_t n = ::send(_fd, data, size, MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n >= 0)
      return static_cast<long>(n);
    if (errno == EINTR)
      continue;
    if (errno == EAGAIN || errno == EWOULDBLOCK)
      return 0;
    return -1;
  }
}

bool RawSocket::recvExactly(size_t size, std::string &out, milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  char buf[64 * 1024];
  while (size > 0) {
    ssize_t n = ::recv(_fd, buf, std::min(size, sizeof buf), MSG_DONTWAIT);
    if (n > 0) {
      out.append(buf, static_cast<size_t>(n));
      size -= static_cast<size_t>(n);
      continue;
    }
    if (n == 0)
      return false;
    if (errno == EINTR)
      continue;
    if (errno == EAGAIN || errno == EWOULDBLOCK) {
      if (!pollFor(_fd, POLLIN, deadline))
        return false;
      continue;
    }
    return false;
  }
  return true;
}

PeerEnd RawSocket::readUntilEnd(milliseconds timeout, std::string *out) {
  const auto deadline = Clock::now() + timeout;
  char buf[64 * 1024];
  for (;;) {
    ssize_t n = ::recv(_fd, buf, sizeof buf, MSG_DONTWAIT);
    if (n > 0) {
      if (out)
        out->append(buf, static_cast<size_t>(n));
      continue;
    }
    if (n == 0)
      return PeerEnd::Eof;
    if (errno == EINTR)
      continue;
    if (errno == ECONNRESET)
      return PeerEnd::Reset;
    if (errno == EAGAIN || errno == EWOULDBLOCK) {
      if (!pollFor(_fd, POLLIN, deadline))
        return PeerEnd::Timeout;
      continue;
    }
    return PeerEnd::Error;
  }
}

PeerEnd RawSocket::exchange(const std::string &out, bool shutdownAfterSend, std::string &in,
                            milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  size_t sent = 0;
  bool shut = false;
  char buf[64 * 1024];
  for (;;) {
    if (sent == out.size() && shutdownAfterSend && !shut) {
      shutdownWrite();
      shut = true;
    }
    pollfd p{_fd, static_cast<short>(POLLIN | (sent < out.size() ? POLLOUT : 0)), 0};
    int r = ::poll(&p, 1, remainingMs(deadline));
    if (r == 0)
      return PeerEnd::Timeout;
    if (r < 0) {
      if (errno == EINTR)
        continue;
      return PeerEnd::Error;
    }
    if ((p.revents & POLLOUT) && sent < out.size()) {
      long n = trySend(out.data() + sent, std::min<size_t>(out.size() - sent, 256 * 1024));
      if (n < 0)
        return errno == ECONNRESET || errno == EPIPE ? PeerEnd::Reset : PeerEnd::Error;
      sent += static_cast<size_t>(n);
    }
    if (p.revents & (POLLIN | POLLHUP | POLLERR)) {
      ssize_t n = ::recv(_fd, buf, sizeof buf, MSG_DONTWAIT);
      if (n > 0) {
        in.append(buf, static_cast<size_t>(n));
      } else if (n == 0) {
        return PeerEnd::Eof;
      } else if (errno == ECONNRESET) {
        return PeerEnd::Reset;
      } else if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
        return PeerEnd::Error;
      }
    }
  }
}

bool RawSocket::waitReadable(milliseconds timeout) {
  return pollFor(_fd, POLLIN, Clock::now() + timeout);
}

void RawSocket::shutdownWrite() {
  ::shutdown(_fd, SHUT_WR);
}

void RawSocket::closeWithReset() {
  if (_fd < 0)
    return;
  linger lg{1, 0};
  setsockopt(_fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
  close();
}

void RawSocket::setBuffers(int rcvbuf, int sndbuf) {
  setBufferSizes(_fd, rcvbuf, sndbuf);
}

void RawSocket::setNonBlocking(bool on) {
  int flags = fcntl(_fd, F_GETFL, 0);
  fcntl(_fd, F_SETFL, on ? (flags | O_NONBLOCK) : (flags & ~O_NONBLOCK));
}

RawSocket rawConnect(const char *ip, uint16_t port, int rcvbuf, int sndbuf, milliseconds timeout) {
  sockaddr_storage ss{};
  socklen_t len = 0;
  if (!fillAddress(ip, port, ss, len))
    return RawSocket();
  RawSocket s(::socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
  if (!s.valid())
    return s;
  setBufferSizes(s.fd(), rcvbuf, sndbuf);
  int r = ::connect(s.fd(), reinterpret_cast<sockaddr *>(&ss), len);
  if (r != 0 && errno != EINPROGRESS)
    return RawSocket();
  if (r != 0) {
    if (!pollFor(s.fd(), POLLOUT, Clock::now() + timeout))
      return RawSocket();
    int err = 0;
    socklen_t el = sizeof err;
    getsockopt(s.fd(), SOL_SOCKET, SO_ERROR, &err, &el);
    if (err != 0) {
      errno = err;
      return RawSocket();
    }
  }
  return s;
}

RawSocket rawConnect(const IPAddress &ip, uint16_t port, int rcvbuf, int sndbuf,
                     milliseconds timeout) {
  return rawConnect(ip.toString().c_str(), port, rcvbuf, sndbuf, timeout);
}

RawListener::RawListener(const IPAddress &ip, int backlog, int rcvbuf, int sndbuf)
    : RawListener(ip.toString().c_str(), backlog, rcvbuf, sndbuf) {}

RawListener::RawListener(const char *ip, int backlog, int rcvbuf, int sndbuf) {
  sockaddr_storage ss{};
  socklen_t len = 0;
  if (!fillAddress(ip, 0, ss, len))
    return;
  _ip.fromString(ip);
  _sock = RawSocket(::socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!_sock.valid())
    return;
  setBufferSizes(_sock.fd(), rcvbuf, sndbuf);
  if (::bind(_sock.fd(), reinterpret_cast<sockaddr *>(&ss), len) != 0 ||
      ::listen(_sock.fd(), backlog) != 0) {
    _sock.close();
    return;
  }
  _port = _sock.localPort();
}

RawSocket RawListener::accept(milliseconds timeout) {
  if (!_sock.valid() || !pollFor(_sock.fd(), POLLIN, Clock::now() + timeout))
    return RawSocket();
  RawSocket s(::accept4(_sock.fd(), nullptr, nullptr, SOCK_CLOEXEC));
  if (s.valid())
    s.setNonBlocking(true);
  return s;
}

HangingListener::HangingListener() : _listener(peerIp4(), 0) {
  sockaddr_storage ss{};
  socklen_t len = 0;
  fillAddress(peerIp4().toString().c_str(), _listener.port(), ss, len);
  for (int i = 0; i < 2; ++i) {
    RawSocket s(::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
    ::connect(s.fd(), reinterpret_cast<sockaddr *>(&ss), len);
    if (i == 0)
      pollFor(s.fd(), POLLOUT, Clock::now() + 1000ms);  // first one fills the queue
    _fillers.push_back(std::move(s));
  }
}

ClosedPort::ClosedPort() {
  sockaddr_storage ss{};
  socklen_t len = 0;
  fillAddress(peerIp4().toString().c_str(), 0, ss, len);
  _sock = RawSocket(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (::bind(_sock.fd(), reinterpret_cast<sockaddr *>(&ss), len) == 0)
    _port = _sock.localPort();
}

}  // namespace tst
