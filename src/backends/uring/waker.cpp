// Host only (the io_uring backend): the Arduino IDE and PlatformIO compile every file under src/.
#if !defined(ESP_PLATFORM)

#include "backends/uring/waker.h"

#include <errno.h>
#include <sys/eventfd.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cstring>

namespace asynctcp::backend::uring {

namespace {
constexpr unsigned kRegisterSendMsgRing = 31;  // IORING_REGISTER_SEND_MSG_RING (6.13)

// A message to the ring `ringFd`: a completion with user_data `tag` appears there.
int sendMessage(int ringFd, uint64_t tag) {
  io_uring_sqe sqe;
  std::memset(&sqe, 0, sizeof sqe);
  sqe.opcode = IORING_OP_MSG_RING;
  sqe.fd = ringFd;
  sqe.off = tag;  // the target's user_data (IORING_MSG_DATA: addr 0)
  long r = syscall(__NR_io_uring_register, -1, kRegisterSendMsgRing, &sqe, 1);
  return r < 0 ? -errno : 0;
}
}  // namespace

Waker::~Waker() {
  tearDown();
}

int Waker::setUp(io_uring *ring, uint64_t tag, bool allowMessages) {
  _ring = ring;
  _tag = tag;
  // A message to the ring itself says whether the kernel has them; its completion is
  // the first wake-up, harmless.
  if (allowMessages && sendMessage(ring->ring_fd, tag) == 0) {
    _pending.store(true, std::memory_order_relaxed);
    return 0;
  }
  _eventFd = eventfd(0, EFD_CLOEXEC);
  if (_eventFd < 0)
    return -errno;
  armRead();
  return 0;
}

void Waker::tearDown() {
  if (_eventFd >= 0)
    ::close(_eventFd);  // the read in flight ends with the ring's own teardown
  _eventFd = -1;
  _ring = nullptr;
}

void Waker::armRead() {
  io_uring_sqe *sqe = io_uring_get_sqe(_ring);
  if (!sqe) {
    io_uring_submit(_ring);
    sqe = io_uring_get_sqe(_ring);
  }
  io_uring_prep_read(sqe, _eventFd, &_count, sizeof _count, 0);
  sqe->user_data = _tag;
}

void Waker::wake() {
  if (_pending.exchange(true, std::memory_order_acq_rel))
    return;  // one is on its way: the loop looks at everything once it arrives
  if (_eventFd < 0) {
    sendMessage(_ring->ring_fd, _tag);
    return;
  }
  const uint64_t one = 1;
  ssize_t r = ::write(_eventFd, &one, sizeof one);
  (void)r;  // a full counter still means a wake-up is pending
}

void Waker::woken() {
  // An exchange, not a store: it reads what the last wake() wrote, so what that thread
  // did before it is visible to the loop from here on.
  _pending.exchange(false, std::memory_order_acq_rel);
  if (_eventFd >= 0)
    armRead();
}

}  // namespace asynctcp::backend::uring

#endif  // !defined(ESP_PLATFORM)
