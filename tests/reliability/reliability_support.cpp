#include "reliability_support.h"

#include <dirent.h>
#include <malloc.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <sstream>
#include <thread>

namespace rel {

void attachHolding(AsyncClient &c, tst::ClientLog &log) {
  tst::ClientHooks hooks;
  hooks.onData = [](AsyncClient *cl, void *, size_t) { cl->ackLater(); };
  log.attach(c, hooks);
}

size_t openFdCount() {
  size_t n = 0;
  DIR *d = opendir("/proc/self/fd");
  if (!d)
    return 0;
  while (dirent *e = readdir(d)) {
    if (e->d_name[0] != '.')
      ++n;
  }
  closedir(d);
  return n - 1;  // the directory's own descriptor
}

size_t rssKiB() {
  FILE *f = std::fopen("/proc/self/status", "r");
  if (!f)
    return 0;
  char line[256];
  size_t kib = 0;
  while (std::fgets(line, sizeof line, f)) {
    if (std::strncmp(line, "VmRSS:", 6) == 0) {
      kib = std::strtoul(line + 6, nullptr, 10);
      break;
    }
  }
  std::fclose(f);
  return kib;
}

size_t raiseFdLimitTo(size_t want) {
  rlimit rl{};
  if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
    return 0;
  if (rl.rlim_cur < want) {
    rl.rlim_cur = want;
    if (rl.rlim_max < want)
      rl.rlim_max = want;  // needs CAP_SYS_RESOURCE; on failure the limit stays
    setrlimit(RLIMIT_NOFILE, &rl);
    getrlimit(RLIMIT_NOFILE, &rl);
  }
  return size_t(rl.rlim_cur);
}

size_t heapInUse() {
  if (kSanitized)
    return 0;
  return mallinfo2().uordblks;
}

double cpuSeconds() {
  timespec ts{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return double(ts.tv_sec) + double(ts.tv_nsec) / 1e9;
}

void warmUp() {
  {
    tst::EchoServer echo;
    tst::ClientLog log;
    {
      AsyncClient c;
      log.attach(c);
      if (c.connect(tst::loopback4(), echo.port()) && log.waitConnected()) {
        c.write("warm-up");
        log.waitReceived(7);
      }
      c.close();
      log.waitDisconnected();
    }
    echo.waitAllDisconnected();
  }
  tst::waitFdsSettled();  // the warm-up's own descriptors are closed by now
}

bool waitFdsAtMost(size_t baseline, milliseconds timeout) {
  return tst::waitFor([&] { return openFdCount() <= baseline; }, timeout);
}

std::string describeOpenSockets() {
  // inode -> "local remote state" from the kernel's tables.
  std::map<unsigned long, std::string> tcp;
  static const char *const states[] = {"?",          "ESTABLISHED", "SYN_SENT",  "SYN_RECV",
                                       "FIN_WAIT1",  "FIN_WAIT2",   "TIME_WAIT", "CLOSE",
                                       "CLOSE_WAIT", "LAST_ACK",    "LISTEN",    "CLOSING"};
  for (const char *table : {"/proc/self/net/tcp", "/proc/self/net/tcp6"}) {
    FILE *f = std::fopen(table, "r");
    if (!f)
      continue;
    char line[512];
    std::fgets(line, sizeof line, f);  // header
    while (std::fgets(line, sizeof line, f)) {
      char local[64], remote[64];
      unsigned st = 0, txq = 0, rxq = 0;
      unsigned long inode = 0;
      if (std::sscanf(line, "%*d: %63s %63s %x %x:%x %*x:%*x %*x %*u %*u %lu", local, remote, &st,
                      &txq, &rxq, &inode) == 6) {
        std::ostringstream s;
        s << "local " << local << " remote " << remote << " "
          << (st < sizeof states / sizeof *states ? states[st] : "?") << " sendq " << txq
          << " recvq " << rxq;
        tcp[inode] = s.str();
      }
    }
    std::fclose(f);
  }
  std::ostringstream out;
  DIR *d = opendir("/proc/self/fd");
  if (!d)
    return "";
  while (dirent *e = readdir(d)) {
    if (e->d_name[0] == '.')
      continue;
    char path[300], target[128] = {};
    std::snprintf(path, sizeof path, "/proc/self/fd/%s", e->d_name);
    if (readlink(path, target, sizeof target - 1) <= 0)
      continue;
    unsigned long inode = 0;
    out << "  fd " << e->d_name << ": " << target;
    if (std::sscanf(target, "socket:[%lu]", &inode) == 1 && tcp.count(inode))
      out << " " << tcp[inode];
    out << "\n";
  }
  closedir(d);
  return out.str();
}

std::string FaultGuard::summary() const {
  using namespace asynctcp::fault;
  std::ostringstream s;
  s << "accept=" << injected(kAccept) << " recv=" << injected(kRecv) << " send=" << injected(kSend)
    << " connect=" << injected(kConnect) << " socket=" << injected(kSocket);
  return s.str();
}

// ---------------------------------------------------------------------------------------------

Pinger::Pinger(uint16_t echoPort, milliseconds pause) {
  _thread = std::thread([this, echoPort, pause] { run(echoPort, pause); });
  tst::waitFor([this] { return _connected.load() || _failures.load() > 0; }, 5000ms);
}

Pinger::~Pinger() {
  stop();
}

void Pinger::stop() {
  _stop = true;
  if (_thread.joinable())
    _thread.join();
}

void Pinger::run(uint16_t port, milliseconds pause) {
  tst::RawSocket s = tst::rawConnect("127.0.0.1", port);
  if (!s.valid()) {
    _failures++;
    return;
  }
  int one = 1;
  setsockopt(s.fd(), IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  _connected = true;
  uint64_t seq = 0;
  while (!_stop) {
    const std::string msg = tst::pattern(32, 7, seq * 32);
    seq++;
    const auto t0 = Clock::now();
    std::string got;
    if (!s.sendAll(msg, 2000ms) || !s.recvExactly(msg.size(), got, 2000ms) || got != msg) {
      _failures++;
      return;
    }
    const double ms = std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
    {
      std::lock_guard<std::mutex> lock(_m);
      _rttMs.push_back(ms);
    }
    std::this_thread::sleep_for(pause);
  }
}

size_t Pinger::rounds() const {
  std::lock_guard<std::mutex> lock(_m);
  return _rttMs.size();
}

milliseconds Pinger::maxRtt() const {
  std::lock_guard<std::mutex> lock(_m);
  double m = 0;
  for (double v : _rttMs)
    m = std::max(m, v);
  return milliseconds(static_cast<int64_t>(m + 0.999));
}

milliseconds Pinger::percentileRtt(double p) const {
  std::vector<double> v;
  {
    std::lock_guard<std::mutex> lock(_m);
    v = _rttMs;
  }
  if (v.empty())
    return 0ms;
  std::sort(v.begin(), v.end());
  size_t i = std::min(v.size() - 1, static_cast<size_t>(p * double(v.size() - 1) + 0.5));
  return milliseconds(static_cast<int64_t>(v[i] + 0.999));
}

std::string Pinger::describe() const {
  std::ostringstream s;
  s << rounds() << " pings, p50 " << percentileRtt(0.5).count() << " ms, p99 "
    << percentileRtt(0.99).count() << " ms, max " << maxRtt().count() << " ms, " << failures()
    << " failed";
  return s.str();
}

}  // namespace rel
