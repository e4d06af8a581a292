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

bool waitFor(const std::function<bool()> &pred, milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  while (Clock::now() < deadline) {
    if (pred())
      return true;
    std::this_thread::sleep_for(2ms);
  }
  return pred();
}

bool staysFalse(const std::function<bool()> &pred, milliseconds duration) {
  const auto deadline = Clock::now() + duration;
  while (Clock::now() < deadline) {
    if (pred())
      return false;
    std::this_thread::sleep_for(5ms);
  }
  return !pred();
}

uint8_t patternByte(uint64_t index, uint32_t seed) {
  // A cheap mix whose period is far longer than any transfer, so a lost, repeated or
  // reordered block shows up as a mismatch.
  uint64_t x = index * 0x9E3779B97F4A7C15ull + seed * 0xBF58476D1CE4E5B9ull;
  x ^= x >> 29;
  x *= 0x94D049BB133111EBull;
  x ^= x >> 32;
  return static_cast<uint8_t>(x);
}

std::string pattern(size_t size, uint32_t seed, uint64_t start) {
  std::string s(size, '\0');
  for (size_t i = 0; i < size; ++i)
    s[i] = static_cast<char>(patternByte(start + i, seed));
  return s;
}

uint64_t checksum(const void *data, size_t size) {
  // FNV-1a, 64 bit.
  uint64_t h = 14695981039346656037ull;
  const auto *p = static_cast<const uint8_t *>(data);
  for (size_t i = 0; i < size; ++i) {
    h ^= p[i];
    h *= 1099511628211ull;
  }
  return h;
}

IPAddress loopback4() {
  return IPAddress(127, 0, 0, 1);
}

IPAddress loopback6() {
  IPAddress a;
  a.fromString("::1");
  return a;
}

const char *backendName() {
  return kLwip ? "lwip" : "posix";
}

#if defined(ASYNCTCP_BACKEND_LWIP)
IPAddress stackIp4() {
  return lwip::lwipIp4();
}
IPAddress stackIp6() {
  return lwip::lwipIp6();
}
IPAddress peerIp4() {
  return lwip::linuxIp4();
}
IPAddress peerIp6() {
  return lwip::linuxIp6();
}
size_t sendBudget() {
  return TCP_SND_BUF;
}
int osErrno(int) {
  return 0;
}
#else
IPAddress stackIp4() {
  return loopback4();
}
IPAddress stackIp6() {
  return loopback6();
}
IPAddress peerIp4() {
  return loopback4();
}
IPAddress peerIp6() {
  return loopback6();
}
size_t sendBudget() {
  return CONFIG_ASYNC_TCP_SEND_BUFFER;
}
int osErrno(int e) {
  return e;
}
#endif

size_t raiseFdLimit() {
  rlimit rl{};
  if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
    return 0;
  if (rl.rlim_cur < rl.rlim_max) {
    rl.rlim_cur = rl.rlim_max;
    setrlimit(RLIMIT_NOFILE, &rl);
    getrlimit(RLIMIT_NOFILE, &rl);
  }
  return static_cast<size_t>(rl.rlim_cur);
}

FdLimitReached::FdLimitReached(int headroom) {
  rlimit old{};
  getrlimit(RLIMIT_NOFILE, &old);
  _oldSoft = old.rlim_cur;
  _oldHard = old.rlim_max;
  int highest = 2;
  for (int fd = 0; fd < static_cast<int>(old.rlim_cur) && fd < 65536; ++fd)
    if (fcntl(fd, F_GETFD) != -1)
      highest = fd;
  rlimit low = old;
  low.rlim_cur = std::min<rlim_t>(static_cast<rlim_t>(highest + headroom), old.rlim_cur);
  setrlimit(RLIMIT_NOFILE, &low);
  for (;;) {
    int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
      _errno = errno;
      break;
    }
    _fillers.push_back(fd);
  }
}

void FdLimitReached::release() {
  for (int fd : _fillers)
    ::close(fd);
  _fillers.clear();
  if (_oldSoft != 0) {
    rlimit old{static_cast<rlim_t>(_oldSoft), static_cast<rlim_t>(_oldHard)};
    setrlimit(RLIMIT_NOFILE, &old);
  }
}

