#include "stack_watermark.h"

#include <pthread.h>

namespace asynctcp::esp32 {
namespace {

constexpr uint64_t kPaint = 0xa5a5a5a5a5a5a5a5ull;  // FreeRTOS's tskSTACK_FILL_BYTE
// Left alone under the current frame: the painting function's own frame lives there.
constexpr size_t kFrameMargin = 4096;

bool stackBounds(const uint8_t *&low, size_t &size) {
  pthread_attr_t attr;
  if (pthread_getattr_np(pthread_self(), &attr) != 0)
    return false;
  void *addr = nullptr;
  const bool ok = pthread_attr_getstack(&attr, &addr, &size) == 0;
  pthread_attr_destroy(&attr);
  low = static_cast<const uint8_t *>(addr);
  return ok;
}

const uint8_t *currentFrame() {
  return static_cast<const uint8_t *>(__builtin_frame_address(0));
}

}  // namespace

// Sanitizers leave poison of earlier frames on reused stacks, and another task's stack is
// read while it runs: both are deliberate here, so neither access is instrumented.
__attribute__((no_sanitize("address", "thread"), noinline)) StackRegion paintOwnStack() {
  StackRegion region;
  size_t size = 0;
  if (!stackBounds(region.low, size))
    return region;
  const uint8_t *top = currentFrame() - kFrameMargin;
  if (top <= region.low)
    return region;
  region.painted = static_cast<size_t>(top - region.low) & ~size_t(7);
  volatile uint64_t *word =
      reinterpret_cast<volatile uint64_t *>(const_cast<uint8_t *>(region.low));
  for (size_t i = 0; i < region.painted / 8; ++i)
    word[i] = kPaint;
  return region;
}

__attribute__((no_sanitize("address", "thread"))) size_t untouchedBytes(const StackRegion &region) {
  const volatile uint64_t *word = reinterpret_cast<const volatile uint64_t *>(region.low);
  size_t n = 0;
  while (n < region.painted / 8 && word[n] == kPaint)
    ++n;
  return n * 8;
}

size_t freeBelowCurrentFrame() {
  const uint8_t *low = nullptr;
  size_t size = 0;
  if (!stackBounds(low, size))
    return 0;
  const uint8_t *frame = currentFrame();
  return frame > low ? static_cast<size_t>(frame - low) : 0;
}

}  // namespace asynctcp::esp32
