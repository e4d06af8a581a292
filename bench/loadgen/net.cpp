// Sockets and connection setup shared by the workloads.
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>

#include "loadgen.h"

namespace loadgen {

uint64_t nowNs() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return uint64_t(ts.tv_sec) * 1000000000ull + uint64_t(ts.tv_nsec);
}

double processCpuSeconds(int pid) {
  if (pid <= 0)
    return -1;
  char path[64];
  std::snprintf(path, sizeof path, "/proc/%d/stat", pid);
  FILE *f = std::fopen(path, "r");
  if (!f)
    return -1;
  char line[1024];
  size_t n = std::fread(line, 1, sizeof line - 1, f);
  std::fclose(f);
  line[n] = '\0';
  // Fields after the command name, which is in parentheses and may hold spaces.
  const char *p = std::strrchr(line, ')');
  unsigned long long utime = 0, stime = 0;
  if (!p || std::sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &utime,
                        &stime) != 2)
    return -1;
  return double(utime + stime) / double(sysconf(_SC_CLK_TCK));
}

int startConnect(uint16_t port) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0)
    return -1;
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_port = htons(port);
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr *>(&sa), sizeof sa) != 0 && errno != EINPROGRESS) {
    int e = errno;
    ::close(fd);
    errno = e;
    return -1;
  }
  return fd;
}

void helloFor(uint64_t id, char out[kHelloSize]) {
  std::memset(out, '.', kHelloSize);
  int n = std::snprintf(out, kHelloSize, "hello from connection %llu ",
                        static_cast<unsigned long long>(id));
  out[n] = '.';  // snprintf's terminator
  out[kHelloSize - 1] = '\n';
}

namespace {

struct Pending {
  int fd = -1;
  uint64_t id = 0;
  bool secured = false;  // the TLS handshake is done (at once without --tls)
  bool sent = false;
  size_t got = 0;
  char echo[kHelloSize];
};

// One step of a connection in setup. Returns 1 when proven, 0 to wait, -1 with error set.
int advance(Pending &p, uint32_t events, std::string &error) {
  char hello[kHelloSize];
  helloFor(p.id, hello);
  if (!p.secured) {
    if (!(events & (EPOLLOUT | EPOLLIN | EPOLLERR | EPOLLHUP)))
      return 0;
    const int h = tlsHandshake(p.fd);
    if (h < 0) {
      error = "TLS handshake failed";
      return -1;
    }
    if (h == 0)
      return 0;
    p.secured = true;
  }
  if (!p.sent) {
    ssize_t w = ioSend(p.fd, hello, kHelloSize);
    if (w < 0 && errno == EAGAIN)
      return 0;
    if (w != ssize_t(kHelloSize)) {
      error = std::string("connect/send: ") + (w < 0 ? std::strerror(errno) : "short write");
      return -1;
    }
    p.sent = true;
  }
  for (;;) {
    ssize_t n = ioRecv(p.fd, p.echo + p.got, kHelloSize - p.got);
    if (n > 0) {
      p.got += size_t(n);
      if (p.got < kHelloSize)
        continue;
      if (std::memcmp(p.echo, hello, kHelloSize) != 0) {
        error = "the greeting came back changed";
        return -1;
      }
      return 1;
    }
    if (n < 0 && errno == EAGAIN)
      return 0;
    if (n < 0 && errno == EINTR)
      continue;
    error = std::string("during setup: ") + (n == 0 ? "server closed" : std::strerror(errno));
    return -1;
  }
}

}  // namespace

bool connectAll(const Options &o, int n, int parallel, std::vector<int> &fds, std::string &error) {
  int ep = epoll_create1(EPOLL_CLOEXEC);
  std::vector<Pending> slots(static_cast<size_t>(n));
  int started = 0, inSetup = 0, done = 0;
  const uint64_t deadline = nowNs() + 30ull * 1000000000ull;
  bool ok = true;
  epoll_event evs[256];
  while (ok && done < n) {
    while (started < n && inSetup < parallel) {
      int fd = startConnect(o.port);
      if (fd < 0) {
        error = std::string("connect: ") + std::strerror(errno);
        ok = false;
        break;
      }
      Pending &p = slots[size_t(started)];
      p.fd = fd;
      p.id = uint64_t(started);
      epoll_event ev{};
      ev.events = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET;
      ev.data.ptr = &p;
      epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
      fds.push_back(fd);
      ++started;
      ++inSetup;
    }
    if (!ok)
      break;
    if (nowNs() > deadline) {
      error = "connection setup timed out (" + std::to_string(done) + " of " + std::to_string(n) +
              " ready)";
      ok = false;
      break;
    }
    int k = epoll_wait(ep, evs, 256, 100);
    for (int i = 0; i < k && ok; ++i) {
      Pending &p = *static_cast<Pending *>(evs[i].data.ptr);
      int r = advance(p, evs[i].events, error);
      if (r < 0)
        ok = false;
      if (r > 0) {
        epoll_ctl(ep, EPOLL_CTL_DEL, p.fd, nullptr);
        --inSetup;
        ++done;
      }
    }
  }
  ::close(ep);
  if (!ok) {
    for (int fd : fds)
      ioClose(fd);
    fds.clear();
  }
  return ok;
}

}  // namespace loadgen
