// The byte streams the network fuzzers send: byte i of every stream is pattern(i), so a
// receiver checks each byte against its offset and any loss, duplication or reordering
// shows at once. The bytes of a stream live in one static buffer (a window of it for
// any offset), so zero-copy writes (no ASYNC_WRITE_FLAG_COPY) stay valid for ever.
#pragma once

#include <cstddef>
#include <cstdint>

namespace fuzz {

constexpr size_t kPatternPeriod = 251;         // prime: a shifted stream never matches
constexpr size_t kMaxPatternRun = 128 * 1024;  // longest window patternAt() gives

// kMaxPatternRun bytes of the stream from `offset` on.
const char *patternAt(uint64_t offset);
// Whether data is the stream's bytes at [offset, offset + len).
bool matchesPattern(const void *data, size_t len, uint64_t offset);

}  // namespace fuzz
