// FUZZ_TRACE=1 in the environment makes the network fuzzers tell what they do (ops,
// callbacks) on stderr: for reading a reproducer, never while fuzzing.
#pragma once

#include <cstdio>
#include <cstdlib>

namespace fuzz {
inline bool tracing() {
  static const bool on = std::getenv("FUZZ_TRACE") != nullptr;
  return on;
}
}  // namespace fuzz

#define FUZZ_TRACE(...)                  \
  do {                                   \
    if (fuzz::tracing())                 \
      std::fprintf(stderr, __VA_ARGS__); \
  } while (0)
