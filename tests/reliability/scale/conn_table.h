// The scale server's per-connection records, in one array made (and so touched) before the
// baseline is sampled: the memory measured per connection is then the library's, not the
// test's bookkeeping. A callback's arg is a handle (index and generation), never a pointer,
// so a callback that arrives for a connection already ended meets a newer generation and is
// counted as late instead of running on reused state.
#pragma once

#include <AsyncTCP.h>

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "stream.h"

namespace scale {

// Service-thread fields first; then what another thread's chaos strike reads, under the
// table's mutex.
struct ConnRecord {
  AsyncClient *client = nullptr;
  std::string *pending = nullptr;  // echo bytes add() has not taken yet (back-pressure)
  uint64_t in = 0, out = 0;        // stream bytes received / handed to add()
  uint32_t held = 0;               // received bytes left unacknowledged (ackLater) until echoed
  StreamHeader header;
  uint8_t head[kHeaderSize] = {};
  uint8_t headLen = 0;
  bool haveHeader = false, acted = false, corrupt = false;
  uint8_t errors = 0, ends = 0;
  std::atomic<uint32_t> gen{0};

  bool live = false;         // mutex
  bool chaosTarget = false;  // mutex: the header asked for the Chaos plan
  bool claimed = false;      // mutex: another thread is deleting the client
  bool ended = false;        // mutex: onDisconnect ran
  bool swept = false;        // mutex: keepalive turned on by sweepWithKeepAlive()
};

class ConnTable {
public:
  explicit ConnTable(size_t capacity);
  void *open(AsyncClient *c);      // a fresh record for c; nullptr when the table is full
  ConnRecord *find(void *handle);  // nullptr: the handle is stale
  void retire(ConnRecord *r);      // call with the mutex held; the record may be reused after
  std::mutex &mutex() { return _m; }
  ConnRecord &at(size_t i) { return _records[i]; }
  size_t capacity() const { return _capacity; }
  size_t live() const { return _live.load(); }

private:
  size_t _capacity;
  std::unique_ptr<ConnRecord[]> _records;
  std::vector<uint32_t> _free;
  std::atomic<size_t> _live{0};
  std::mutex _m;
};

}  // namespace scale
