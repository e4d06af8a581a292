#include "support/uring_ring.h"

#include <errno.h>
#include <sys/mman.h>

#include <cstring>

namespace bench::uring {

namespace {

struct Setup {
  unsigned flags;
  const char *names;
};

// Fastest first. DEFER_TASKRUN (6.1) runs completions only inside our own io_uring_enter,
// so no interrupt-time task work; SINGLE_ISSUER (6.0) drops the submission locking; SUBMIT_ALL
// (5.18) keeps a batch going past one bad SQE. An older kernel refuses a flag with EINVAL.
constexpr Setup kSetups[] = {
    {IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN | IORING_SETUP_SUBMIT_ALL,
     "SINGLE_ISSUER|DEFER_TASKRUN|SUBMIT_ALL"},
    {IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_COOP_TASKRUN | IORING_SETUP_SUBMIT_ALL,
     "SINGLE_ISSUER|COOP_TASKRUN|SUBMIT_ALL"},
    {IORING_SETUP_COOP_TASKRUN | IORING_SETUP_SUBMIT_ALL, "COOP_TASKRUN|SUBMIT_ALL"},
    {0, "(none)"},
};

// Rings are charged to RLIMIT_MEMLOCK again since ~6.14: on ENOMEM, try a smaller one.
constexpr unsigned kSqSizes[] = {4096, 1024, 256};

int fail(std::string *why, const char *step, int err) {
  *why = std::string(step) + ": " + std::strerror(-err);
  return err;
}

int initRing(Ring *r, std::string *why) {
  int err = -EINVAL;
  for (const Setup &s : kSetups) {
    for (unsigned sq : kSqSizes) {
      io_uring_params p{};
      // The CQ holds a pass's completions; overflow is survivable (NODROP) but ends
      // multishot requests, so leave room.
      p.flags = s.flags | IORING_SETUP_CQSIZE;
      p.cq_entries = sq * 4;
      err = io_uring_queue_init_params(sq, &r->ring, &p);
      if (err == 0) {
        r->flags = s.names;
        r->sqEntries = p.sq_entries;
        r->cqEntries = p.cq_entries;
        return 0;
      }
      if (err != -ENOMEM)
        break;
    }
    // ENOSYS (no io_uring, or seccomp) and EPERM (io_uring_disabled, seccomp, LSM) will not
    // change with fewer flags.
    if (err == -ENOSYS || err == -EPERM)
      break;
  }
  return fail(why, "io_uring_setup", err);
}

// What liburing 2.4's io_uring_setup_buf_ring does: page-aligned ring memory, registered
// with IORING_REGISTER_PBUF_RING (5.19). No flags are needed here; 2.3's wrapper would drop
// them anyway (they go in io_uring_buf_reg.pad, named flags in newer headers).
int initBufRing(Ring *r, std::string *why) {
  size_t ringBytes = kBufCount * sizeof(io_uring_buf);
  void *mem = mmap(nullptr, ringBytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (mem == MAP_FAILED)
    return fail(why, "mmap buffer ring", -errno);
  io_uring_buf_reg reg{};
  reg.ring_addr = reinterpret_cast<uintptr_t>(mem);
  reg.ring_entries = kBufCount;
  reg.bgid = kBufGroup;
  int err = io_uring_register_buf_ring(&r->ring, &reg, 0);
  if (err != 0) {
    munmap(mem, ringBytes);
    return fail(why, "IORING_REGISTER_PBUF_RING", err);
  }
  r->bufRing = static_cast<io_uring_buf_ring *>(mem);
  io_uring_buf_ring_init(r->bufRing);

  void *bufs = mmap(nullptr, size_t(kBufCount) * kReadSize, PROT_READ | PROT_WRITE,
                    MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (bufs == MAP_FAILED)
    return fail(why, "mmap buffers", -errno);
  r->bufs = static_cast<char *>(bufs);
  // The kernel takes buffers in ring order, so small reads would fault in a fresh page per
  // buffer for the first kBufCount reads: the pool's cost, not a connection's. Pay it here.
  for (unsigned i = 0; i < kBufCount; ++i)
    static_cast<volatile char *>(bufs)[size_t(i) * kReadSize] = 0;
  int mask = io_uring_buf_ring_mask(kBufCount);
  for (unsigned i = 0; i < kBufCount; ++i)
    io_uring_buf_ring_add(r->bufRing, bufferAt(*r, uint16_t(i)), kReadSize, uint16_t(i), mask,
                          int(i));
  io_uring_buf_ring_advance(r->bufRing, int(kBufCount));  // a store-release of the tail
  return 0;
}

}  // namespace

int openRing(Ring *r, std::string *why) {
  if (int err = initRing(r, why))
    return err;
  if (int err = initBufRing(r, why)) {
    io_uring_queue_exit(&r->ring);
    return err;
  }
  // io_uring_enter by registered index skips an fdget per call (5.18); optional.
  io_uring_register_ring_fd(&r->ring);
  return 0;
}

}  // namespace bench::uring
