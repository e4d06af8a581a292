// A fixed tcp_pcb pool for the tests, as an ESP32 has (MEMP_NUM_TCP_PCB). Debian's
// liblwip is built with MEMP_MEM_MALLOC, so its pcbs come from malloc and never run
// out. This test-only file interposes lwIP's memp_malloc()/memp_free() (liblwip calls
// them through its PLT, so the test binary's definitions win) and refuses MEMP_TCP_PCB
// allocations past a limit, so lwIP's own exhaustion paths run: tcp_new() returns NULL
// after tcp_alloc() tried to free older pcbs, and a listener gets its accept callback
// with ERR_MEM and drops the SYN. Kept out of the library on purpose: a library that
// defined memp_malloc would replace lwIP's allocator in every program linking it.
#pragma once

#include <cstdint>

namespace tst::lwip {

void limitTcpPcbs(int max);  // at most max tcp_pcbs (any state but LISTEN); -1: no limit
int tcpPcbsInUse();          // counted since the process started
uint64_t tcpPcbRefusals();   // allocations refused by the limit
bool pcbPoolInterposed();    // false if lwIP does not allocate through our memp_malloc

}  // namespace tst::lwip
