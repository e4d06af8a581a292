// send_zc: from which write size does io_uring's zero-copy send (IORING_OP_SEND_ZC) cost
// less CPU than its copying send (IORING_OP_SEND)? The answer decides whether the io_uring
// engine uses it (issue 16). One TCP connection over loopback: a sender thread with a ring
// keeps `depth` sends of one size in flight; a receiver thread reads and drops. Per size and
// mode: the sender's CPU per MB (the process's CPU minus the receiver thread's: io_uring's
// workers count for the sender), the receiver's, and how many zero-copy sends the kernel
// copied after all (IORING_NOTIF_USAGE_ZC_COPIED: on loopback and veth it must copy, as the
// receiving socket cannot hold the sender's pages).
//
//   send_zc [--mb N] [--depth D] [--sizes 1024,4096,...]
#include <liburing.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <sched.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

namespace {

// liburing 2.3's header lacks the usage report (kernel 6.2).
#ifndef IORING_SEND_ZC_REPORT_USAGE
#define IORING_SEND_ZC_REPORT_USAGE (1U << 3)
#endif
#ifndef IORING_NOTIF_USAGE_ZC_COPIED
#define IORING_NOTIF_USAGE_ZC_COPIED (1U << 31)
#endif

double seconds(clockid_t clock) {
  timespec ts{};
  clock_gettime(clock, &ts);
  return double(ts.tv_sec) + double(ts.tv_nsec) / 1e9;
}

double processCpu() {
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  return double(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
         double(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

void pin(int cpu) {
  if (cpu < 0 || cpu >= int(std::thread::hardware_concurrency()))
    return;
  cpu_set_t set;
  CPU_ZERO(&set);
  CPU_SET(cpu, &set);
  pthread_setaffinity_np(pthread_self(), sizeof set, &set);
}

bool connectedPair(int *a, int *b) {
  int l = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof sa;
  if (l < 0 || bind(l, reinterpret_cast<sockaddr *>(&sa), sizeof sa) != 0 || listen(l, 1) != 0 ||
      getsockname(l, reinterpret_cast<sockaddr *>(&sa), &len) != 0)
    return false;
  *a = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (connect(*a, reinterpret_cast<sockaddr *>(&sa), sizeof sa) != 0)
    return false;
  *b = accept4(l, nullptr, nullptr, SOCK_CLOEXEC);
  close(l);
  return *b >= 0;
}

struct Result {
  double senderUsPerMb = 0, receiverUsPerMb = 0, mbPerS = 0;
  uint64_t zcSends = 0, zcCopied = 0;
  bool ok = false;
};

Result run(size_t size, bool zc, size_t totalBytes, unsigned depth) {
  Result r;
  int tx = -1, rx = -1;
  if (!connectedPair(&tx, &rx)) {
    std::perror("send_zc: loopback connection");
    return r;
  }
  std::atomic<uint64_t> received{0};
  std::atomic<double> receiverCpu{0};
  std::thread receiver([&] {
    pin(1);
    std::vector<char> buf(1 << 20);
    const double c0 = seconds(CLOCK_THREAD_CPUTIME_ID);
    for (;;) {
      ssize_t n = recv(rx, buf.data(), buf.size(), 0);
      if (n <= 0)
        break;
      received += uint64_t(n);
    }
    receiverCpu = seconds(CLOCK_THREAD_CPUTIME_ID) - c0;
  });
  pin(0);
  io_uring ring;
  if (io_uring_queue_init(2 * depth + 8, &ring, 0) != 0) {
    std::fprintf(stderr, "send_zc: io_uring_queue_init failed\n");
    std::exit(1);
  }
  std::vector<char> data(size, 'z');  // never written while a send may read it
  const double cpu0 = processCpu();
  const double wall0 = seconds(CLOCK_MONOTONIC);
  size_t submitted = 0, done = 0;
  unsigned inFlight = 0, notifs = 0;
  bool failed = false;
  while (!failed && (done < totalBytes || inFlight > 0 || notifs > 0)) {
    while (inFlight < depth && submitted < totalBytes) {
      io_uring_sqe *sqe = io_uring_get_sqe(&ring);
      if (zc)
        io_uring_prep_send_zc(sqe, tx, data.data(), size, MSG_NOSIGNAL, IORING_SEND_ZC_REPORT_USAGE);
      else
        io_uring_prep_send(sqe, tx, data.data(), size, MSG_NOSIGNAL);
      submitted += size;
      ++inFlight;
    }
    io_uring_submit_and_wait(&ring, 1);
    io_uring_cqe *cqe;
    unsigned head, seen = 0;
    io_uring_for_each_cqe(&ring, head, cqe) {
      ++seen;
      if (cqe->flags & IORING_CQE_F_NOTIF) {
        --notifs;
        r.zcCopied += (uint32_t(cqe->res) & IORING_NOTIF_USAGE_ZC_COPIED) ? 1 : 0;
        continue;
      }
      --inFlight;
      if (cqe->flags & IORING_CQE_F_MORE) {  // zero-copy: a notification follows
        ++notifs;
        ++r.zcSends;
      }
      if (cqe->res < 0) {
        std::fprintf(stderr, "send_zc: send failed: %s\n", std::strerror(-cqe->res));
        failed = true;
      } else {
        done += size_t(cqe->res);
        submitted -= size - size_t(cqe->res);  // a short send: the rest goes again
      }
    }
    io_uring_cq_advance(&ring, seen);
  }
  shutdown(tx, SHUT_WR);
  receiver.join();
  const double wall = seconds(CLOCK_MONOTONIC) - wall0;
  const double cpu = processCpu() - cpu0;
  io_uring_queue_exit(&ring);
  close(tx);
  close(rx);
  const double mb = double(done) / 1e6;
  r.receiverUsPerMb = receiverCpu * 1e6 / mb;
  r.senderUsPerMb = (cpu - receiverCpu) * 1e6 / mb;
  r.mbPerS = mb / wall;
  r.ok = !failed && received.load() == done;
  return r;
}

std::vector<size_t> parseSizes(const char *s) {
  std::vector<size_t> out;
  for (const char *p = s; *p;) {
    char *end = nullptr;
    out.push_back(std::strtoull(p, &end, 10));
    p = *end == ',' ? end + 1 : end;
    if (end == p && *p)
      break;
  }
  return out;
}

}  // namespace

int main(int argc, char **argv) {
  size_t mb = 256;
  unsigned depth = 4;
  std::vector<size_t> sizes = {1024, 4096, 16384, 65536, 262144, 1048576};
  for (int i = 1; i + 1 < argc; i += 2) {
    if (!std::strcmp(argv[i], "--mb"))
      mb = std::strtoull(argv[i + 1], nullptr, 10);
    else if (!std::strcmp(argv[i], "--depth"))
      depth = unsigned(std::strtoul(argv[i + 1], nullptr, 10));
    else if (!std::strcmp(argv[i], "--sizes"))
      sizes = parseSizes(argv[i + 1]);
  }
  std::printf("%10s %6s %12s %12s %10s %14s\n", "size", "mode", "sender us/MB", "recvr us/MB",
              "MB/s", "zc copied");
  for (size_t size : sizes) {
    for (bool zc : {false, true}) {
      Result r = run(size, zc, mb << 20, depth);
      if (!r.ok) {
        std::printf("%10zu %6s failed\n", size, zc ? "zc" : "copy");
        return 1;
      }
      std::printf("%10zu %6s %12.1f %12.1f %10.0f %8llu/%-6llu\n", size, zc ? "zc" : "copy",
                  r.senderUsPerMb, r.receiverUsPerMb, r.mbPerS, (unsigned long long)r.zcCopied,
                  (unsigned long long)r.zcSends);
    }
  }
  return 0;
}