// ---------------------------------------------------------------------------------------------

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

// ---------------------------------------------------------------------------------------------

FakeDnsServer::FakeDnsServer(Mode mode) : _mode(mode) {
  _fd = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = 0;
  if (::bind(_fd, reinterpret_cast<sockaddr *>(&a), sizeof a) == 0) {
    socklen_t len = sizeof a;
    getsockname(_fd, reinterpret_cast<sockaddr *>(&a), &len);
    _port = ntohs(a.sin_port);
  }
  _thread = std::thread([this] { serve(); });
}

FakeDnsServer::~FakeDnsServer() {
  _stop = true;
  _thread.join();
  ::close(_fd);
}

std::string FakeDnsServer::spec() const {
  return "127.0.0.1:" + std::to_string(_port);
}

std::vector<std::string> FakeDnsServer::names() const {
  std::lock_guard<std::mutex> lock(_mutex);
  return _names;
}

void FakeDnsServer::serve() {
  uint8_t q[1500];
  while (!_stop) {
    pollfd p{_fd, POLLIN, 0};
    if (::poll(&p, 1, 20) <= 0)
      continue;
    sockaddr_storage from{};
    socklen_t fromLen = sizeof from;
    ssize_t n = recvfrom(_fd, q, sizeof q, 0, reinterpret_cast<sockaddr *>(&from), &fromLen);
    if (n < 12 || (q[2] & 0x80))
      continue;  // too short, or a response
    // Parse the first question: QNAME labels, QTYPE, QCLASS.
    size_t pos = 12;
    std::string name;
    bool ok = true;
    while (pos < static_cast<size_t>(n) && q[pos] != 0) {
      size_t l = q[pos];
      if ((l & 0xC0) || pos + 1 + l >= static_cast<size_t>(n)) {
        ok = false;
        break;
      }
      if (!name.empty())
        name += '.';
      name.append(reinterpret_cast<const char *>(&q[pos + 1]), l);
      pos += 1 + l;
    }
    if (!ok || pos + 5 > static_cast<size_t>(n))
      continue;
    const size_t questionEnd = pos + 5;  // zero label + QTYPE + QCLASS
    const uint16_t qtype = static_cast<uint16_t>(q[pos + 1] << 8 | q[pos + 2]);
    _queries++;
    {
      std::lock_guard<std::mutex> lock(_mutex);
      _names.push_back(name);
    }
    const bool answer = _mode == Mode::AnswerLoopback && qtype == 1;
    const uint8_t rcode = _mode == Mode::NxDomain ? 3 : 0;
    std::vector<uint8_t> r(q, q + questionEnd);
    r[2] = static_cast<uint8_t>(0x80 | (q[2] & 0x79));  // QR, opcode and RD copied
    r[3] = static_cast<uint8_t>(0x80 | rcode);          // RA, rcode
    r[4] = 0;
    r[5] = 1;  // QDCOUNT 1
    r[6] = 0;
    r[7] = answer ? 1 : 0;  // ANCOUNT
    r[8] = r[9] = r[10] = r[11] = 0;
    if (answer) {
      const uint8_t rr[] = {0xC0, 0x0C, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4, 127, 0, 0, 1};
      r.insert(r.end(), rr, rr + sizeof rr);
    }
    sendto(_fd, r.data(), r.size(), 0, reinterpret_cast<sockaddr *>(&from), fromLen);
  }
}

// ---------------------------------------------------------------------------------------------

struct ClientLog::Guard {
  ClientLog *log;
  Guard(ClientLog *l, const std::string &event) : log(l) { log->record(event); }
  ~Guard() {
    std::lock_guard<std::mutex> lock(log->_m);
    log->_depth--;
  }
};

void ClientLog::record(const std::string &event) {
  std::lock_guard<std::mutex> lock(_m);
  if (_depth > 0)
    _reentrant++;
  _depth++;
  if (_ended)
    _late++;
  _events.push_back(event);
  _threads.insert(std::this_thread::get_id());
}

