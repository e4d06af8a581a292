#include "Esp.h"

#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <atomic>
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

// Constant-initialised: usable from any other global's constructor.
std::atomic<uint32_t> lowestFreeHeap{UINT32_MAX};

void noteFreeHeap(uint32_t free) {
  uint32_t low = lowestFreeHeap.load();
  while (free < low && !lowestFreeHeap.compare_exchange_weak(low, free)) {
  }
}

// The first interface that is up, not loopback and has an IPv4 address (WiFi's choice).
std::string hostInterfaceName() {
  std::string name;
  ifaddrs *list = nullptr;
  if (getifaddrs(&list) != 0)
    return name;
  for (ifaddrs *i = list; i != nullptr; i = i->ifa_next) {
    if (i->ifa_addr != nullptr && i->ifa_addr->sa_family == AF_INET &&
        (i->ifa_flags & IFF_UP) != 0 && (i->ifa_flags & IFF_LOOPBACK) == 0) {
      name = i->ifa_name;
      break;
    }
  }
  freeifaddrs(list);
  return name;
}

// A single number from a /proc or /sys file after `key` (the whole file if key is empty).
double numberInFile(const char *path, const char *key) {
  FILE *f = std::fopen(path, "r");
  if (f == nullptr)
    return 0;
  char line[256];
  double value = 0;
  const size_t n = std::strlen(key);
  while (std::fgets(line, sizeof line, f) != nullptr) {
    if (std::strncmp(line, key, n) != 0)
      continue;
    const char *at = std::strchr(line + n, ':');
    std::sscanf(at != nullptr ? at + 1 : line + n, "%lf", &value);
    break;
  }
  std::fclose(f);
  return value;
}

}  // namespace

uint32_t EspClass::getFreeHeap() {
  const uint32_t free = cap32(meminfo("MemAvailable"));
  noteFreeHeap(free);
  return free;
}

uint32_t EspClass::getMinFreeHeap() {
  getFreeHeap();
  return lowestFreeHeap.load();
}

uint32_t EspClass::getMaxAllocHeap() {
  return cap32(meminfo("MemAvailable"));
}

uint32_t EspClass::getCpuFreqMHz() {
  const double khz = numberInFile("/sys/devices/system/cpu/cpu0/cpufreq/cpuinfo_max_freq", "");
  if (khz > 0)
    return static_cast<uint32_t>(khz / 1000);
  return static_cast<uint32_t>(numberInFile("/proc/cpuinfo", "cpu MHz"));
}

uint64_t EspClass::getEfuseMac() {
  const std::string name = hostInterfaceName();
  FILE *f =
      name.empty() ? nullptr : std::fopen(("/sys/class/net/" + name + "/address").c_str(), "r");
  if (f == nullptr)
    return 0;
  unsigned b[6];
  uint64_t mac = 0;
  if (std::fscanf(f, "%x:%x:%x:%x:%x:%x", &b[0], &b[1], &b[2], &b[3], &b[4], &b[5]) == 6)
    for (int k = 5; k >= 0; --k)
      mac = (mac << 8) | (b[k] & 0xff);
  std::fclose(f);
  return mac;
}

uint32_t EspClass::getSketchSize() {
  struct stat st {};
  return stat("/proc/self/exe", &st) == 0 ? cap32(static_cast<uint64_t>(st.st_size)) : 0;
}

const char *EspClass::getCoreVersion() {
  return "3.0.0";
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
