// The fixture of the sketch tests. Each test runs in a network namespace of its own
// (made in SetUp, inherited by every child it starts), with only a loopback interface:
// the sketches keep their fixed ESP32-style ports (19, 7000, 80) with no clash with the
// host or with other tests, and no traffic leaves the test.
#pragma once

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "support/child_process.h"

namespace sketchtest {

using namespace std::chrono_literals;
using std::chrono::milliseconds;
using tst::ChildProcess;

// Leaves the current network namespace for a new one with "lo" up. Returns "" on
// success, else why not (not root, no namespaces in this container, ...).
std::string enterFreshNetworkNamespace();

std::string sketchPath(const char *name);  // the built sketch binary
std::string peerPath(const char *script);  // a Python peer in tests/sketches/peers

// Lines of `text` (CR LF or LF), without their ends.
std::vector<std::string> lines(const std::string &text);
// Whether `text` has a complete line equal to `line` (Serial.println ends lines with
// CR LF, Serial.printf("...\n") with LF: both count).
bool hasLine(const std::string &text, const std::string &line);

// On the lwIP build a sketch's connections are lwIP's: they reach lwIP's in-process
// loopback only, never a Linux peer (WiFi.begin() brings up no TAP netif). Tests that
// need a Linux peer skip there with this reason.
#if defined(ASYNCTCP_BACKEND_LWIP)
constexpr bool kSketchReachesLinuxPeers = false;
#else
constexpr bool kSketchReachesLinuxPeers = true;
#endif
constexpr const char *kNoLinuxPeersOnLwip =
    "on the lwIP backend the sketch reaches only lwIP's own loopback, not Linux peers";

class SketchTest : public ::testing::Test {
protected:
  void SetUp() override;

  // Starts a program or fails the test.
  void start(ChildProcess &child, const std::vector<std::string> &argv);
  // Starts a Python peer and waits for its "ready" line.
  void startPeer(ChildProcess &peer, const std::vector<std::string> &argv);
  // SIGTERM (or `sig`): the sketch must exit with status 0 within a few seconds, with no
  // sanitizer report on stderr.
  void expectCleanStop(ChildProcess &sketch, int sig = SIGTERM);
};

}  // namespace sketchtest
