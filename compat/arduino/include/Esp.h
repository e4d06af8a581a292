// The ESP object, answered from Linux: heap figures from /proc/meminfo, the chip model
// from uname(), the MAC from the network interface. restart() ends the process cleanly
// (there is no chip to reset). Safe to call from other globals' constructors.
#pragma once

#include <cstdint>

class EspClass {
public:
  uint32_t getFreeHeap();      // MemAvailable, capped at 4 GiB - 1 like the 32-bit original
  uint32_t getHeapSize();      // MemTotal, capped the same way
  uint32_t getMinFreeHeap();   // the lowest getFreeHeap() this process has seen (incl. now)
  uint32_t getMaxAllocHeap();  // the largest block to expect from malloc: MemAvailable
  // No PSRAM: what an ESP32 without it reports.
  uint32_t getPsramSize() { return 0; }
  uint32_t getFreePsram() { return 0; }
  uint32_t getMinFreePsram() { return 0; }
  uint32_t getMaxAllocPsram() { return 0; }

  const char *getChipModel();  // "Linux <machine>", e.g. "Linux x86_64"
  uint8_t getChipCores();
  uint8_t getChipRevision() { return 0; }
  uint32_t getCpuFreqMHz();  // the CPU's top clock (cpufreq, else /proc/cpuinfo); 0 unknown
  // The factory MAC as ESP32 packs it (byte 0 in the low byte): here the MAC that
  // WiFi.macAddress() reports, of the first interface that is up with an IPv4 address
  // (not loopback); 0 when there is none.
  uint64_t getEfuseMac();
  const char *getSdkVersion();
  const char *getCoreVersion();  // the arduino-esp32 version the ESP32 mode follows

  // No flash chip and no OTA partition: sizes are 0, so an update never fits.
  uint32_t getFlashChipSize() { return 0; }
  uint32_t getFlashChipSpeed() { return 0; }
  uint32_t getSketchSize();  // the size of the program file
  uint32_t getFreeSketchSpace() { return 0; }

  [[noreturn]] void restart();  // flushes output and exits with status 0
};

extern EspClass ESP;
