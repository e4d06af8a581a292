// What every example server's main() does around its callbacks: parse --host/--port/--verbose
// (and the server's own millisecond options, such as its timeouts), listen, print "listening on
// HOST:PORT" (scripts and tests read the port from it), then wait for SIGINT/SIGTERM and stop
// without cutting connections off mid-answer.
#pragma once

#include <AsyncTCP.h>

#include <atomic>
#include <cstdint>
#include <initializer_list>

namespace example {

struct ServerOptions {
  const char *host = "127.0.0.1";
  IPAddress address;
  uint16_t port = 0;
  bool verbose = false;
  // --tls CERT KEY: PEM files; the server then speaks TLS (beginSecure()).
  const char *tlsCert = nullptr;
  const char *tlsKey = nullptr;
};

// An option of one server, in milliseconds: `--name N` sets *value, which holds the default.
struct MillisecondsOption {
  const char *name;
  uint32_t *value;
};

// Exits with status 2 and a usage line on anything it does not understand.
ServerOptions parseServerOptions(int argc, char **argv, uint16_t defaultPort,
                                 std::initializer_list<MillisecondsOption> extra = {});

// Blocks SIGINT and SIGTERM. Call before the first AsyncServer/AsyncClient exists: the
// library's service thread inherits the mask, so the signals reach waitForStop() instead of
// interrupting a callback.
void blockStopSignals();

// begin() (beginSecure() with --tls), then the "listening on" line; on failure says why on stderr
// and returns false.
bool startListening(AsyncServer &server, const ServerOptions &options, const char *name);

// Waits for SIGINT/SIGTERM, ends the server, raises `stopping` (connections close themselves
// from their next onPoll, on the service thread) and waits up to 3 s for `connections` to
// reach 0. Returns the signal's name.
const char *waitForStop(AsyncServer &server, std::atomic<bool> &stopping,
                        const std::atomic<int> &connections);

}  // namespace example
