// The clock and the poll cadence the example servers' own timeouts run on. A connection's
// onPoll compares the time with its deadlines, so the poll interval sets how late a deadline
// may be noticed: a quarter of the shortest timeout, never less often than the library's
// default (500 ms), never more often than every 10 ms.
#pragma once

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <initializer_list>

namespace example {

inline uint64_t nowMs() {
  using namespace std::chrono;
  return uint64_t(duration_cast<milliseconds>(steady_clock::now().time_since_epoch()).count());
}

// For AsyncClient::setPollInterval(); a timeout of 0 is off and does not count.
inline uint32_t pollIntervalFor(std::initializer_list<uint32_t> timeoutsMs) {
  uint32_t interval = 500;
  for (uint32_t t : timeoutsMs)
    if (t > 0)
      interval = std::min(interval, std::max<uint32_t>(t / 4, 10));
  return interval;
}

}  // namespace example
