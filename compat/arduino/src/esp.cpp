#include "Esp.h"

#include <sys/utsname.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <string>

#include "lifecycle.h"

EspClass ESP;

namespace {

// A /proc/meminfo field in bytes, 0 if absent.
uint64_t meminfo(const char *field) {
  FILE *f = std::fopen("/proc/meminfo", "r");
  if (f == nullptr)
    return 0;
  char line[128];
  unsigned long long kib = 0;
  const size_t n = std::strlen(field);
  while (std::fgets(line, sizeof line, f) != nullptr) {
    if (std::strncmp(line, field, n) == 0 && line[n] == ':') {
      std::sscanf(line + n + 1, "%llu", &kib);
      break;
    }
  }
  std::fclose(f);
  return kib * 1024;
}

uint32_t cap32(uint64_t v) {
  return v > UINT32_MAX ? UINT32_MAX : static_cast<uint32_t>(v);
}

}  // namespace

uint32_t EspClass::getFreeHeap() {
  return cap32(meminfo("MemAvailable"));
}

uint32_t EspClass::getHeapSize() {
  return cap32(meminfo("MemTotal"));
}

const char *EspClass::getChipModel() {
  static const std::string model = [] {
    utsname u{};
    uname(&u);
    return std::string("Linux ") + u.machine;
  }();
  return model.c_str();
}

uint8_t EspClass::getChipCores() {
  const long n = sysconf(_SC_NPROCESSORS_ONLN);
  return n < 1 ? 1 : n > 255 ? 255 : static_cast<uint8_t>(n);
}

const char *EspClass::getSdkVersion() {
  return "AsyncTCP Arduino layer for Linux";
}

void EspClass::restart() {
  asynctcp::arduino::exitNow(0);
}
