// How another thread wakes the loop while it waits in io_uring_enter(): a completion
// posted to the loop's ring. Kernel 6.13 posts one from any thread with no ring of its
// own (IORING_REGISTER_SEND_MSG_RING: one system call); before that, the loop keeps a
// read of an eventfd in its ring and a wake-up writes the eventfd. Wake-ups coalesce: one
// is in flight at a time, however many threads call wake() meanwhile.
#pragma once

#include <liburing.h>

#include <atomic>
#include <cstdint>

namespace asynctcp::backend::uring {

class Waker {
public:
  Waker() = default;
  ~Waker();
  Waker(const Waker &) = delete;
  Waker &operator=(const Waker &) = delete;

  // On the loop's thread: completions for wake-ups carry user_data `tag`. allowMessages:
  // false keeps to the eventfd (the tests take both paths). Returns 0 or -errno.
  int setUp(io_uring *ring, uint64_t tag, bool allowMessages = true);
  void tearDown();
  bool usesMessages() const { return _eventFd < 0; }

  void wake();  // any thread
  // The loop, on the tag's completion and before it looks at what other threads left
  // for it: a wake() from now on sends a new completion.
  void woken();

private:
  void armRead();  // eventfd: the read whose completion is the wake-up

  io_uring *_ring = nullptr;
  uint64_t _tag = 0;
  int _eventFd = -1;
  uint64_t _count = 0;  // the eventfd read's destination
  std::atomic<bool> _pending{false};
};

}  // namespace asynctcp::backend::uring
