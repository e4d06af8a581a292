// The network fuzzers' clock: the library's (asynctcp::os::nowMs/nowUs) and, in the lwIP
// targets, lwIP's (sys_now) run at real speed plus an offset that only an input moves
// forward. So an input reaches an rx timeout, an ack timeout, a poll or an lwIP
// retransmission in microseconds instead of seconds, and nothing sleeps.
//
// The library's functions are replaced at link time (-Wl,--wrap, see fuzz/CMakeLists.txt),
// lwIP's by interposition (liblwip calls sys_now through its PLT): no hook in src/.
#pragma once

#include <cstdint>

namespace fuzz::clock {

uint64_t nowUs();  // what the library and lwIP read
// Moves every clock forward; the caller then wakes whoever waits on a deadline.
void advanceMs(uint64_t ms);
// How far the clocks have jumped so far: a waiter that began before a jump may be due.
uint64_t jumpedUs();

}  // namespace fuzz::clock
