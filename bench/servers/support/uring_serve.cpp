#include "support/uring_serve.h"

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sched.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "support/loopback_listener.h"
#include "support/server_process.h"
#include "support/uring_ring.h"

namespace bench::uring {

namespace {

// user_data: a Conn's address with the operation in bit 0, or one of these (below any
// address) for requests that belong to no connection.
constexpr uint64_t kAccept = 1;
constexpr uint64_t kAcceptRetry = 2;
constexpr uint64_t kIgnore = 3;  // cancels and closes: only their failures post a CQE
constexpr uint64_t kLowest = 4096;
constexpr uint64_t kRecvOp = 0, kSendOp = 1;

struct Loop {
  Ring r;
  Handlers h{};
  int listenFd = -1;
  int bufMask = 0;
  unsigned recycled = 0;  // buffers added to the ring since the tail was last published
  unsigned inRing = 0;    // buffers the kernel may pick, as far as the completions tell
  std::vector<Conn *> starved;
};

Loop g;

uint64_t tag(Conn *c, uint64_t op) {
  return reinterpret_cast<uintptr_t>(c) | op;
}

io_uring_sqe *nextSqe() {
  io_uring_sqe *s = io_uring_get_sqe(&g.r.ring);
  while (!s) {  // the pass queued more than the SQ holds: submit what is there
    io_uring_submit(&g.r.ring);
    s = io_uring_get_sqe(&g.r.ring);
  }
  return s;
}

void armAccept() {
  io_uring_sqe *s = nextSqe();
  io_uring_prep_multishot_accept(s, g.listenFd, nullptr, nullptr, SOCK_CLOEXEC);
  io_uring_sqe_set_data64(s, kAccept);
}

void armRecv(Conn *c) {
  io_uring_sqe *s = nextSqe();
  io_uring_prep_recv_multishot(s, c->fd, nullptr, 0, 0);  // each CQE: up to one buffer
  s->flags |= IOSQE_BUFFER_SELECT;
  s->buf_group = kBufGroup;
  io_uring_sqe_set_data64(s, tag(c, kRecvOp));
  c->recvArmed = true;
}

// A request whose success needs no answer.
void quiet(io_uring_sqe *s) {
  s->flags |= IOSQE_CQE_SKIP_SUCCESS;
  io_uring_sqe_set_data64(s, kIgnore);
}

// Closes the fd and frees the Conn once nothing in flight refers to either.
void finishIfIdle(Conn *c) {
  if (!c->closing || c->recvArmed || c->sendBusy || c->delivering)
    return;
  if (c->starved)
    g.starved.erase(std::find(g.starved.begin(), g.starved.end(), c));
  io_uring_sqe *s = nextSqe();
  io_uring_prep_close(s, c->fd);
  quiet(s);
  g.h.destroy(c);
}

void onAccept(int res, unsigned flags) {
  if (res >= 0) {
    int one = 1;
    setsockopt(res, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    Conn *c = g.h.create();
    c->fd = res;
    armRecv(c);
  }
  if (flags & IORING_CQE_F_MORE)
    return;
  if (res >= 0) {
    armAccept();
    return;
  }
  // Ended by an error (EMFILE and friends): try again shortly rather than spin on it.
  static __kernel_timespec retry{0, 10 * 1000 * 1000};
  io_uring_sqe *s = nextSqe();
  io_uring_prep_timeout(s, &retry, 0, 0);
  io_uring_sqe_set_data64(s, kAcceptRetry);
}

void onRecvCqe(Conn *c, int res, unsigned flags) {
  if (!(flags & IORING_CQE_F_MORE))
    c->recvArmed = c->cancelSent = false;
  if (flags & IORING_CQE_F_BUFFER) {
    --g.inRing;
    uint16_t bid = uint16_t(flags >> IORING_CQE_BUFFER_SHIFT);
    if (res > 0 && !c->closing) {
      c->delivering = true;  // the server may close it from onRecv: keep it until we are done
      g.h.onRecv(c, bid, bufferAt(g.r, bid), size_t(res));
      c->delivering = false;
    } else {
      recycle(bid);
    }
  }
  if (c->closing)
    return finishIfIdle(c);
  // EOF, or an error; ECANCELED is our pause, ENOBUFS a dry buffer ring.
  if (res == 0 || (res < 0 && res != -ENOBUFS && res != -ECANCELED))
    return closeConn(c);
  if (c->recvArmed || c->paused)
    return;
  if (res == -ENOBUFS) {  // the data waits in the socket; nothing is lost
    c->starved = true;
    g.starved.push_back(c);
    return;
  }
  armRecv(c);  // multishot ended without an error (CQ overflow, say): re-arm
}

void dispatch(const io_uring_cqe *cqe) {
  uint64_t ud = io_uring_cqe_get_data64(cqe);
  if (ud >= kLowest) {
    Conn *c = reinterpret_cast<Conn *>(ud & ~uint64_t(1));
    if ((ud & 1) == kRecvOp)
      return onRecvCqe(c, cqe->res, cqe->flags);
    c->sendBusy = false;
    if (c->closing)
      return finishIfIdle(c);
    return g.h.onSent(c, cqe->res);
  }
  if (ud == kAccept)
    onAccept(cqe->res, cqe->flags);
  else if (ud == kAcceptRetry)
    armAccept();
  // kIgnore: a cancel that found nothing, or a failed close: nothing to do.
}

// Before each pass: publish the recycled buffers, and re-arm the receives that found the
// ring dry once there is something in it again.
void prepare() {
  if (g.recycled) {
    io_uring_buf_ring_advance(g.r.bufRing, int(g.recycled));
    g.inRing += g.recycled;
    g.recycled = 0;
  }
  if (g.inRing == 0 || g.starved.empty())
    return;
  for (Conn *c : g.starved) {
    c->starved = false;
    if (!c->paused)
      armRecv(c);
  }
  g.starved.clear();
}

}  // namespace

void send(Conn *c, const void *data, size_t len) {
  if (c->closing)
    return;
  io_uring_sqe *s = nextSqe();
  io_uring_prep_send(s, c->fd, data, len, MSG_NOSIGNAL);
  io_uring_sqe_set_data64(s, tag(c, kSendOp));
  c->sendBusy = true;
}

void recycle(uint16_t bid) {
  io_uring_buf_ring_add(g.r.bufRing, bufferAt(g.r, bid), kReadSize, bid, g.bufMask,
                        int(g.recycled++));
}

void pauseRecv(Conn *c) {
  c->paused = true;
  if (!c->recvArmed || c->cancelSent)
    return;
  io_uring_sqe *s = nextSqe();
  io_uring_prep_cancel64(s, tag(c, kRecvOp), 0);
  quiet(s);
  c->cancelSent = true;
}

void resumeRecv(Conn *c) {
  c->paused = false;
  // A receive still armed (its cancel not yet landed) re-arms from its final CQE.
  if (!c->recvArmed && !c->starved && !c->closing)
    armRecv(c);
}

void closeConn(Conn *c) {
  if (c->closing)
    return;
  c->closing = true;
  g.h.onClose(c);
  if (c->recvArmed || c->sendBusy) {  // their final CQEs finish the close
    io_uring_sqe *s = nextSqe();
    io_uring_prep_cancel_fd(s, c->fd, IORING_ASYNC_CANCEL_ALL);
    quiet(s);
  }
  finishIfIdle(c);
}

int serve(int argc, char **argv, const Handlers &handlers) {
  if (argc == 2 && std::strcmp(argv[1], "--probe") == 0)
    return probe();
  ServerArgs args = parseServerArgs(argc, argv);
  startServerProcess(args);
  std::string why;
  if (openRing(&g.r, &why) != 0) {
    std::fprintf(stderr, "io_uring unavailable: %s\n", why.c_str());
    return 1;
  }
  g.h = handlers;
  g.bufMask = io_uring_buf_ring_mask(kBufCount);
  g.inRing = kBufCount;
  uint16_t port = 0;
  g.listenFd = listenLoopback(args.port, &port);
  if (g.listenFd < 0)
    return 1;
  // Only the ring accepts, and it waits by polling: a blocking fd keeps io_uring from
  // handing a would-block back as an error.
  fcntl(g.listenFd, F_SETFL, fcntl(g.listenFd, F_GETFL) & ~O_NONBLOCK);
  armAccept();
  announcePort(port);

  for (;;) {
    prepare();
    // Bounded only for valgrind (scripts/bench-profile): it does not know that io_uring_enter
    // blocks and keeps its big lock through it, so the signal thread (SIGTERM) runs only
    // when this thread yields. The timeout rides in the same io_uring_enter (EXT_ARG, 5.11)
    // and under load never expires; an idle loop yields 5 times a second.
    __kernel_timespec bound{0, 200 * 1000 * 1000};
    io_uring_cqe *first = nullptr;
    int ret = io_uring_submit_and_wait_timeout(&g.r.ring, &first, 1, &bound, nullptr);
    if (ret == -ETIME)
      sched_yield();
    else if (ret < 0 && ret != -EINTR && ret != -EBUSY) {
      std::fprintf(stderr, "io_uring_submit_and_wait: %s\n", std::strerror(-ret));
      return 1;
    }
    unsigned head, seen = 0;
    io_uring_cqe *cqe;
    io_uring_for_each_cqe(&g.r.ring, head, cqe) {
      dispatch(cqe);
      ++seen;
    }
    io_uring_cq_advance(&g.r.ring, seen);
  }
}

}  // namespace bench::uring
