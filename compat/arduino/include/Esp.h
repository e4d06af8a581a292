// The ESP object, answered from Linux: heap figures from /proc/meminfo, the chip model
// from uname(). restart() ends the process cleanly (there is no chip to reset).
#pragma once

#include <cstdint>

class EspClass {
public:
  uint32_t getFreeHeap();      // MemAvailable, capped at 4 GiB - 1 like the 32-bit original
  uint32_t getHeapSize();      // MemTotal, capped the same way
  const char *getChipModel();  // "Linux <machine>", e.g. "Linux x86_64"
  uint8_t getChipCores();
  uint8_t getChipRevision() { return 0; }
  const char *getSdkVersion();
  [[noreturn]] void restart();  // flushes output and exits with status 0
};

extern EspClass ESP;
