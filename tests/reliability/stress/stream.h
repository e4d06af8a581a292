// The stream every stress connection carries: [20-byte header][payload]. The payload is `len`
// bytes of a shared random block starting at `start` (wrapping), so both ends can check any
// byte without storing the stream; the header tells the server how to end the connection.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

namespace stress {

enum class ServerMode : uint8_t { Echo, Close, Abort, Delete };
constexpr size_t kHeader = 20;

const std::string &block();  // the shared random block (1 MiB)

struct StreamSpec {
  ServerMode mode = ServerMode::Echo;
  uint8_t kind = 0;                            // who sends it (for diagnostics): see kindName()
  uint32_t start = 0, len = 0, threshold = 0;  // threshold: payload bytes before the server acts
  uint8_t header[kHeader] = {};

  void encode();
  bool decode(const uint8_t *h);
  uint64_t size() const { return kHeader + uint64_t(len); }
  // The bytes at stream position p, as many as are contiguous (at most max).
  const char *at(uint64_t p, size_t max, size_t *n) const;
  bool matches(uint64_t p, const void *data, size_t len) const;
  std::string contiguous() const;
};

// A stream of random length (mostly small, some up to 512 KiB) that the server ends by `mode`.
StreamSpec randomSpec(ServerMode mode);
ServerMode randomServerMode();  // 70% echo, the rest close, abort or delete part-way

}  // namespace stress
