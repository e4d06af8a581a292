#include "process_probe.h"

#include <dirent.h>
#include <malloc.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "support/sanitized.h"

namespace scale {

namespace {

// The number after `key` on the first line of `path` that starts with it.
size_t fieldOf(const char *path, const char *key) {
  FILE *f = std::fopen(path, "r");
  if (!f)
    return 0;
  char line[512];
  size_t v = 0;
  const size_t k = std::strlen(key);
  while (std::fgets(line, sizeof line, f)) {
    if (std::strncmp(line, key, k) == 0) {
      v = std::strtoul(line + k, nullptr, 10);
      break;
    }
  }
  std::fclose(f);
  return v;
}

// "TCP: inuse N orphan N tw N alloc N mem N": the value after `name`.
size_t sockstatTcp(const char *name) {
  FILE *f = std::fopen("/proc/net/sockstat", "r");
  if (!f)
    return 0;
  char line[512];
  size_t v = 0;
  while (std::fgets(line, sizeof line, f)) {
    if (std::strncmp(line, "TCP:", 4) != 0)
      continue;
    if (const char *at = std::strstr(line, name))
      v = std::strtoul(at + std::strlen(name), nullptr, 10);
    break;
  }
  std::fclose(f);
  return v;
}

size_t fdCount() {
  DIR *d = opendir("/proc/self/fd");
  if (!d)
    return 0;
  size_t n = 0;
  while (dirent *e = readdir(d))
    n += e->d_name[0] != '.';
  closedir(d);
  return n - 1;  // the directory's own descriptor
}

}  // namespace

ProcessSample sampleProcess(double sinceStart) {
  ProcessSample s;
  s.seconds = sinceStart;
  s.rssKiB = fieldOf("/proc/self/status", "VmRSS:");
  if (!tst::kSanitized) {
    const struct mallinfo2 mi = mallinfo2();
    s.heapBytes = mi.uordblks + mi.hblkhd;
  }
  s.fds = fdCount();
  s.slabKiB = fieldOf("/proc/meminfo", "Slab:");
  s.tcpMemPages = sockstatTcp(" mem ");
  s.tcpInUse = sockstatTcp(" inuse ");
  timespec ts{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  s.cpuSeconds = double(ts.tv_sec) + double(ts.tv_nsec) / 1e9;
  return s;
}

size_t raiseFdLimit(size_t want) {
  rlimit rl{};
  getrlimit(RLIMIT_NOFILE, &rl);
  if (rl.rlim_cur < want) {
    rl.rlim_cur = want;
    if (rl.rlim_max < want)
      rl.rlim_max = want;  // needs CAP_SYS_RESOURCE, and stays under fs.nr_open
    setrlimit(RLIMIT_NOFILE, &rl);
    getrlimit(RLIMIT_NOFILE, &rl);
  }
  return size_t(rl.rlim_cur);
}

std::string describeFds() {
  std::string out;
  DIR *d = opendir("/proc/self/fd");
  if (!d)
    return out;
  while (dirent *e = readdir(d)) {
    if (e->d_name[0] == '.')
      continue;
    char path[300], target[256] = {};
    std::snprintf(path, sizeof path, "/proc/self/fd/%s", e->d_name);
    if (readlink(path, target, sizeof target - 1) > 0)
      out += std::string(" fd ") + e->d_name + " -> " + target + ";";
  }
  closedir(d);
  return out;
}

void trimHeap() {
  malloc_trim(0);
}

}  // namespace scale
