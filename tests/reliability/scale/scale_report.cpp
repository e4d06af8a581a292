// The human-readable report of a scale run (scale_run.h).
#include <cinttypes>

#include "scale_run.h"

namespace scale {

namespace {

double mib(double bytes) {
  return bytes / (1024.0 * 1024.0);
}

// (b - a) per connection, in bytes.
double perConn(double a, double b, double conns, double unit) {
  return conns > 0 ? (b - a) * unit / conns : 0;
}

void printErrors(std::FILE *f, const uint64_t *errors) {
  bool any = false;
  for (int k = 0; k < kErrorKinds; ++k) {
    if (errors[k]) {
      std::fprintf(f, "%s%s %" PRIu64, any ? ", " : "", errorName(k), errors[k]);
      any = true;
    }
  }
  std::fprintf(f, "%s\n", any ? "" : "none");
}

void printMemory(std::FILE *f, const RunReport &r) {
  const Sample &b = r.base, &p = r.peak;
  const double n = double(p.live);
  std::fprintf(f,
               "  memory at the peak (%zu connections held): RSS %.1f -> %.1f MiB = %.0f bytes "
               "per connection; heap %.1f -> %.1f MiB = %.0f bytes per connection; fds %zu -> "
               "%zu\n",
               p.live, b.p.rssKiB / 1024.0, p.p.rssKiB / 1024.0,
               perConn(double(b.p.rssKiB), double(p.p.rssKiB), n, 1024), mib(double(b.p.heapBytes)),
               mib(double(p.p.heapBytes)),
               perConn(double(b.p.heapBytes), double(p.p.heapBytes), n, 1), b.p.fds, p.p.fds);
  std::fprintf(f,
               "  kernel, machine-wide (both ends of every connection are on this machine): slab "
               "+%.1f MiB = %.0f bytes per socket; TCP buffers %zu -> %zu pages; sockets in use "
               "%zu -> %zu\n",
               (double(p.p.slabKiB) - double(b.p.slabKiB)) / 1024.0,
               perConn(double(b.p.slabKiB), double(p.p.slabKiB), 2 * n, 1024), b.p.tcpMemPages,
               p.p.tcpMemPages, b.p.tcpInUse, p.p.tcpInUse);
  std::fprintf(f,
               "  CPU of this process with every connection idle at the peak: %.1f%% of one core\n",
               r.idleCpuPercent);
  const Sample &a = r.afterChurn;
  std::fprintf(f,
               "  after the churn (%zu connections held): RSS %.1f MiB (%+.1f vs the peak), heap "
               "%.1f MiB (%+.1f)\n",
               a.live, a.p.rssKiB / 1024.0, (double(a.p.rssKiB) - double(p.p.rssKiB)) / 1024.0,
               mib(double(a.p.heapBytes)), mib(double(a.p.heapBytes) - double(p.p.heapBytes)));
  const Sample &e = r.endTrimmed;
  std::fprintf(f,
               "  after the teardown: fds %zu (baseline %zu); heap %.2f MiB (baseline %.2f, "
               "%+.0f KiB); RSS %.1f MiB after malloc_trim (%.1f before it, baseline %.1f)\n",
               e.p.fds, b.p.fds, mib(double(e.p.heapBytes)), mib(double(b.p.heapBytes)),
               (double(e.p.heapBytes) - double(b.p.heapBytes)) / 1024.0, e.p.rssKiB / 1024.0,
               r.end.p.rssKiB / 1024.0, b.p.rssKiB / 1024.0);
}

}  // namespace

void printReport(std::FILE *f, const RunReport &r) {
  const RunConfig &c = r.config;
  auto L = r.load;
  const ServerCounts &s = r.server;
  std::fprintf(f,
               "scale run: %zu connections through one AsyncServer (%s), %.0f s: ramp %.1f s, "
               "churn %.1f s at %.0f load ops/s with %d in-process client threads and %.0f "
               "chaos strikes/s, quiet %.1f s, teardown %.1f s\n",
               c.conns, c.dst.c_str(), r.totalSeconds, r.rampSeconds, r.churnSeconds, c.churnRate,
               c.crossThreads, c.strikesPerSecond, r.quietSeconds, r.teardownSeconds);
  if (!c.note.empty())
    std::fprintf(f, "  NOTE: %s\n", c.note.c_str());
  std::fprintf(f,
               "  connections: %zu load processes opened %" PRIu64 " (established %" PRIu64
               "), server accepted %" PRIu64 " (%" PRIu64 " load streams, %" PRIu64
               " in-process, %" PRIu64 " ended before a header) and ended %" PRIu64 "\n",
               r.loadProcesses, L["opened"], L["established"], s[kAccepted], s[kHeadersLoad],
               s[kHeadersInProcess], s[kNoHeader], s[kEnded]);
  std::fprintf(f,
               "  bytes: load sent %.1f MiB, got %.1f MiB back (each byte checked); server "
               "received %.1f MiB (each byte checked), echoed %.1f MiB; clean echo ends %" PRIu64
               " connections, %.1f MiB each way, the same at both ends\n",
               mib(double(L["bytes_sent"])), mib(double(L["bytes_echoed"])),
               mib(double(s[kBytesIn])), mib(double(s[kBytesOut])), L["clean_echo_conns"],
               mib(double(L["clean_echo_bytes"])));
  printMemory(f, r);
  std::fprintf(f,
               "  load ends: FIN after the echo %" PRIu64 ", close without waiting %" PRIu64
               ", reset by the load %" PRIu64 ", ended by the server's plan %" PRIu64
               " (FIN) + %" PRIu64 " (RST), ended by chaos %" PRIu64 "; failures %" PRIu64
               " (unexpected FIN %" PRIu64 ", unexpected RST %" PRIu64 ", corrupt %" PRIu64
               ", stalled %" PRIu64 ", connect failed %" PRIu64 ", lost bytes %" PRIu64 ")\n",
               L["fin_clean"], L["close_no_wait"], L["reset_by_us"], L["server_ended_eof"],
               L["server_ended_rst"], L["chaos_ended"], L["failures"], L["unexpected_eof"],
               L["unexpected_rst"], L["corrupt"], L["stalled"], L["connect_failed"],
               L["lost_bytes"]);
  for (const auto &e : r.load)
    if (e.first.rfind("connect_errno_", 0) == 0)
      std::fprintf(f, "  load connects failed with errno %s: %" PRIu64 "\n", e.first.c_str() + 14,
                   e.second);
  std::fprintf(f,
               "  server ends: by the peer %" PRIu64 ", after onError %" PRIu64
               ", after its own close()/abort() %" PRIu64 ", deleted in onData %" PRIu64
               ", deleted by another thread %" PRIu64 "; onError: ",
               s[kEndPeer], s[kEndError], s[kEndByPlan], s[kDeletedInCallback], s[kDeletedByChaos]);
  printErrors(f, s.errors);
  std::fprintf(f,
               "  server acts: plan close %" PRIu64 ", abort %" PRIu64 ", delete %" PRIu64
               "; from the chaos thread (%" PRIu64 " strikes): close %" PRIu64 ", abort %" PRIu64
               ", delete %" PRIu64 "\n",
               s[kPlanClose], s[kPlanAbort], s[kPlanDelete], r.strikes, s[kChaosClose],
               s[kChaosAbort], s[kChaosDelete]);
  if (c.lossyLink)
    std::fprintf(f,
                 "  lossy link (lwIP's TAP): %zu server connections outlived their peer after the "
                 "churn; at teardown a keepalive sweep of %zu ended %" PRIu64
                 " (their RST was dropped: lwIP's input queue was full)\n",
                 r.halfOpenAtQuiet, r.swept, s[kSwept]);
  const ProbeCounts &p = r.probes;
  std::fprintf(f, "  in-process clients:");
  for (int k = 0; k < kProbeCounterCount; ++k)
    std::fprintf(f, " %s %" PRIu64 "%s", probeCounterName(ProbeCounter(k)), p.c[k],
                 k + 1 < kProbeCounterCount ? "," : "");
  std::fprintf(f, "; onError: ");
  printErrors(f, p.errors);
  if (r.failures.empty()) {
    std::fprintf(f, "  checks: all passed\n");
    return;
  }
  std::fprintf(f, "  checks: %zu FAILED\n", r.failures.size());
  for (const auto &m : r.failures)
    std::fprintf(f, "    - %s\n", m.c_str());
}

}  // namespace scale
