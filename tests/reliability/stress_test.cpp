// Stress: thousands of connections to a few AsyncServers for a few seconds (or for
// ASYNCTCP_STRESS_SECONDS), every way a connection can live and end, all at once:
//  - AsyncClients driven from their callbacks, and AsyncClients driven from other threads
//    (write(), close(), abort(), delete from a non-service thread);
//  - raw socket peers that echo, half-close, reset (SO_LINGER 0), vanish with unread data,
//    or connect and leave;
//  - servers that echo, or close, abort or delete the client part-way (a header in the
//    stream tells them which), while a chaos thread end()s and begin()s the servers and
//    close()s or abort()s clients from outside.
// Checked: every byte that arrives is the byte that was sent, in order, and a connection that
// nobody ends early delivers everything (or reports an error); onDisconnect exactly once per
// connection that was not deleted; no callback after delete or after onDisconnect; no
// descriptor left open afterwards; leaks and races are the sanitizers' part.
// The machinery is in stress/: the stream, the servers, the sessions and peers, the run, the
// checks.
#include "reliability_support.h"
#include "stress/checks.h"
#include "stress/harness.h"

#include <gtest/gtest.h>

#include <memory>

using namespace tst;
using namespace rel;

TEST(Stress, ThousandsOfConnectionsEveryWayToEnd_NoLossNoLeakNoLateCallback) {
  if (raiseFdLimit() < 4096)
    GTEST_SKIP() << "RLIMIT_NOFILE too low";
  warmUp();
  const size_t fdBaseline = openFdCount();
  const auto duration = stress::stressDuration();
  const auto t0 = Clock::now();
  auto harness = std::make_unique<stress::Stress>(duration);
  harness->run();

  const stress::CleanTally clean = stress::checkSessions(harness->sessions);
  // The servers' side, once every client is gone.
  stress::checkServerConnections(harness->servers);
  harness->servers.clear();
  const double seconds = std::chrono::duration<double>(Clock::now() - t0).count();
  stress::checkRun(harness->stats, clean, duration, seconds);

  harness.reset();
  EXPECT_TRUE(waitFdsAtMost(fdBaseline, 5000ms))
      << openFdCount() << " descriptors open, " << fdBaseline << " before the run:\n"
      << describeOpenSockets();
}
