#include "net/prof.h"

#include <cstdio>
#include <cstdlib>
#include <mutex>

namespace fuzz::prof {

namespace {
std::mutex g_mutex;
Counter *g_head = nullptr;
}  // namespace

void report() {
  std::lock_guard<std::mutex> g(g_mutex);
  for (Counter *c = g_head; c; c = c->_next) {
    const uint64_t calls = c->_calls.load(), ns = c->_ns.load();
    std::fprintf(stderr, "prof %-26s %10llu calls %10.1f ms %8.1f us each\n", c->_name,
                 (unsigned long long)calls, double(ns) / 1e6,
                 calls ? double(ns) / 1e3 / double(calls) : 0.0);
  }
}

Counter::Counter(const char *name) : _name(name) {
  static const bool on = [] {
    const bool enabled = std::getenv("FUZZ_PROF") != nullptr;
    if (enabled)
      std::atexit(report);
    return enabled;
  }();
  (void)on;
  std::lock_guard<std::mutex> g(g_mutex);
  _next = g_head;
  g_head = this;
}

}  // namespace fuzz::prof
