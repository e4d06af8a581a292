// What the scale run samples of its own process and of the kernel: memory (RSS, glibc heap),
// descriptors, CPU time, and the kernel's slab and TCP memory (machine-wide, so approximate
// when other work runs alongside).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

namespace scale {

struct ProcessSample {
  double seconds = 0;      // since the run started
  size_t rssKiB = 0;       // VmRSS
  size_t heapBytes = 0;    // glibc mallinfo2: in use, all arenas and mmapped blocks (0 under
                           // sanitizers, whose allocator glibc does not see)
  size_t fds = 0;          // entries of /proc/self/fd
  size_t slabKiB = 0;      // /proc/meminfo Slab: socket structures live here
  size_t tcpMemPages = 0;  // /proc/net/sockstat TCP mem: socket buffer pages, machine-wide
  size_t tcpInUse = 0;     // /proc/net/sockstat TCP inuse, this network namespace
  double cpuSeconds = 0;   // this process, every thread
};

ProcessSample sampleProcess(double sinceStart);
size_t raiseFdLimit(size_t want);  // soft (and hard, as root) RLIMIT_NOFILE; the new soft limit
void trimHeap();
std::string describeFds();  // " fd N -> target" for each open descriptor (for failures) //
                            // malloc_trim(0): give freed pages back before reading RSS

}  // namespace scale
