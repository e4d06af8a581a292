// Invariant checks of the network fuzzers. A failed check prints what broke (and what the
// target registered to describe its state) and aborts, so libFuzzer keeps the input as a
// crash (SIGABRT is one of the signals it handles).
#pragma once

#include <cstdio>
#include <cstdlib>

namespace fuzz {
// Called once, after the message of a failed check: the target prints its state there,
// without taking its locks (the failing thread may hold them).
void setFailureReport(void (*report)());
[[noreturn]] void failed();
}  // namespace fuzz

#define FUZZ_FAIL(...)                                                            \
  do {                                                                            \
    std::fprintf(stderr, "\n=== invariant broken (%s:%d): ", __FILE__, __LINE__); \
    std::fprintf(stderr, __VA_ARGS__);                                            \
    std::fprintf(stderr, "\n");                                                   \
    fuzz::failed();                                                               \
  } while (0)

#define FUZZ_REQUIRE(cond, ...) \
  do {                          \
    if (!(cond))                \
      FUZZ_FAIL(__VA_ARGS__);   \
  } while (0)
