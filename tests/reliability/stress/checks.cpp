#include "stress/checks.h"

#include "reliability_support.h"

#include <gtest/gtest.h>

#include <cinttypes>
#include <cstdio>

using namespace std::chrono_literals;

namespace stress {

CleanTally checkSessions(const std::vector<std::shared_ptr<Session>> &sessions) {
  CleanTally clean;
  for (auto &s : sessions) {
    if (!s->connectOk)
      continue;
    EXPECT_EQ(s->late.load(), 0) << s->describe();
    EXPECT_FALSE(s->corrupt.load()) << s->describe();
    EXPECT_LE(s->received.load(), s->accepted.load())
        << "echoed more than was accepted: " << s->describe();
    EXPECT_LE(s->disconnects.load(), 1) << s->describe();
    // A client nobody deleted before its end saw onDisconnect exactly once.
    const bool deletedEarly = s->disconnects.load() == 0 && s->deleted.load();
    if (!deletedEarly) {
      EXPECT_EQ(s->disconnects.load(), 1) << s->describe();
    }
    if (!s->cleanPlan() || s->chaosTouched)
      continue;
    clean.sessions++;
    // Served (some echo came back): then everything must come back, with no error.
    const std::vector<int> errors = s->errorList();
    if (s->received.load() == s->spec.size() && errors.empty()) {
      clean.completed++;
    } else if (s->received.load() == 0 && !errors.empty()) {
      clean.unserved++;  // refused, or reset in the accept queue of a server that end()ed
    } else {
      ADD_FAILURE() << "a connection nobody ended early lost data: " << s->describe()
                    << (errors.empty() ? "" : ", first error " + std::to_string(errors[0]));
    }
  }
  return clean;
}

void checkServerConnections(const std::vector<std::unique_ptr<StressServer>> &servers) {
  for (auto &srv : servers)
    srv->end();
  std::vector<std::shared_ptr<ServerConn>> conns;
  for (auto &srv : servers) {
    auto c = srv->conns();
    conns.insert(conns.end(), c.begin(), c.end());
  }
  EXPECT_TRUE(tst::waitFor(
      [&] {
        for (auto &c : conns)
          if (!c->gone)
            return false;
        return true;
      },
      12000ms))  // a closed peer may linger up to 10 s before its reset
      << "accepted connections still open after every peer went away";
  for (auto &c : conns) {
    if (!c->gone)
      ADD_FAILURE() << "no onDisconnect: " << c->describe() << "\n" << rel::describeOpenSockets();
    EXPECT_EQ(c->late.load(), 0);
    EXPECT_FALSE(c->corrupt.load());
    EXPECT_EQ(c->disconnects.load(), c->deletedByUs ? 0 : 1);
  }
}

void checkRun(Stats &st, const CleanTally &clean, std::chrono::milliseconds planned,
              double seconds) {
  const uint64_t connections = st.callbackSessions + st.remoteSessions + st.rawSessions;
  std::printf(
      "[stress] %.1f s run (%.1f s total): %" PRIu64 " connections (%" PRIu64
      " callback-driven, %" PRIu64 " driven from other threads, %" PRIu64 " raw peers), %" PRIu64
      " established; %.1f MiB "
      "accepted for sending, %.1f MiB echoed back, %.1f MiB read by servers; %" PRIu64
      " server connections, %" PRIu64 " server end()/begin() cycles, %" PRIu64
      " close()/abort() from the chaos thread; clean sessions: %" PRIu64 "/%" PRIu64
      " raw and %" PRIu64 "/%" PRIu64 " async completed (%" PRIu64 " unserved); errors: %" PRIu64
      " client, %" PRIu64 " server\n",
      double(planned.count()) / 1000.0, seconds, connections, st.callbackSessions.load(),
      st.remoteSessions.load(), st.rawSessions.load(), st.established.load(),
      double(st.bytesAccepted) / tst::kMiB, double(st.bytesEchoed) / tst::kMiB,
      double(st.serverBytesIn) / tst::kMiB, st.serverAccepted.load(), st.serverRestarts.load(),
      st.chaosCalls.load(), st.cleanCompleted.load(), st.cleanSessions.load(), clean.completed,
      clean.sessions, clean.unserved, st.clientErrors.load(), st.serverErrors.load());
  {
    std::lock_guard<std::mutex> lock(st.m);
    for (const auto &f : st.failures)
      ADD_FAILURE() << f;
  }
  EXPECT_EQ(st.failureCount.load(), 0);
  const uint64_t minConnections = uint64_t(planned.count()) * (rel::kSanitized ? 50 : 250) / 1000;
  EXPECT_GE(connections, minConnections);
  EXPECT_GE(clean.completed * 10, clean.sessions * 8) << "most clean AsyncClient sessions failed";
  EXPECT_GE(st.cleanCompleted * 10, st.cleanSessions * 8) << "most clean raw sessions failed";
}

}  // namespace stress
