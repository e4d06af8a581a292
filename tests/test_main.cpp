// main() of the suite. On the posix build the tests use the host's loopback. On the lwIP
// build they need a Linux <-> lwIP link (tests/lwip/tap_link.h) so the suite's raw Linux
// peers can reach lwIP: it is made here, before any thread starts. Where it cannot be
// made (not root, no /dev/net/tun) every test is skipped with the reason, never failed
// and never passed silently (CTest reports them as skipped).
#include <gtest/gtest.h>

#include <cstdio>
#include <cstring>
#include <string>

#include "test_support.h"
#if defined(ASYNCTCP_BACKEND_LWIP)
#include "lwip/tap_link.h"
#endif

namespace {

bool onlyListing(int argc, char **argv) {
  for (int i = 1; i < argc; ++i)
    if (std::strcmp(argv[i], "--gtest_list_tests") == 0)
      return true;
  return false;
}

}  // namespace

int main(int argc, char **argv) {
  const bool listing = onlyListing(argc, argv);
  ::testing::InitGoogleTest(&argc, argv);
  std::string skip;
#if defined(ASYNCTCP_BACKEND_LWIP)
  if (!listing)
    skip = tst::lwip::makeTapLink();
#endif
  (void)listing;
  if (!skip.empty()) {
    // No test runs: each would fail for want of the link. CTest matches this line
    // (SKIP_REGULAR_EXPRESSION) and reports the test as skipped.
    std::printf("[  SKIPPED ] lwIP suite, every selected test: %s\n", skip.c_str());
    return 0;
  }
  return RUN_ALL_TESTS();
}
