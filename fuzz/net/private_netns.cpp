#include "net/private_netns.h"

#include <fcntl.h>
#include <net/if.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstring>

#include "net/check.h"

namespace fuzz {

namespace {
bool g_private = false;

bool bringLoopbackUp() {
  int fd = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0)
    return false;
  ifreq ifr{};
  std::strcpy(ifr.ifr_name, "lo");
  ifr.ifr_mtu = 1500;
  bool ok = ::ioctl(fd, SIOCSIFMTU, &ifr) == 0;
  ok = ok && ::ioctl(fd, SIOCGIFFLAGS, &ifr) == 0;
  ifr.ifr_flags |= IFF_UP | IFF_RUNNING;
  ok = ok && ::ioctl(fd, SIOCSIFFLAGS, &ifr) == 0;
  ::close(fd);
  return ok;
}

void writeSysctl(const char *path, const char *value) {
  int fd = ::open(path, O_WRONLY | O_CLOEXEC);
  if (fd < 0)
    return;
  ssize_t r = ::write(fd, value, std::strlen(value));
  (void)r;
  ::close(fd);
}
}  // namespace

bool enterPrivateNetns() {
  if (::unshare(CLONE_NEWNET) != 0)
    return false;
  FUZZ_REQUIRE(bringLoopbackUp(), "no loopback in the fuzzer's network namespace");
  writeSysctl("/proc/sys/net/ipv4/tcp_max_tw_buckets", "0");
  writeSysctl("/proc/sys/net/ipv4/ip_local_port_range", "1024 65535");
  g_private = true;
  return true;
}

bool inPrivateNetns() {
  return g_private;
}

}  // namespace fuzz