void ClientLog::attach(AsyncClient &c, ClientHooks hooks) {
  {
    std::lock_guard<std::mutex> lock(_m);
    _hooks = std::move(hooks);
  }
  // Each handler copies `this` into a local first: a hook may delete the client, which destroys
  // this closure, so nothing captured may be touched after the hook returns.
  c.onConnect([this](void *, AsyncClient *cl) {
    ClientLog *self = this;
    Guard g(self, "connect");
    {
      std::lock_guard<std::mutex> lock(self->_m);
      self->_connects++;
    }
    if (self->_hooks.onConnect)
      self->_hooks.onConnect(cl);
  });
  c.onDisconnect([this](void *, AsyncClient *cl) {
    ClientLog *self = this;
    Guard g(self, "disconnect");
    {
      std::lock_guard<std::mutex> lock(self->_m);
      self->_disconnects++;
      self->_ended = true;
      self->_disconnectTime = Clock::now();
    }
    if (self->_hooks.onDisconnect)
      self->_hooks.onDisconnect(cl);
  });
  c.onError([this](void *, AsyncClient *cl, int8_t err) {
    ClientLog *self = this;
    Guard g(self, "error:" + std::to_string(err));
    {
      std::lock_guard<std::mutex> lock(self->_m);
      self->_errors.push_back(err);
    }
    if (self->_hooks.onError)
      self->_hooks.onError(cl, err);
  });
  c.onData([this](void *, AsyncClient *cl, void *data, size_t len) {
    ClientLog *self = this;
    Guard g(self, "data");
    {
      std::lock_guard<std::mutex> lock(self->_m);
      self->_data.append(static_cast<const char *>(data), len);
      // Keep the event list short during bulk transfers.
      if (self->_events.size() > 1 && self->_events[self->_events.size() - 2] == "data")
        self->_events.pop_back();
    }
    if (self->_hooks.onData)
      self->_hooks.onData(cl, data, len);
  });
  c.onAck([this](void *, AsyncClient *cl, size_t len, uint32_t time) {
    ClientLog *self = this;
    Guard g(self, "ack");
    {
      std::lock_guard<std::mutex> lock(self->_m);
      self->_acked += len;
      self->_ackCalls++;
      if (self->_events.size() > 1 && self->_events[self->_events.size() - 2] == "ack")
        self->_events.pop_back();
    }
    if (self->_hooks.onAck)
      self->_hooks.onAck(cl, len, time);
  });
  c.onTimeout([this](void *, AsyncClient *cl, uint32_t time) {
    ClientLog *self = this;
    Guard g(self, "timeout");
    {
      std::lock_guard<std::mutex> lock(self->_m);
      self->_timeouts++;
      self->_timeoutValues.push_back(time);
    }
    if (self->_hooks.onTimeout)
      self->_hooks.onTimeout(cl, time);
  });
  c.onPoll([this](void *, AsyncClient *cl) {
    ClientLog *self = this;
    Guard g(self, "poll");
    {
      std::lock_guard<std::mutex> lock(self->_m);
      self->_polls++;
      self->_pollTimes.push_back(Clock::now());
      if (self->_events.size() > 1 && self->_events[self->_events.size() - 2] == "poll")
        self->_events.pop_back();
    }
    if (self->_hooks.onPoll)
      self->_hooks.onPoll(cl);
  });
}

#define TST_LOCKED(expr)                  \
  do {                                    \
    std::lock_guard<std::mutex> lock(_m); \
    return expr;                          \
  } while (0)

