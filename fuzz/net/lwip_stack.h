// The lwIP fuzzers' handles on the stack itself (never on the library): its core lock,
// a barrier through the tcpip thread's mailbox, its timers on the virtual clock, and
// the end-of-input sweep of pcbs lwIP still holds after the library let them go.
#pragma once

#include <functional>
#include <string>

extern "C" {
#include "lwip/tcp.h"
}

namespace fuzz::lwip {

// lwIP's core lock; one held by this thread already makes a nested one free.
class CoreLock {
public:
  CoreLock();
  ~CoreLock();
  CoreLock(const CoreLock &) = delete;
  CoreLock &operator=(const CoreLock &) = delete;
};

// Returns once the tcpip thread has handled everything posted to it before the call
// (loopback packets among them). Without the core lock. At once when tcpipIdle().
void tcpipBarrier();
// Whether the tcpip thread waits for a message with everything posted so far handled, its
// timeout not up and the clocks not moved since (its mailbox is watched by interposing
// sys_mbox_post, sys_mbox_trypost and sys_arch_mbox_fetch, which liblwip calls through its
// PLT).
bool tcpipIdle();
// Runs lwIP's timers that are due on the virtual clock (after clock::advanceMs), here
// and now. Without the core lock.
void runDueTimers();
// Aborts every pcb in lwIP's active and TIME_WAIT lists, after asking `owned` about each:
// a pcb the library still owns is a leak (the caller fails). Listening pcbs stay.
void abortLeftoverPcbs(const std::function<void(struct tcp_pcb *)> &check);
// For a failure report: pcbs in each list, packets queued on loopback netifs.
std::string describeStack();

}  // namespace fuzz::lwip
