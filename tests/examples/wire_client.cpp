#include "wire_client.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace examples {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

namespace {

int msLeft(Clock::time_point deadline) {
  const auto left = std::chrono::duration_cast<milliseconds>(deadline - Clock::now()).count();
  return left < 0 ? 0 : int(left);
}

// Waits for `events` on fd until the deadline; the events that came, 0 on timeout.
short waitFor(int fd, short events, Clock::time_point deadline) {
  pollfd p{fd, events, 0};
  int n;
  do {
    n = ::poll(&p, 1, msLeft(deadline));
  } while (n < 0 && errno == EINTR);
  return n > 0 ? p.revents : 0;
}

}  // namespace

WireClient::WireClient(const std::string &host, int port, int receiveBuffer) {
  sockaddr_storage addr{};
  socklen_t len = 0;
  auto *v4 = reinterpret_cast<sockaddr_in *>(&addr);
  auto *v6 = reinterpret_cast<sockaddr_in6 *>(&addr);
  if (inet_pton(AF_INET, host.c_str(), &v4->sin_addr) == 1) {
    v4->sin_family = AF_INET;
    v4->sin_port = htons(uint16_t(port));
    len = sizeof *v4;
  } else if (inet_pton(AF_INET6, host.c_str(), &v6->sin6_addr) == 1) {
    v6->sin6_family = AF_INET6;
    v6->sin6_port = htons(uint16_t(port));
    len = sizeof *v6;
  } else {
    return;
  }
  _fd = ::socket(addr.ss_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (_fd < 0)
    return;
  if (receiveBuffer > 0)
    setsockopt(_fd, SOL_SOCKET, SO_RCVBUF, &receiveBuffer, sizeof receiveBuffer);
  int err = 0;
  socklen_t errLen = sizeof err;
  if ((::connect(_fd, reinterpret_cast<sockaddr *>(&addr), len) != 0 && errno != EINPROGRESS) ||
      !(waitFor(_fd, POLLOUT, Clock::now() + std::chrono::seconds(5)) & POLLOUT) ||
      getsockopt(_fd, SOL_SOCKET, SO_ERROR, &err, &errLen) != 0 || err != 0) {
    ::close(_fd);
    _fd = -1;
  }
}

WireClient::~WireClient() {
  if (_fd >= 0)
    ::close(_fd);
}

bool WireClient::send(std::string_view data, milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  while (_fd >= 0 && !data.empty()) {
    const ssize_t n = ::send(_fd, data.data(), data.size(), MSG_NOSIGNAL);
    if (n > 0) {
      data.remove_prefix(size_t(n));
    } else if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
      if (!(waitFor(_fd, POLLOUT, deadline) & POLLOUT))
        return false;
    } else {
      return false;
    }
  }
  return _fd >= 0;
}

size_t WireClient::sendSome(std::string_view data) {
  size_t sent = 0;
  while (_fd >= 0 && sent < data.size()) {
    const ssize_t n = ::send(_fd, data.data() + sent, data.size() - sent, MSG_NOSIGNAL);
    if (n <= 0)
      break;
    sent += size_t(n);
  }
  return sent;
}

bool WireClient::receiveSome(std::string &into, size_t max, Clock::time_point deadline) {
  char buf[65536];
  while (_fd >= 0 && !_eof) {
    const ssize_t r = ::recv(_fd, buf, std::min(sizeof buf, max), 0);
    if (r > 0) {
      into.append(buf, size_t(r));
      return true;
    }
    if (r == 0 || (errno != EAGAIN && errno != EINTR))
      _eof = true;  // the end, or a reset
    else if (!waitFor(_fd, POLLIN, deadline))
      return false;
  }
  return false;
}

std::string WireClient::read(size_t n, milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  std::string got;
  while (got.size() < n && receiveSome(got, n - got.size(), deadline)) {
  }
  return got;
}

std::string WireClient::readUntil(std::string_view text, milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  std::string got;
  while (got.find(text) == std::string::npos && receiveSome(got, SIZE_MAX, deadline)) {
  }
  return got;
}

std::string WireClient::readToEnd(milliseconds timeout) {
  return read(std::string::npos, timeout);
}

bool WireClient::endedByPeer(milliseconds timeout) {
  if (_fd < 0 || _eof)
    return true;
  return waitFor(_fd, POLLRDHUP, Clock::now() + timeout) & (POLLRDHUP | POLLHUP | POLLERR);
}

std::string fetchHello(const std::string &host, int port, milliseconds &took) {
  const auto start = Clock::now();
  const milliseconds limit(10000);
  WireClient client(host, port);
  std::string answer;
  if (client.send("GET / HTTP/1.1\r\nHost: test\r\nConnection: close\r\n\r\n", limit))
    answer = client.readToEnd(limit);
  took = std::chrono::duration_cast<milliseconds>(Clock::now() - start);
  return answer;
}

}  // namespace examples
