// What lwIP has allocated and not freed, by pool: liblwip (Debian's, built with
// MEMP_MEM_MALLOC and LWIP_STATS 0, so it keeps no counts of its own) allocates through
// memp_malloc()/memp_free() and mem_malloc()/mem_free() via its PLT, and the lwIP
// fuzzers define those four to count before calling liblwip's. A fuzzer compares a
// snapshot taken after each input's clean-up with one taken at start-up: any difference
// is a pcb, a segment or a pbuf that no one will free.
#pragma once

#include <string>

extern "C" {
#include "lwip/memp.h"
}

namespace fuzz::lwip {

struct MempSnapshot {
  long inUse[MEMP_MAX + 1];  // the pools, then mem_malloc()ed blocks (PBUF_RAM pbufs)
  bool within(const MempSnapshot &baseline) const;       // nothing above the baseline
  void lower(const MempSnapshot &o);                     // the baseline: the least seen, per pool
  std::string diff(const MempSnapshot &baseline) const;  // pools above it, for a report
};

MempSnapshot mempSnapshot();
long tcpPcbsInUse();

}  // namespace fuzz::lwip
