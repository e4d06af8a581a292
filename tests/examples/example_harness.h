// What the examples' tests share: the network namespace they run in, a server example started
// as a user starts it (`--host BIND --port 0`, the port read back from "listening on"), where
// clients reach it on either stack, and its memory as the kernel counts it.
#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <vector>

#include "support/child_process.h"

namespace examples {

using namespace std::chrono_literals;

#if defined(ASYNCTCP_BACKEND_LWIP)
constexpr bool kLwip = true;
#else
constexpr bool kLwip = false;
#endif

// Makes this process a network namespace of its own (and on lwIP the TAP link); "" when
// done, else why the examples cannot run here. main() keeps the answer in g_skip.
std::string makeNamespace();
extern std::string g_skip;

// A server example started with `--host BIND --port 0 EXTRA...`, with the port it printed.
struct Server {
  Server(const char *path, const char *bind, const std::vector<std::string> &extra = {});
  // SIGTERM; the exit status (-1 unless it exited by itself within 5 s).
  int stop();
  std::string output() const { return child.out() + child.err(); }
  // The server's resident memory in KiB, now or at its peak (VmHWM): what an attack costs it.
  long residentKb() const;
  long peakResidentKb() const;

  tst::ChildProcess child;
  int port = 0;
};

// Where clients reach a server bound to `bind`: the loopback, or lwIP's end of the TAP.
std::string hostFor(bool v6);  // "127.0.0.1", "[::1]", ... (v6 in brackets, for URLs)
const char *bindFor(bool v6);

// Runs a client to its end; its exit status (-1 if it did not end in time) and what it printed.
int run(const std::vector<std::string> &argv, std::string &out,
        std::chrono::milliseconds timeout = 20s);

// The tests that start examples skip, saying why, where no namespace could be made.
class Examples : public ::testing::Test {
protected:
  void SetUp() override;
};

}  // namespace examples