int ClientLog::connects() const {
  TST_LOCKED(_connects);
}
int ClientLog::disconnects() const {
  TST_LOCKED(_disconnects);
}
int ClientLog::polls() const {
  TST_LOCKED(_polls);
}
int ClientLog::timeouts() const {
  TST_LOCKED(_timeouts);
}
std::vector<int> ClientLog::errors() const {
  TST_LOCKED(_errors);
}
std::vector<std::string> ClientLog::events() const {
  TST_LOCKED(_events);
}
std::string ClientLog::data() const {
  TST_LOCKED(_data);
}
size_t ClientLog::received() const {
  TST_LOCKED(_data.size());
}
size_t ClientLog::acked() const {
  TST_LOCKED(_acked);
}
size_t ClientLog::ackCalls() const {
  TST_LOCKED(_ackCalls);
}
std::vector<Clock::time_point> ClientLog::pollTimes() const {
  TST_LOCKED(_pollTimes);
}
std::vector<uint32_t> ClientLog::timeoutValues() const {
  TST_LOCKED(_timeoutValues);
}
Clock::time_point ClientLog::disconnectTime() const {
  TST_LOCKED(_disconnectTime);
}
std::set<std::thread::id> ClientLog::callbackThreads() const {
  TST_LOCKED(_threads);
}
std::vector<std::string> ClientLog::lifecycle() const {
  std::vector<std::string> out;
  for (const auto &e : events()) {
    if (e == "connect" || e == "disconnect" || e.rfind("error:", 0) == 0)
      out.push_back(e);
  }
  return out;
}
int ClientLog::lateCallbacks() const {
  TST_LOCKED(_late);
}
int ClientLog::reentrantCallbacks() const {
  TST_LOCKED(_reentrant);
}

#undef TST_LOCKED

bool ClientLog::waitConnected(milliseconds timeout) const {
  return waitFor([&] { return connects() > 0; }, timeout);
}
bool ClientLog::waitDisconnected(milliseconds timeout) const {
  return waitFor([&] { return disconnects() > 0; }, timeout);
}
bool ClientLog::waitReceived(size_t bytes, milliseconds timeout) const {
  return waitFor([&] { return received() >= bytes; }, timeout);
}
bool ClientLog::waitAcked(size_t bytes, milliseconds timeout) const {
  return waitFor([&] { return acked() >= bytes; }, timeout);
}

void ClientLog::markDeleted() {
  std::lock_guard<std::mutex> lock(_m);
  _ended = true;
}

void ClientLog::resetForReconnect() {
  std::lock_guard<std::mutex> lock(_m);
  _ended = false;
}

// ---------------------------------------------------------------------------------------------

void Sender::pump(AsyncClient *c) {
  size_t sent = _sent.load();
  bool queued = false;
  while (sent < _payload.size()) {
    size_t want = std::min(_maxChunk, _payload.size() - sent);
    size_t n = c->add(_payload.data() + sent, want, _flags);
    if (n == 0)
      break;
    sent += n;
    queued = true;
  }
  _sent = sent;
  if (queued)
    c->send();
}

RawSocket connectAndAccept(AsyncClient &c, const ClientLog &log, RawListener &listener) {
  return connectAndAccept(c, log, listener, listener.ip());
}

RawSocket connectAndAccept(AsyncClient &c, const ClientLog &log, RawListener &listener,
                           const IPAddress &ip) {
  if (!c.connect(ip, listener.port()))
    return RawSocket();
  RawSocket peer = listener.accept(5000ms);
  if (!peer.valid() || !log.waitConnected(5000ms))
    return RawSocket();
  return peer;
}

ClientHooks pumpingHooks(Sender &sender) {
  ClientHooks h;
  h.onConnect = [&sender](AsyncClient *c) { sender.pump(c); };
  h.onAck = [&sender](AsyncClient *c, size_t, uint32_t) { sender.pump(c); };
  h.onPoll = [&sender](AsyncClient *c) { sender.pump(c); };
  return h;
}

// ---------------------------------------------------------------------------------------------

namespace {

struct EchoConn {
  ByteQueue pending;
  size_t movedNotAcked = 0;  // flow control: queued for sending but not yet ack()ed
};

}  // namespace

struct EchoServer::State {
  bool flowControl = false;
  mutable std::mutex m;
  int accepted = 0, live = 0, disconnects = 0;
  std::vector<int> errors;
  size_t echoed = 0;
  std::vector<IPAddress> remoteIPs;
};

