// The load process of the scale run: plain Linux sockets on one epoll set, none of the
// library's code. It holds `conns` connections to the server under test, each carrying its
// own stream (stream.h) whose echo it checks byte by byte, and on command churns them:
// more echo rounds, ends of every kind (FIN, RST, close without waiting), and replacements
// whose header asks the server to close, abort or delete them.
//
// Driven by signals from the orchestrating process: SIGUSR1 starts churning, SIGUSR2 stops
// it and prints "quiet" once every connection is idle, SIGTERM ends every connection and
// prints the result line. Progress goes to stdout as single lines (see load_main.cpp).
#pragma once

#include <netinet/in.h>
#include <signal.h>

#include <cstdint>
#include <vector>

namespace scale::load {

struct Options {
  in_addr dst{};
  uint16_t port = 0;
  std::vector<in_addr> sources;     // bound in turn (IP_BIND_ADDRESS_NO_PORT): more ports
  uint32_t conns = 1000;            // connections held
  uint32_t parallel = 256;          // connections in setup at once
  uint32_t firstPayloadMax = 4096;  // payload of a connection's first echo round
  uint32_t roundMax = 16384;        // payload of a later round
  double churnRate = 200;           // churn operations per second
  uint32_t stallSeconds = 60;       // a connection that makes no progress this long fails
  double endRate = 0;               // teardown: idle connections ended a second (0: at once)
  uint32_t idBase = 1;              // stream ids start here
  uint64_t seed = 1;
};

enum Command : int { kNone = 0, kChurn = 1, kQuiet = 2, kTeardown = 3 };

// Runs until teardown is complete; returns the exit code (0: every check held).
int run(const Options &o, volatile sig_atomic_t *command);

}  // namespace scale::load
