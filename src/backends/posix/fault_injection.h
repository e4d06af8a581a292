// Fault injection for tests: make the posix backend's system calls fail on
// demand (EAGAIN, EINTR, ENOMEM, EMFILE on accept, ECONNRESET mid-write, short
// writes), so every error path can be driven from a test. Compiled in only with
// ASYNCTCP_FAULT_INJECTION (test builds); without it the backend's system calls
// (syscalls.h) are the plain ones and the release path carries no trace of it. Not part
// of the public API.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>

#if defined(ASYNCTCP_FAULT_INJECTION)

namespace asynctcp::fault {

enum Call : int { kAccept, kRecv, kSend, kConnect, kSocket, kCallCount };

// The next `count` calls of `call` fail with `err`, after `skip` calls that pass.
void failNext(Call call, int err, int count = 1, int skip = 0);
// The next `count` sends take at most `maxBytes` each (short writes).
void shortSends(size_t maxBytes, int count);
void reset();
uint64_t injected(Call call);  // faults injected so far (short sends count as kSend)

namespace detail {
extern std::atomic<bool> armed;
bool take(Call call, int *err);
size_t sendCap(size_t want);
}  // namespace detail

}  // namespace asynctcp::fault

#endif
