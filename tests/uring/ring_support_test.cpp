// The probe that decides whether the io_uring engine runs, and the ring set-up it uses:
// on this kernel, and with io_uring refused the ways real systems refuse it (a seccomp
// filter, as Docker's default profile has; a memlock limit too small for the ring).
#include <gtest/gtest.h>

#include <errno.h>
#include <linux/audit.h>
#include <linux/capability.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <functional>

#include "backends/uring/ring_support.h"

using asynctcp::backend::uring::probeRing;
using asynctcp::backend::uring::RingSupport;
using asynctcp::backend::uring::setUpRing;

namespace {

// Runs fn in a child process (seccomp filters and dropped capabilities stay there);
// the child's exit status is fn's result: 0 for success.
int inChild(const std::function<int()> &fn) {
  pid_t pid = fork();
  if (pid == 0)
    _exit(fn());
  int status = 0;
  waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

// In the child: prints what failed (the test's output shows it) and exits 1.
#define CHILD_CHECK(cond)                                                           \
  do {                                                                              \
    if (!(cond)) {                                                                  \
      std::fprintf(stderr, "child: check failed: %s (line %d)\n", #cond, __LINE__); \
      return 1;                                                                     \
    }                                                                               \
  } while (0)

// A seccomp filter that answers io_uring_setup with `err`, as a container runtime does.
bool refuseIoUring(int err) {
  sock_filter filter[] = {
      BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(seccomp_data, arch)),
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 1, 0),
      BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
      BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(seccomp_data, nr)),
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_io_uring_setup, 0, 1),
      BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | (uint32_t(err) & SECCOMP_RET_DATA)),
      BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
  };
  sock_fprog prog{static_cast<unsigned short>(sizeof filter / sizeof filter[0]), filter};
  return prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == 0 &&
         prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog) == 0;
}

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
