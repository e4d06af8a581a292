// A provided-buffer ring (kernel 5.19): receive buffers the kernel picks from as data
// arrives, so no connection owns a receive buffer while it waits. One ring of `count`
// buffers of `size` bytes, registered with an io_uring as buffer group `group`.
// liburing 2.4 has io_uring_setup_buf_ring() for the registration; Debian's 2.3 has only
// the ring's add/advance helpers, so setUp() does it against the kernel's interface.
// Service thread only, like the io_uring it belongs to.
#pragma once

#include <liburing.h>

#include <cstddef>
#include <cstdint>

namespace asynctcp::backend::uring {

class BufferRing {
public:
  BufferRing() = default;
  ~BufferRing();
  BufferRing(const BufferRing &) = delete;
  BufferRing &operator=(const BufferRing &) = delete;

  // count: a power of two, at most 32768 (the kernel's limit). Returns 0 or -errno
  // (-ENOMEM when the ring would pass RLIMIT_MEMLOCK, which charges it since ~6.14).
  // Only `inUse` of them (all by default) are handed to the kernel at first: it takes
  // buffers in ring order, so every buffer it was given is soon touched (resident);
  // grow() gives it more when it runs dry.
  int setUp(io_uring *ring, uint16_t group, uint32_t count, uint32_t size, uint32_t inUse = 0);
  void tearDown();
  // After an ENOBUFS: doubles the buffers in use, up to count. False when all are.
  bool grow();
  uint32_t inUse() const { return _inUse; }

  uint16_t group() const { return _group; }
  uint32_t bufferSize() const { return _size; }
  uint8_t *buffer(uint16_t id) const { return _data + size_t(id) * _size; }
  // A CQE's buffer, handed back once its bytes are delivered. Batched: the kernel sees
  // the buffers given back since the last publish() only then.
  void giveBack(uint16_t id);
  void publish();

private:
  io_uring *_ring = nullptr;
  io_uring_buf_ring *_br = nullptr;
  uint8_t *_data = nullptr;
  uint32_t _count = 0, _size = 0, _inUse = 0;
  uint16_t _group = 0;
  uint16_t _added = 0;  // given back, not yet published
};

}  // namespace asynctcp::backend::uring
