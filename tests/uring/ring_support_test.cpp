// The probe that decides whether the io_uring engine runs, and the ring set-up it uses:
// on this kernel, and with io_uring refused the ways real systems refuse it (a seccomp
// filter, as Docker's default profile has; a memlock limit too small for the ring).
#include <gtest/gtest.h>

#include <errno.h>
#include <linux/capability.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>

#include "backends/uring/ring_support.h"
#include "uring/child_checks.h"

using asynctcp::backend::uring::probeRing;
using asynctcp::backend::uring::RingSupport;
using asynctcp::backend::uring::setUpRing;

namespace {

// Root is exempt from the memlock charge through CAP_IPC_LOCK: without it, the limit counts.
bool dropIpcLock() {
  __user_cap_header_struct hdr{_LINUX_CAPABILITY_VERSION_3, 0};
  __user_cap_data_struct data[2];
  if (syscall(SYS_capget, &hdr, data) != 0)
    return false;
  data[CAP_IPC_LOCK / 32].effective &= ~(1u << (CAP_IPC_LOCK % 32));
  return syscall(SYS_capset, &hdr, data) == 0;
}

}  // namespace

TEST(RingSupport, ThisKernelRunsTheEngine) {
  RingSupport s = probeRing();
  if (!s.usable)
    GTEST_SKIP() << "io_uring cannot run here, so the engine would not: " << s.why << " ("
                 << std::strerror(s.err) << ")";
  EXPECT_EQ(s.err, 0);
  EXPECT_TRUE(s.setupFlags & IORING_SETUP_SINGLE_ISSUER);
  EXPECT_TRUE(s.setupFlags & IORING_SETUP_DEFER_TASKRUN);
}

TEST(RingSupport, ASeccompFilterThatRefusesIoUringIsReportedWithItsReason) {
  if (!probeRing().usable)
    GTEST_SKIP() << "io_uring is refused here already";
  for (int err : {EPERM, ENOSYS}) {
    int rc = inChild([err] {
      CHILD_CHECK(refuseIoUring(err));
      RingSupport s = probeRing();
      CHILD_CHECK(!s.usable);
      CHILD_CHECK(s.err == err);
      CHILD_CHECK(s.why && *s.why);
      return 0;
    });
    EXPECT_EQ(rc, 0) << "with io_uring_setup refused with errno " << err;
  }
}

TEST(RingSupport, ARingTheMemlockLimitRefusesIsMadeSmaller) {
  if (!probeRing().usable)
    GTEST_SKIP() << "io_uring is refused here";
  int rc = inChild([] {
    CHILD_CHECK(dropIpcLock());
    rlimit lim{64 * 1024, 64 * 1024};
    CHILD_CHECK(setrlimit(RLIMIT_MEMLOCK, &lim) == 0);
    io_uring big;
    io_uring_params p;
    std::memset(&p, 0, sizeof p);
    // Kernels that charge rings to memlock (~6.14 on) refuse this one; older ones take it.
    const bool charged = io_uring_queue_init_params(4096, &big, &p) == -ENOMEM;
    if (!charged)
      io_uring_queue_exit(&big);
    io_uring ring;
    unsigned flags = 0;
    CHILD_CHECK(setUpRing(&ring, 4096, 2, &flags) == 0);
    CHILD_CHECK(!charged || ring.sq.ring_entries < 4096);
    CHILD_CHECK(ring.sq.ring_entries >= 64);
    io_uring_queue_exit(&ring);
    return 0;
  });
  EXPECT_EQ(rc, 0);
}
