// The short form of the scale run, for every CTest stage (plain, ASan+UBSan, TSan; both
// stacks): a few thousand load-process peers held through one AsyncServer, then churned with
// resets, half-closes, server-side closes, aborts and deletes, in-process clients driven from
// other threads, and a chaos thread; every byte checked at both ends, every end counted once,
// descriptors back to the baseline (and, under ASan, no leak at exit). The long forms are
// scripts/stress --long and --soak.
#include <gtest/gtest.h>

#include "scale_run.h"
#include "support/sanitized.h"
#include "test_support.h"

using namespace scale;

namespace {

RunConfig shortForm() {
  RunConfig c;
  c.conns = tst::kSanitized || tst::kLwip ? 1000 : 2000;
  c.parallel = tst::kLwip ? 32 : 256;  // lwIP's listener queues 128 accepts, then refuses
  c.churnSeconds = 4;
  c.idleSeconds = 1;
  // lwIP's one thread walks its pcb list per segment and its 128-message input queue drops
  // what it cannot take, SYNs included (resent after 1, 3, 7, 15, 31 s): gentler on lwIP.
  c.churnRate = tst::kLwip ? 150 : 300;
  c.crossThreads = tst::kLwip ? 1 : 3;
  c.stallSeconds = tst::kLwip ? 70 : 30;
  c.loadPath = ASYNCTCP_SCALE_LOAD;
  c.progress = true;
  c.bindIp = tst::kLwip ? IPAddress(0, 0, 0, 0) : tst::loopback4();
  c.probeIp = tst::loopback4();
  c.lossyLink = tst::kLwip;
  c.endRate = tst::kLwip ? 2000 : 0;
  c.dst = tst::stackIp4().toString().c_str();
  c.sources = tst::kLwip ? tst::peerIp4().toString().c_str() : "127.0.0.2,127.0.0.3,127.0.0.4";
  return c;
}

}  // namespace

TEST(Scale, ThousandsOfPeersChurnedFromEverySide_NoLossNoLeakEveryEndOnce) {
  const RunConfig c = shortForm();
  const size_t limit = tst::raiseFdLimit();  // each server connection is a descriptor here
  if (!tst::kLwip && limit < c.conns + c.parallel + 1024)
    GTEST_SKIP() << "RLIMIT_NOFILE hard limit too low: " << limit;
  const RunReport r = runScale(c);
  printReport(stdout, r);
  for (const std::string &f : r.failures)
    ADD_FAILURE() << f;
  // The run did what it claims: a run that did nothing must not pass.
  EXPECT_GE(r.peak.live, c.conns);
  EXPECT_GT(r.load.at("churn_ops"), 0u);
  EXPECT_GT(r.load.at("fin_clean"), 0u);
  EXPECT_GT(r.load.at("reset_by_us"), 0u);
  EXPECT_GT(r.load.at("server_ended_eof") + r.load.at("server_ended_rst"), 0u);
  EXPECT_GT(r.server[kPlanDelete], 0u);
  EXPECT_GT(r.server[kCleanLoad], 0u);
  EXPECT_GT(r.strikes, 0u);
  EXPECT_GT(r.probes[kProbeConnected], 0u);
}
