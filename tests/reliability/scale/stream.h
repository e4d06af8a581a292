// The byte stream every connection of the scale run carries, known to both processes (the
// server under test and the load generator): a 16-byte header, then payload bytes that are a
// function of (stream id, offset). Either end checks any byte without storing what was sent,
// so 100,000 connections cost no memory for checking.
#pragma once

#include <cstddef>
#include <cstdint>

namespace scale {

// What the server does with the connection; the header tells it.
enum class ServerPlan : uint8_t {
  Echo,    // echo everything until the peer ends the connection
  Close,   // close() once `threshold` payload bytes arrived
  Abort,   // abort() once `threshold` payload bytes arrived
  Delete,  // delete the client in onData once `threshold` payload bytes arrived
  Chaos,   // echo, but another thread may close(), abort() or delete it at any moment
  Count
};
enum class Origin : uint8_t { LoadPeer, InProcess, Count };

constexpr size_t kHeaderSize = 16;

struct StreamHeader {
  uint32_t id = 0;
  ServerPlan plan = ServerPlan::Echo;
  Origin origin = Origin::LoadPeer;
  uint32_t threshold = 0;  // payload bytes before the server acts (Close, Abort, Delete)

  void encode(uint8_t out[kHeaderSize]) const;
  bool decode(const uint8_t in[kHeaderSize]);  // false: not a header (bad magic or checksum)
};

// The stream's bytes [offset, offset + n): the encoded header first, then the payload.
void streamBytes(const StreamHeader &h, uint64_t offset, uint8_t *out, size_t n);
// Whether data equals the stream's bytes at offset.
bool streamMatches(const StreamHeader &h, uint64_t offset, const uint8_t *data, size_t n);

}  // namespace scale
