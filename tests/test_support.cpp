#include "test_support.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/utsname.h>
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
#include <cstdio>
#include <cstring>
#include <utility>

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
size_t receiveHoldBound() {
  return 1024 * 1024;
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
size_t receiveHoldBound() {
  constexpr size_t kKiB = 1024, kRead = 64 * kKiB;
  if (std::strcmp(asynctcp::engineName(), "io_uring") != 0)
    return 64 * kKiB + kRead;  // epoll: the window, and the read that filled it
  if (kernelAtLeast(6, 17))
    return 128 * kKiB + kRead;    // the receive's wide limit while nothing was held
  return 64 * kKiB + 64 * kRead;  // every buffer of the ring, before the cancel lands
}
int osErrno(int e) {
  return e;
}
#endif

bool kernelAtLeast(int wantMajor, int wantMinor) {
  utsname u{};
  int major = 0, minor = 0;
  if (uname(&u) != 0 || std::sscanf(u.release, "%d.%d", &major, &minor) != 2)
    return false;
  return major > wantMajor || (major == wantMajor && minor >= wantMinor);
}

void setLibrarySocketOption(uint16_t localPort, int name, int value) {
  for (int fd = 3; fd < 1024; ++fd) {
    sockaddr_storage ss{};
    socklen_t len = sizeof ss;
    if (getsockname(fd, reinterpret_cast<sockaddr *>(&ss), &len) != 0 || ss.ss_family != AF_INET)
      continue;
    int type = 0;
    socklen_t tl = sizeof type;
    getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &tl);
    if (type == SOCK_STREAM && ntohs(reinterpret_cast<sockaddr_in *>(&ss)->sin_port) == localPort)
      setsockopt(fd, SOL_SOCKET, name, &value, sizeof value);
  }
}

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

namespace {
int highestOpenFd(rlim_t below) {
  int highest = 2;
  for (int fd = 0; fd < static_cast<int>(below) && fd < 65536; ++fd)
    if (fcntl(fd, F_GETFD) != -1)
      highest = fd;
  return highest;
}

// Which descriptors are open, as a count and the highest (below 65536).
std::pair<int, int> fdTable() {
  int count = 0, highest = -1;
  for (int fd = 0; fd < 65536; ++fd)
    if (fcntl(fd, F_GETFD) != -1) {
      ++count;
      highest = fd;
    }
  return {count, highest};
}
}  // namespace

void waitFdsSettled() {
  auto last = fdTable();
  for (int i = 0; i < 50; ++i) {
    std::this_thread::sleep_for(20ms);
    const auto now = fdTable();
    if (now == last)
      return;
    last = now;
  }
}

FdLimitReached::FdLimitReached(int headroom) {
  // The library may still open or close a descriptor of its own (its start-up, a close the
  // io_uring engine does on its next pass): one it frees after the fill below would let a
  // connection in.
  waitFdsSettled();
  rlimit old{};
  getrlimit(RLIMIT_NOFILE, &old);
  _oldSoft = old.rlim_cur;
  _oldHard = old.rlim_max;
  const int highest = highestOpenFd(old.rlim_cur);
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

}  // namespace tst
