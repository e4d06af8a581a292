// FUZZ_PROF=1 in the environment makes the network fuzzers print, at exit, the wall time
// spent in named scopes (the barriers, settling, each op, each step of an input's end):
// for finding where an execution's time goes. Two clock reads per scope when off.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>

namespace fuzz::prof {

class Counter {
public:
  explicit Counter(const char *name);  // static storage only: counters are never removed
  void add(uint64_t ns) {
    _ns.fetch_add(ns, std::memory_order_relaxed);
    _calls.fetch_add(1, std::memory_order_relaxed);
  }

private:
  friend void report();
  const char *_name;
  std::atomic<uint64_t> _ns{0}, _calls{0};
  Counter *_next;
};

inline uint64_t nowNs() {
  return uint64_t(std::chrono::duration_cast<std::chrono::nanoseconds>(
                      std::chrono::steady_clock::now().time_since_epoch())
                      .count());
}

class Scope {
public:
  explicit Scope(Counter &c) : _c(c), _t0(nowNs()) {}
  ~Scope() { _c.add(nowNs() - _t0); }
  Scope(const Scope &) = delete;
  Scope &operator=(const Scope &) = delete;

private:
  Counter &_c;
  uint64_t _t0;
};

}  // namespace fuzz::prof

#define FUZZ_PROF_CAT2(a, b) a##b
#define FUZZ_PROF_CAT(a, b) FUZZ_PROF_CAT2(a, b)
// Times the rest of the enclosing block under `name` (a string literal).
#define FUZZ_PROF(name)                                                      \
  static fuzz::prof::Counter FUZZ_PROF_CAT(fuzzProfCounter_, __LINE__)(name); \
  fuzz::prof::Scope FUZZ_PROF_CAT(fuzzProfScope_, __LINE__)(FUZZ_PROF_CAT(fuzzProfCounter_, __LINE__))
