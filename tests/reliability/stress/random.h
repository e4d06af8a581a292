// The stress run's dice: one generator per thread, so no thread waits on another for a number.
#pragma once

#include <cstdint>
#include <random>

namespace stress {

inline std::mt19937_64 &rng() {
  thread_local std::mt19937_64 r(std::random_device{}());
  return r;
}

inline uint64_t rnd(uint64_t lo, uint64_t hi) {  // inclusive
  return std::uniform_int_distribution<uint64_t>(lo, hi)(rng());
}

inline bool chance(int percent) {
  return int(rnd(0, 99)) < percent;
}

}  // namespace stress
