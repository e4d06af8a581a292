// ack_latency: how long after a write onAck reports it, against a raw loopback peer on
// another thread that reads at once. Each round writes a few small messages from onAck
// (the first from onConnect) and ends at the onAck that covers them; the figures are the
// time from the round's last write to that onAck, and the service thread's CPU per round.
//
//   ack_latency [--rounds N] [--burst K] [--delayed-ack]
//
// --delayed-ack: the peer leaves acknowledging to the kernel's delayed ACK instead of
// setting TCP_QUICKACK after every read (then the receiver, not AsyncTCP, sets the pace).
#include <AsyncTCP.h>
#include <arpa/inet.h>
#include <dirent.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <fstream>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace {

using Clock = std::chrono::steady_clock;

int g_rounds = 2000, g_burst = 1;
bool g_quickack = true;

std::mutex g_m;
size_t g_written = 0, g_acked = 0;
Clock::time_point g_sentAt;
std::vector<double> g_latUs;
std::atomic<bool> g_done{false};

void writeRound(AsyncClient *c) {
  for (int i = 0; i < g_burst; ++i)
    g_written += c->write("0123456789abcdef0123456789abcdef", 32);
  g_sentAt = Clock::now();
}

void onAck(void *, AsyncClient *c, size_t len, uint32_t) {
  std::lock_guard<std::mutex> lock(g_m);
  g_acked += len;
  if (g_acked < g_written)
    return;
  g_latUs.push_back(std::chrono::duration<double, std::micro>(Clock::now() - g_sentAt).count());
  if (int(g_latUs.size()) < g_rounds)
    writeRound(c);
  else
    g_done = true;
}

void peer(int fd) {
  char buf[4096];
  int one = 1;
  for (;;) {
    if (g_quickack)
      setsockopt(fd, IPPROTO_TCP, TCP_QUICKACK, &one, sizeof(one));
    ssize_t n = recv(fd, buf, sizeof(buf), 0);
    if (n <= 0)
      return;
  }
}

// The library's service thread ("async_tcp"), by its thread id.
pid_t serviceTid() {
  pid_t tid = -1;
  DIR *d = opendir("/proc/self/task");
  while (dirent *e = d ? readdir(d) : nullptr) {
    std::ifstream comm(std::string("/proc/self/task/") + e->d_name + "/comm");
    std::string name;
    if (comm >> name && name == "async_tcp")
      tid = pid_t(std::atoi(e->d_name));
  }
  if (d)
    closedir(d);
  return tid;
}

// CPU time of another thread of this process, in microseconds: Linux's per-thread CPU
// clock id (CPUCLOCK_SCHED | CPUCLOCK_PERTHREAD_MASK over the inverted tid).
double threadCpuUs(pid_t tid) {
  timespec ts{};
  clockid_t id = clockid_t((~unsigned(tid) << 3) | 6);
  if (clock_gettime(id, &ts) != 0)
    return -1;
  return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

}  // namespace

int main(int argc, char **argv) {
  for (int i = 1; i < argc; ++i) {
    if (!std::strcmp(argv[i], "--rounds") && i + 1 < argc)
      g_rounds = std::atoi(argv[++i]);
    else if (!std::strcmp(argv[i], "--burst") && i + 1 < argc)
      g_burst = std::atoi(argv[++i]);
    else if (!std::strcmp(argv[i], "--delayed-ack"))
      g_quickack = false;
    else {
      std::fprintf(stderr, "usage: ack_latency [--rounds N] [--burst K] [--delayed-ack]\n");
      return 2;
    }
  }
  int lfd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t alen = sizeof(a);
  if (bind(lfd, reinterpret_cast<sockaddr *>(&a), sizeof(a)) != 0 || listen(lfd, 1) != 0 ||
      getsockname(lfd, reinterpret_cast<sockaddr *>(&a), &alen) != 0)
    return 1;
  AsyncClient client;
  client.setNoDelay(true);
  client.onConnect(
      [](void *, AsyncClient *c) {
        std::lock_guard<std::mutex> lock(g_m);
        writeRound(c);
      },
      nullptr);
  client.onAck(onAck, nullptr);
  if (!client.connect(IPAddress(127, 0, 0, 1), ntohs(a.sin_port)))
    return 1;
  int fd = accept(lfd, nullptr, nullptr);
  std::thread reader(peer, fd);
  pid_t tid = -1;
  for (int i = 0; i < 100 && tid < 0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
    tid = serviceTid();
  }
  double cpu0 = threadCpuUs(tid);
  auto start = Clock::now();
  while (!g_done)
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  double wall = std::chrono::duration<double>(Clock::now() - start).count();
  double cpu1 = threadCpuUs(tid);
  client.close();
  shutdown(fd, SHUT_RDWR);
  reader.join();
  std::vector<double> v = g_latUs;
  std::sort(v.begin(), v.end());
  auto pct = [&v](double p) { return v[std::min(v.size() - 1, size_t(p * v.size()))]; };
  std::printf(
      "rounds=%zu burst=%d quickack=%d p50_us=%.1f p90_us=%.1f p99_us=%.1f "
      "service_cpu_us_per_round=%.2f wall_s=%.2f\n",
      v.size(), g_burst, int(g_quickack), pct(0.5), pct(0.9), pct(0.99),
      (cpu1 - cpu0) / double(v.size()), wall);
  return 0;
}
