// A Linux <-> lwIP link for the tests of the lwIP build: a network namespace of the
// process's own, a TAP device in it, Linux's end configured with iproute2 and lwIP's
// end brought up on the same device. Everything the tests send stays inside the
// namespace, and Linux sockets in the test talk to lwIP over a real Ethernet link.
#pragma once

#include <string>

#include "AsyncTCP.h"

namespace tst::lwip {

// The two ends of the link (a /24 for IPv4, a ULA /64 for IPv6).
IPAddress linuxIp4();  // 10.200.0.1
IPAddress lwipIp4();   // 10.200.0.2
IPAddress linuxIp6();  // fd00:200::1
IPAddress lwipIp6();   // fd00:200::2

// Makes the link. Call from main() before any thread exists: unshare(CLONE_NEWNET)
// moves only the calling thread, and threads started later inherit it. Returns ""
// on success, else why the link cannot be made here (not root, no /dev/net/tun, ...).
std::string makeTapLink(const char *device = "atcptap0");

}  // namespace tst::lwip
