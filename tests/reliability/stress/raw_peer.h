// Raw socket peers of the stress run: Linux sockets that echo, half-close, reset (SO_LINGER 0),
// vanish with unread data, or connect and leave, so the servers meet every way a peer ends.
#pragma once

#include "stress/stats.h"

#include <cstdint>

namespace stress {

// One raw connection to `port`, of a random kind; checks the echo of the kinds that read it.
void runRawPeer(Stats &stats, uint16_t port);

}  // namespace stress