namespace {

// Moves pending bytes into the client's send budget. With flow control the moved bytes are
// acknowledged afterwards, outside onData (ESP32 counts data held by ackLater() only once
// onData has returned).
void echoFlush(EchoServer::State &st, EchoConn &conn, AsyncClient *c, bool mayAck) {
  size_t moved = 0;
  while (conn.pending.size() > 0) {
    size_t n = c->add(conn.pending.data(), conn.pending.size(), ASYNC_WRITE_FLAG_COPY);
    if (n == 0)
      break;
    conn.pending.pop(n);
    moved += n;
  }
  if (moved > 0) {
    c->send();
    std::lock_guard<std::mutex> lock(st.m);
    st.echoed += moved;
  }
  if (st.flowControl) {
    conn.movedNotAcked += moved;
    if (mayAck && conn.movedNotAcked > 0) {
      c->ack(conn.movedNotAcked);
      conn.movedNotAcked = 0;
    }
  }
}

}  // namespace

EchoServer::EchoServer(IPAddress addr, bool flowControl)
    : _server(std::make_unique<AsyncServer>(addr, 0)) {
  start(flowControl);
}

EchoServer::EchoServer(std::unique_ptr<AsyncServer> server, bool flowControl)
    : _server(std::move(server)) {
  start(flowControl);
}

void EchoServer::start(bool flowControl) {
  _state = std::make_shared<State>();
  _state->flowControl = flowControl;
  std::shared_ptr<State> st = _state;
  _server->onClient(
      [st](void *, AsyncClient *c) {
        auto *conn = new EchoConn;
        {
          std::lock_guard<std::mutex> lock(st->m);
          st->accepted++;
          st->live++;
          st->remoteIPs.push_back(c->remoteIP());
        }
        c->onData([st, conn](void *, AsyncClient *cl, void *data, size_t len) {
          conn->pending.append(data, len);
          if (st->flowControl)
            cl->ackLater();
          echoFlush(*st, *conn, cl, false);
        });
        c->onAck([st, conn](void *, AsyncClient *cl, size_t, uint32_t) {
          echoFlush(*st, *conn, cl, true);
        });
        c->onPoll([st, conn](void *, AsyncClient *cl) { echoFlush(*st, *conn, cl, true); });
        c->onError([st](void *, AsyncClient *, int8_t err) {
          std::lock_guard<std::mutex> lock(st->m);
          st->errors.push_back(err);
        });
        c->onDisconnect([st, conn](void *, AsyncClient *cl) {
          {
            std::lock_guard<std::mutex> lock(st->m);
            st->live--;
            st->disconnects++;
          }
          delete conn;
          delete cl;  // last: this closure dies with the client
        });
      },
      nullptr);
  _server->begin();
}

EchoServer::~EchoServer() {
  _server->end();
  if (!waitAllDisconnected(5000ms)) {
    ADD_FAILURE() << "EchoServer: " << live()
                  << " accepted client(s) never got onDisconnect after their peer went away";
  }
  _server.reset();
}

int EchoServer::accepted() const {
  std::lock_guard<std::mutex> lock(_state->m);
  return _state->accepted;
}
int EchoServer::live() const {
  std::lock_guard<std::mutex> lock(_state->m);
  return _state->live;
}
int EchoServer::disconnects() const {
  std::lock_guard<std::mutex> lock(_state->m);
  return _state->disconnects;
}
std::vector<int> EchoServer::errors() const {
  std::lock_guard<std::mutex> lock(_state->m);
  return _state->errors;
}
size_t EchoServer::bytesEchoed() const {
  std::lock_guard<std::mutex> lock(_state->m);
  return _state->echoed;
}
std::vector<IPAddress> EchoServer::remoteIPs() const {
  std::lock_guard<std::mutex> lock(_state->m);
  return _state->remoteIPs;
}
bool EchoServer::waitAccepted(int n, milliseconds timeout) const {
  return waitFor([&] { return accepted() >= n; }, timeout);
}
bool EchoServer::waitAllDisconnected(milliseconds timeout) const {
  return waitFor([&] { return live() == 0; }, timeout);
}

}  // namespace tst
