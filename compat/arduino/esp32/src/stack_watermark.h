// The stack high-water mark of a task, measured as FreeRTOS does: the thread paints the
// unused part of its stack with a pattern when it starts, and the bytes still holding the
// pattern at the low end have never been used.
#pragma once

#include <cstddef>
#include <cstdint>

namespace asynctcp::esp32 {

struct StackRegion {
  const uint8_t *low = nullptr;  // lowest usable byte of the stack
  size_t painted = 0;            // bytes painted from `low` up
};

// Paints the calling thread's stack below its current frame.
StackRegion paintOwnStack();
// Bytes at the low end of `region` that still hold the paint.
size_t untouchedBytes(const StackRegion &region);
// Bytes between the calling thread's lowest usable stack address and its current frame.
size_t freeBelowCurrentFrame();

}  // namespace asynctcp::esp32
