#include "example_harness.h"

#include <sched.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>

namespace examples {

std::string g_skip;  // set by main(): why the examples cannot run here ("" when they can)

namespace {

// The lwIP server's side of the TAP link; Linux has .1 and ::1 of the same networks.
constexpr const char *kTapDevice = "atcpex0";
constexpr const char *kLwipIp4 = "10.202.0.2";
constexpr const char *kLwipIp6 = "fd00:202::2";

bool sh(const std::string &cmd) {
  return std::system((cmd + " >/dev/null 2>&1").c_str()) == 0;
}

std::vector<std::string> serverEnv() {
  if (!kLwip)
    return {};
  return {std::string("ASYNCTCP_LWIP_TAP=") + kTapDevice + " " + kLwipIp4 + "/24 10.202.0.1 " +
          kLwipIp6};
}

long statusKb(pid_t pid, const std::string &field) {
  std::ifstream status("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(status, line))
    if (line.compare(0, field.size() + 1, field + ":") == 0)
      return std::atol(line.c_str() + field.size() + 1);
  return -1;
}

}  // namespace

std::string makeNamespace() {
  if (geteuid() != 0)
    return "needs root for a network namespace of its own";
  if (unshare(CLONE_NEWNET) != 0)
    return std::string("unshare(CLONE_NEWNET): ") + std::strerror(errno);
  if (!sh("ip link set lo up"))
    return "ip link set lo up failed";
  if (kLwip) {
    if (access("/dev/net/tun", R_OK | W_OK) != 0)
      return "/dev/net/tun is missing";
    const std::string dev = kTapDevice;
    if (!sh("ip tuntap add dev " + dev + " mode tap") ||
        !sh("ip addr add 10.202.0.1/24 dev " + dev) ||
        !sh("ip -6 addr add fd00:202::1/64 dev " + dev + " nodad") ||
        !sh("ip link set " + dev + " up"))
      return "could not make the TAP device with iproute2";
  }
  return "";
}

Server::Server(const char *path, const char *bind, const std::vector<std::string> &extra) {
  std::vector<std::string> argv = {path, "--host", bind, "--port", "0"};
  argv.insert(argv.end(), extra.begin(), extra.end());
  if (!child.start(argv, serverEnv()))
    return;
  const std::string marker = "listening on ";
  if (child.waitForText(marker, 10s)) {
    const std::string &out = child.out();
    const size_t eol = out.find('\n', out.find(marker));
    const std::string line = out.substr(0, eol);
    port = std::atoi(line.substr(line.rfind(':') + 1).c_str());
  }
}

int Server::stop() {
  child.signal(SIGTERM);
  const int status = child.waitExit(5s);
  child.pump();
  return status >= 0 && WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

long Server::residentKb() const {
  return statusKb(child.pid(), "VmRSS");
}

long Server::peakResidentKb() const {
  return statusKb(child.pid(), "VmHWM");
}

std::string hostFor(bool v6) {
  if (kLwip)
    return v6 ? std::string("[") + kLwipIp6 + "]" : kLwipIp4;
  return v6 ? "[::1]" : "127.0.0.1";
}

const char *bindFor(bool v6) {
  if (kLwip)
    return v6 ? "::" : "0.0.0.0";
  return v6 ? "::1" : "127.0.0.1";
}

int run(const std::vector<std::string> &argv, std::string &out, std::chrono::milliseconds timeout) {
  tst::ChildProcess c;
  if (!c.start(argv))
    return -1;
  const int status = c.waitExit(timeout);
  c.pump();
  out = c.out() + c.err();
  return status >= 0 && WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

void Examples::SetUp() {
  if (!g_skip.empty())
    GTEST_SKIP() << "examples need a network namespace: " << g_skip;
}

}  // namespace examples
