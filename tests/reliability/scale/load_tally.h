// What the load process counts: every connection it opens ends exactly once, in one of the
// kinds below, and the result line (printed by print()) carries them all.
#pragma once

#include <cstdint>
#include <cstdio>
#include <map>

namespace scale::load {

struct Tally {
  uint64_t opened = 0, established = 0;
  uint64_t bytesSent = 0, bytesEchoed = 0;  // every echoed byte was checked
  uint64_t rounds = 0, churnOps = 0;
  // Ends the load expects.
  uint64_t finClean = 0;        // we sent FIN after the full echo, the server answered FIN
  uint64_t closeNoWait = 0;     // we closed after the full echo without waiting
  uint64_t resetByUs = 0;       // we reset (SO_LINGER 0), idle or part-way through a round
  uint64_t serverEndedEof = 0;  // Close/Abort/Delete plan: the server ended it (FIN) ...
  uint64_t serverEndedRst = 0;  // ... or (RST), after the threshold had been sent
  uint64_t chaosEnded = 0;      // Chaos plan: ended by the server's other thread
  uint64_t cleanEchoConns = 0;  // Echo plan, finClean or closeNoWait: the server saw a clean end
  uint64_t cleanEchoBytes = 0;  //   ... and these bytes each way
  // Ends that are failures.
  uint64_t unexpectedEof = 0;  // Echo plan: the server closed before we ended it
  uint64_t unexpectedRst = 0;  // Echo plan: reset before we ended it
  uint64_t prematureEnd = 0;   // Close/Abort/Delete plan ended before the threshold was sent
  uint64_t corrupt = 0;        // an echoed byte differs from what was sent, or too many came
  uint64_t stalled = 0;        // no progress for stallSeconds
  uint64_t connectFailed = 0;  // by errno below
  uint64_t lostBytes = 0;      // sent but never echoed, on failed connections
  std::map<int, uint64_t> connectErrno;

  uint64_t failures() const {
    return unexpectedEof + unexpectedRst + prematureEnd + corrupt + stalled + connectFailed;
  }
  uint64_t ends() const {
    return finClean + closeNoWait + resetByUs + serverEndedEof + serverEndedRst + chaosEnded +
           unexpectedEof + unexpectedRst + prematureEnd + corrupt + stalled + connectFailed;
  }

  void print(std::FILE *f, double seconds) const {
    std::fprintf(
        f,
        "result seconds=%.1f opened=%llu established=%llu bytes_sent=%llu bytes_echoed=%llu "
        "rounds=%llu churn_ops=%llu fin_clean=%llu close_no_wait=%llu reset_by_us=%llu "
        "server_ended_eof=%llu server_ended_rst=%llu chaos_ended=%llu clean_echo_conns=%llu "
        "clean_echo_bytes=%llu unexpected_eof=%llu unexpected_rst=%llu premature_end=%llu "
        "corrupt=%llu stalled=%llu connect_failed=%llu lost_bytes=%llu ends=%llu failures=%llu",
        seconds, u(opened), u(established), u(bytesSent), u(bytesEchoed), u(rounds), u(churnOps),
        u(finClean), u(closeNoWait), u(resetByUs), u(serverEndedEof), u(serverEndedRst),
        u(chaosEnded), u(cleanEchoConns), u(cleanEchoBytes), u(unexpectedEof), u(unexpectedRst),
        u(prematureEnd), u(corrupt), u(stalled), u(connectFailed), u(lostBytes), u(ends()),
        u(failures()));
    for (const auto &e : connectErrno)
      std::fprintf(f, " connect_errno_%d=%llu", e.first, u(e.second));
    std::fprintf(f, "\n");
    std::fflush(f);
  }

private:
  static unsigned long long u(uint64_t v) { return static_cast<unsigned long long>(v); }
};

}  // namespace scale::load
