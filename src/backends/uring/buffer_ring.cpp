// Host only (the io_uring backend): the Arduino IDE and PlatformIO compile every file under src/.
#if !defined(ESP_PLATFORM)

#include "backends/uring/buffer_ring.h"

#include <errno.h>
#include <sys/mman.h>

#include <cstdlib>
#include <cstring>

namespace asynctcp::backend::uring {

BufferRing::~BufferRing() {
  tearDown();
}

int BufferRing::setUp(io_uring *ring, uint16_t group, uint32_t count, uint32_t size,
                      uint32_t inUse) {
  if (count == 0 || count > 32768 || (count & (count - 1)) != 0 || size == 0)
    return -EINVAL;
  const size_t ringBytes = count * sizeof(io_uring_buf);
  void *mem = mmap(nullptr, ringBytes, PROT_READ | PROT_WRITE, MAP_ANONYMOUS | MAP_PRIVATE, -1, 0);
  if (mem == MAP_FAILED)
    return -errno;
  auto *data = static_cast<uint8_t *>(std::malloc(size_t(count) * size));
  if (!data) {
    munmap(mem, ringBytes);
    return -ENOMEM;
  }
  io_uring_buf_reg reg;
  std::memset(&reg, 0, sizeof reg);
  reg.ring_addr = reinterpret_cast<uintptr_t>(mem);
  reg.ring_entries = count;
  reg.bgid = group;
  // No flags: the ring's memory is ours (IOU_PBUF_RING_MMAP would have the kernel's).
  if (int r = io_uring_register_buf_ring(ring, &reg, 0); r != 0) {
    std::free(data);
    munmap(mem, ringBytes);
    return r;
  }
  _ring = ring;
  _br = static_cast<io_uring_buf_ring *>(mem);
  _data = data;
  _count = count;
  _size = size;
  _group = group;
  io_uring_buf_ring_init(_br);
  _inUse = (inUse == 0 || inUse > count) ? count : inUse;
  for (uint32_t id = 0; id < _inUse; ++id)
    giveBack(uint16_t(id));
  publish();
  return 0;
}

void BufferRing::tearDown() {
  if (!_br)
    return;
  io_uring_unregister_buf_ring(_ring, _group);
  munmap(_br, _count * sizeof(io_uring_buf));
  std::free(_data);
  _br = nullptr;
  _data = nullptr;
  _ring = nullptr;
}

void BufferRing::giveBack(uint16_t id) {
  io_uring_buf_ring_add(_br, buffer(id), _size, id, io_uring_buf_ring_mask(_count), _added);
  ++_added;
}

bool BufferRing::grow() {
  if (_inUse >= _count)
    return false;
  const uint32_t more = _inUse;  // in use: a power of two, as count
  for (uint32_t id = _inUse; id < _inUse + more && id < _count; ++id)
    giveBack(uint16_t(id));
  _inUse = _inUse + more < _count ? _inUse + more : _count;
  publish();
  return true;
}

void BufferRing::publish() {
  if (!_added)
    return;
  // A release store: the kernel may read the entries as soon as it sees the tail. 2.3's
  // io_uring_buf_ring_advance() has one; its cq_advance variant (fixed in 2.6) has not.
  io_uring_buf_ring_advance(_br, _added);
  _added = 0;
}

}  // namespace asynctcp::backend::uring

#endif  // !defined(ESP_PLATFORM)
