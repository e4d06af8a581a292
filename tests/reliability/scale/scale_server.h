// The server under test: one AsyncServer whose connections echo their stream (stream.h),
// checking every byte, and act on it as the stream's header asks (close, abort or delete
// part-way; or stay open for another thread's chaos strikes). Handlers are plain functions
// sharing one arg, the ESP32 sketch style. Every connection must end exactly once: one
// onDisconnect, or a delete before it; a callback after that is counted as late.
#pragma once

#include <AsyncTCP.h>

#include <atomic>
#include <cstdint>
#include <mutex>
#include <random>
#include <string>
#include <vector>

#include "conn_table.h"
#include "error_kinds.h"

namespace scale {

// What the server counts. Per-origin counters come in pairs: load peer, then in-process.
enum Counter : int {
  kAccepted,
  kEnded,
  kTableFull,
  kHeadersLoad,
  kHeadersInProcess,
  kNoHeader,
  kBytesIn,
  kBytesOut,
  // Echo plan, ended by the peer without an error: all that arrived was echoed.
  kCleanLoad,
  kCleanInProcess,
  kCleanBytesInLoad,
  kCleanBytesInInProcess,
  kCleanBytesOutLoad,
  kCleanBytesOutInProcess,
  // How connections ended.
  kEndPeer,
  kEndError,
  kEndByPlan,
  kDeletedInCallback,
  kDeletedByChaos,
  kPlanClose,
  kPlanAbort,
  kPlanDelete,
  kChaosClose,
  kChaosAbort,
  kChaosDelete,
  kSwept,  // half-open on lwIP after its TAP link dropped the peer's RST (sweepWithKeepAlive)
  // Failures: each must stay 0.
  kLate,
  kDoubleEnd,
  kDoubleError,
  kCorrupt,
  kBadHeader,
  kDroppedAtCleanEnd,
  kDroppedBytes,
  kCounterCount
};
constexpr Counter kFirstFailure = kLate;
const char *counterName(Counter k);
inline Counter byOrigin(Counter loadCounter, Origin o) {
  return Counter(loadCounter + int(o));
}

struct ServerCounts {
  uint64_t c[kCounterCount] = {};
  uint64_t errors[kErrorKinds] = {};  // onError by kind (errorSlot)
  uint64_t live = 0;
  uint64_t operator[](Counter k) const { return c[k]; }
};

class ScaleServer {
public:
  // capacity: connections open at once (accepted and not yet ended) that the table holds.
  ScaleServer(const IPAddress &bindIp, size_t capacity);
  ~ScaleServer();
  bool listening() const { return _server.status() == LISTEN; }
  uint16_t port() const { return _server.port(); }
  size_t live() const { return _table.live(); }
  void end() { _server.end(); }

  enum class Strike { Close, Abort, Delete };
  // From any thread but the service thread: close(), abort() or delete a random connection
  // of the Chaos plan. False when none was found.
  bool strike(Strike what, std::mt19937_64 &rng);

  ServerCounts counts() const;
  std::vector<std::string> failureDetails();  // the first few, with detail
  std::string describeLive(size_t max);       // the connections still open (for failures)
  // lwIP over its TAP link only. The link drops frames when lwIP's input queue is full, and
  // a dropped RST is never sent again: lwIP's side stays open, as any TCP peer's would
  // without keepalive. This turns keepalive on for every connection still open; lwIP aborts
  // those idle past it, so one whose pcb lwIP still holds ends, while one the library lost
  // track of does not. Returns how many it touched.
  size_t sweepWithKeepAlive();

private:
  // Plain functions with the connection's handle as arg, as ESP32 sketches set them.
  static void onClient(void *self, AsyncClient *c);
  static void onData(void *h, AsyncClient *c, void *data, size_t len);
  static void onAck(void *h, AsyncClient *c, size_t len, uint32_t rtt);
  static void onError(void *h, AsyncClient *c, int8_t err);
  static void onDisconnect(void *h, AsyncClient *c);

  enum class EndHow { Disconnect, DeletedInCallback, DeletedByChaos };
  ConnRecord *lookup(void *h);
  void readHeader(ConnRecord &r, const uint8_t *d, size_t len);
  void echo(ConnRecord &r, AsyncClient *c, const char *d, size_t len);
  void flushPending(ConnRecord &r, AsyncClient *c);
  void act(ConnRecord &r, AsyncClient *c);
  void finish(ConnRecord &r, EndHow how);  // mutex held
  void fail(const std::string &what);

  void bump(Counter k, uint64_t n = 1) { _c[k].fetch_add(n, std::memory_order_relaxed); }

  std::atomic<uint64_t> _c[kCounterCount] = {};
  std::atomic<uint64_t> _errors[kErrorKinds] = {};
  ConnTable _table;
  AsyncServer _server;
  std::mutex _failM;
  std::vector<std::string> _failures;
};

}  // namespace scale
