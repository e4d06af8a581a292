// API-sequence fuzzer: each input is a program of public calls and peer actions
// (program.h) run against real connections, on whichever backend this binary was built
// with (fuzz_api_posix, fuzz_api_lwip). The callbacks check the contract as they run
// (callbacks.cpp); the end of each input checks delivery, ends and leaks (finish.cpp).
#include <cstddef>
#include <cstdint>
#include <cstdio>

#include "api/harness.h"
#include "api/peer.h"
#include "net/check.h"
#include "net/prof.h"
#include "net/private_netns.h"

namespace fuzz::api {

Harness &harness() {
  static Harness h;
  return h;
}

namespace {
// For a failed check: every record of the input, read without the lock.
void report() {
  Harness &h = harness();
  for (const auto &rp : h.records) {
    const Record &r = *rp;
    std::fprintf(stderr,
                 "  slot %d %s: started %d connected %d errored %d(%d) ended %d deleted %d "
                 "byUs %d refused %d packets %d noOnAck %d rx %llu held %llu ackRet %llu "
                 "accepted %llu acked %llu more %d peerFin %d peerRst %d wild %d (ackable %llu)\n",
                 r.slot, r.outgoing ? "out" : "in", r.started, r.connected, r.errored, r.err,
                 r.ended, r.deleted, r.endedByUs, r.refused, r.usePackets, r.noOnAck,
                 (unsigned long long)r.rxOffset, (unsigned long long)r.held,
                 (unsigned long long)r.ackReturned, (unsigned long long)r.accepted,
                 (unsigned long long)r.acked, r.moreTail, r.peerFin, r.peerReset, r.peerWild,
                 (unsigned long long)r.peerAckable);
  }
  for (int i = 0; i < kSlots; ++i) {
    const peer::State p = peer::stateUnlocked(i);  // NOLINT
    std::fprintf(stderr,
                 "  peer %d: present %d reading %d fin %d rst %d eof %d gotRst %d tx %llu rx "
                 "%llu\n",
                 i, p.present, p.reading, p.finSent, p.rstSent, p.gotEof, p.gotRst,
                 (unsigned long long)p.tx, (unsigned long long)p.rx);
  }
}

void start() {
  setFailureReport(report);
#if !defined(ASYNCTCP_BACKEND_LWIP)
  if (!enterPrivateNetns())
    std::fprintf(stderr,
                 "fuzz_api: no network namespace of its own (not root?): using the "
                 "host's loopback\n");
#endif
  Harness &h = harness();
  h.fuzzerThread = std::this_thread::get_id();
  serverCreate();  // starts the library and its stack: the peers need the stack
  peer::init();
  serverListen();
  // A warm-up program first (every kind of connection opened, used and closed), so that
  // what the stacks allocate once, lazily, is in the baselines (open sockets, lwIP's
  // pools) that the end of this first run takes.
  // OpenOut 0, OpenIn 1, Settle, PeerSend 0 and 1 (2048), Act 0 Write 1000.
  static const uint8_t warmUp[] = {0x00, 0x00, 0x05, 0x00, 0x28, 0x14, 0x08, 0x00,
                                   0x15, 0x08, 0x00, 0x08, 0x00, 0x01, 0x03, 0xe8};
  runProgram(warmUp, sizeof warmUp);
  finishInput();
}
}  // namespace

}  // namespace fuzz::api

extern "C" int LLVMFuzzerInitialize(int *, char ***) {
  fuzz::api::start();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  {
    FUZZ_PROF("runProgram");
    fuzz::api::runProgram(data, size);
  }
  FUZZ_PROF("finishInput");
  fuzz::api::finishInput();
  return 0;
}
