// uring_<kind> --probe: can this kernel run the uring servers? Setting up a ring proves
// little (seccomp or an LSM may refuse later calls, an old kernel the multishot receive),
// so this does one round trip over loopback with the very operations the servers use.
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <string>

#include "support/loopback_listener.h"
#include "support/uring_ring.h"
#include "support/uring_serve.h"

namespace bench::uring {

namespace {

// Submits what is queued and waits (2 s at most) for the completion tagged ud. Returns its
// res and flags, or -ETIME.
int await(io_uring *ring, uint64_t ud, unsigned *flags) {
  for (;;) {
    __kernel_timespec ts{2, 0};
    io_uring_cqe *cqe = nullptr;
    int err = io_uring_submit_and_wait_timeout(ring, &cqe, 1, &ts, nullptr);
    if (err < 0)
      return err;
    int res = cqe->res;
    bool match = io_uring_cqe_get_data64(cqe) == ud;
    *flags = cqe->flags;
    io_uring_cqe_seen(ring, cqe);
    if (match)
      return res;
  }
}

int say(const char *step, int err) {
  std::printf("io_uring unavailable: %s: %s\n", step, std::strerror(err < 0 ? -err : err));
  return 1;
}

}  // namespace

int probe() {
  Ring r;
  std::string why;
  if (openRing(&r, &why) != 0) {
    std::printf("io_uring unavailable: %s\n", why.c_str());
    return 1;
  }
  uint16_t port = 0;
  int lfd = listenLoopback(0, &port);
  if (lfd < 0)
    return 1;
  fcntl(lfd, F_SETFL, fcntl(lfd, F_GETFL) & ~O_NONBLOCK);
  io_uring_sqe *s = io_uring_get_sqe(&r.ring);
  io_uring_prep_multishot_accept(s, lfd, nullptr, nullptr, SOCK_CLOEXEC);
  io_uring_sqe_set_data64(s, 1);
  io_uring_submit(&r.ring);

  int cfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_port = htons(port);
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(cfd, reinterpret_cast<sockaddr *>(&sa), sizeof sa) != 0 || write(cfd, "ping", 4) != 4)
    return say("connect over loopback", errno);
  unsigned flags = 0;
  int afd = await(&r.ring, 1, &flags);
  if (afd < 0)
    return say("multishot accept", afd);

  s = io_uring_get_sqe(&r.ring);
  io_uring_prep_recv_multishot(s, afd, nullptr, 0, 0);
  s->flags |= IOSQE_BUFFER_SELECT;
  s->buf_group = kBufGroup;
  io_uring_sqe_set_data64(s, 2);
  int n = await(&r.ring, 2, &flags);
  if (n < 0)
    return say("multishot recv with provided buffers", n);
  if (n != 4 || !(flags & IORING_CQE_F_BUFFER) || !(flags & IORING_CQE_F_MORE) ||
      std::memcmp(bufferAt(r, uint16_t(flags >> IORING_CQE_BUFFER_SHIFT)), "ping", 4) != 0)
    return say("multishot recv with provided buffers", EPROTO);

  s = io_uring_get_sqe(&r.ring);
  io_uring_prep_send(s, afd, "pong", 4, MSG_NOSIGNAL);
  io_uring_sqe_set_data64(s, 3);
  n = await(&r.ring, 3, &flags);
  if (n != 4)
    return say("send", n < 0 ? n : EPROTO);
  char back[4];
  if (read(cfd, back, 4) != 4 || std::memcmp(back, "pong", 4) != 0)
    return say("send", EPROTO);
  std::printf("io_uring ok: kernel accepted %s; sq %u, cq %u; %u provided buffers of %u KiB\n",
              r.flags, r.sqEntries, r.cqEntries, kBufCount, kReadSize / 1024);
  return 0;
}

}  // namespace bench::uring
