// The stress run's servers: an AsyncServer whose accepted clients echo the stream, or close,
// abort or delete themselves part-way as its header asks, and remember what each connection
// saw so the test can check it once every peer is gone.
#pragma once

#include "stress/stats.h"
#include "stress/stream.h"
#include "test_support.h"

#include <atomic>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace stress {

// Client kinds, carried in the header: 0-5 callback sessions (ClientEnd), 10 remote, 20-24 raw.
std::string kindName(int kind);

// One accepted connection. The fields without atomics are touched on the service thread only.
struct ServerConn {
  Stats *stats;
  uint8_t hdr[kHeader];
  size_t hdrLen = 0;
  bool haveSpec = false;
  StreamSpec spec;
  uint64_t in = 0;  // stream bytes received
  bool acted = false;
  tst::ByteQueue pending;
  size_t movedNotAcked = 0;
  std::atomic<bool> gone{false};  // deleted or disconnected: no callback may follow
  std::atomic<bool> deletedByUs{false};
  std::atomic<int> disconnects{0}, late{0};
  std::atomic<bool> corrupt{false};
  // For diagnostics, readable from any thread.
  std::atomic<int> kindSeen{-1}, modeSeen{-1}, lastEvent{0}, peerPort{0};
  std::atomic<uint64_t> inSeen{0}, pendingSeen{0}, unackedSeen{0};
  std::atomic<bool> actedSeen{false};
  void note(int event);
  std::string describe() const;
};

class StressServer {
public:
  explicit StressServer(Stats &stats);
  void begin();
  void end();
  uint16_t port() const { return _port.load(); }  // 0 while ended
  std::vector<std::shared_ptr<ServerConn>> conns();

private:
  void accept(AsyncClient *c);
  static void flush(ServerConn &sc, AsyncClient *c, bool mayAck);
  static void onData(const std::shared_ptr<ServerConn> &sp, AsyncClient *c, void *data, size_t len);

  Stats &_stats;
  AsyncServer _server;
  std::atomic<uint16_t> _port{0};
  std::mutex _m;
  std::vector<std::shared_ptr<ServerConn>> _conns;
};

}  // namespace stress
