// The lwIP fuzzers' end-of-input leak check, once every client is deleted: pcbs lwIP
// still holds must be ones the library let go of (no callback argument left) finishing
// their close; they are aborted, as their timers would free them minutes from now. Then
// lwIP's pools must come back to their baseline (the least seen, per pool: lwIP's own
// timers send a packet now and then, and a block in flight is no leak) within a bounded
// wait. The first call takes the baseline.
#pragma once

namespace fuzz::lwip {

void checkNoLeaks();

}  // namespace fuzz::lwip
