// A non-blocking listening socket on 127.0.0.1, for the servers written on bare sockets.
#pragma once

#include <cstdint>

namespace bench {

// Returns the fd (listening with kListenBacklog) and the bound port, or -1 after printing why.
int listenLoopback(uint16_t port, uint16_t *bound);

}  // namespace bench
