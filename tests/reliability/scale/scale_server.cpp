#include "scale_server.h"

#include <algorithm>
#include <cstring>

namespace scale {

namespace {
ScaleServer *g_self = nullptr;  // handles carry no server pointer: one server per process

// add() as much as the send budget takes, then push it; returns the bytes taken.
size_t addSome(AsyncClient *c, const char *d, size_t len) {
  size_t done = 0;
  while (done < len) {
    const size_t room = c->space();
    if (room == 0)
      break;
    const size_t took = c->add(d + done, std::min(room, len - done));
    if (took == 0)
      break;
    done += took;
  }
  if (done)
    c->send();
  return done;
}
}  // namespace

const char *counterName(Counter k) {
  static const char *const names[kCounterCount] = {"accepted",
                                                   "ended",
                                                   "table_full",
                                                   "headers_load",
                                                   "headers_in_process",
                                                   "no_header",
                                                   "bytes_in",
                                                   "bytes_out",
                                                   "clean_load",
                                                   "clean_in_process",
                                                   "clean_bytes_in_load",
                                                   "clean_bytes_in_in_process",
                                                   "clean_bytes_out_load",
                                                   "clean_bytes_out_in_process",
                                                   "end_peer",
                                                   "end_error",
                                                   "end_by_plan",
                                                   "deleted_in_callback",
                                                   "deleted_by_chaos",
                                                   "plan_close",
                                                   "plan_abort",
                                                   "plan_delete",
                                                   "chaos_close",
                                                   "chaos_abort",
                                                   "chaos_delete",
                                                   "ended_by_keepalive_sweep",
                                                   "late_callbacks",
                                                   "double_ends",
                                                   "double_errors",
                                                   "corrupt_streams",
                                                   "bad_headers",
                                                   "echo_dropped_at_clean_end",
                                                   "echo_dropped_bytes"};
  return names[k];
}

ScaleServer::ScaleServer(const IPAddress &bindIp, size_t capacity)
    : _table(capacity), _server(bindIp, 0) {
  g_self = this;
  _server.onClient(onClient, this);
  _server.begin();
}

ScaleServer::~ScaleServer() {
  _server.end();
  // Whatever is still open (a failed run) is deleted here, outside the table's lock: a
  // callback running now may be waiting for that lock, and delete waits for the callback.
  std::vector<std::pair<ConnRecord *, AsyncClient *>> left;
  {
    std::lock_guard<std::mutex> lock(_table.mutex());
    for (size_t i = 0; i < _table.capacity(); ++i) {
      ConnRecord &r = _table.at(i);
      if (r.live && !r.claimed) {
        r.claimed = true;
        left.emplace_back(&r, r.client);
      }
    }
  }
  for (auto &l : left)
    delete l.second;
  std::lock_guard<std::mutex> lock(_table.mutex());
  for (auto &l : left)
    _table.retire(l.first);
  g_self = nullptr;
}

void ScaleServer::fail(const std::string &what) {
  std::lock_guard<std::mutex> lock(_failM);
  if (_failures.size() < 20)
    _failures.push_back(what);
}

std::vector<std::string> ScaleServer::failureDetails() {
  std::lock_guard<std::mutex> lock(_failM);
  return _failures;
}

std::string ScaleServer::describeLive(size_t max) {
  std::string out;
  std::lock_guard<std::mutex> lock(_table.mutex());
  for (size_t i = 0; i < _table.capacity() && max; ++i) {
    const ConnRecord &r = _table.at(i);
    if (!r.live)
      continue;
    --max;
    out += "\n      stream " + std::to_string(r.header.id) + " origin " +
           std::to_string(int(r.header.origin)) + " plan " + std::to_string(int(r.header.plan)) +
           (r.haveHeader ? "" : " (no header)") + ": in " + std::to_string(r.in) + ", out " +
           std::to_string(r.out) + ", pending " +
           std::to_string(r.pending ? r.pending->size() : 0) + ", held " + std::to_string(r.held) +
           ", errors " + std::to_string(r.errors) + ", acted " + std::to_string(r.acted) +
           ", port " + std::to_string(r.client && !r.claimed ? r.client->remotePort() : 0) +
           ", state " + std::to_string(r.client && !r.claimed ? int(r.client->state()) : -1);
  }
  return out;
}

size_t ScaleServer::sweepWithKeepAlive() {
  std::lock_guard<std::mutex> lock(_table.mutex());
  size_t n = 0;
  for (size_t i = 0; i < _table.capacity(); ++i) {
    ConnRecord &r = _table.at(i);
    if (!r.live || r.claimed || r.ended)
      continue;
    r.swept = true;
    r.client->setKeepAlive(1000, 1);
    ++n;
  }
  return n;
}

ServerCounts ScaleServer::counts() const {
  ServerCounts out;
  for (int k = 0; k < kCounterCount; ++k)
    out.c[k] = _c[k].load(std::memory_order_relaxed);
  for (int k = 0; k < kErrorKinds; ++k)
    out.errors[k] = _errors[k].load(std::memory_order_relaxed);
  out.live = _table.live();
  return out;
}

ConnRecord *ScaleServer::lookup(void *h) {
  ConnRecord *r = _table.find(h);
  if (!r || r->ends > 0) {  // retired, or its onDisconnect ran (a chaos delete is pending)
    bump(kLate);
    fail("a callback for a connection that had ended");
    return nullptr;
  }
  return r;
}

void ScaleServer::onClient(void *self, AsyncClient *c) {
  auto &s = *static_cast<ScaleServer *>(self);
  s.bump(kAccepted);
  void *h = s._table.open(c);
  if (!h) {
    s.bump(kTableFull);
    s.bump(kEnded);
    s.fail("the connection table is full");
    delete c;
    return;
  }
  // Three plain-function handlers sharing one arg are kept inline by the library; a fourth
  // goes to its handler table (a real server sets onError, so the measurement includes it).
  c->onData(onData, h);
  c->onAck(onAck, h);
  c->onDisconnect(onDisconnect, h);
  c->onError(onError, h);
}

void ScaleServer::readHeader(ConnRecord &r, const uint8_t *d, size_t len) {
  const size_t take = std::min(len, kHeaderSize - r.headLen);
  std::memcpy(r.head + r.headLen, d, take);
  r.headLen = uint8_t(r.headLen + take);
  if (r.headLen < kHeaderSize)
    return;
  if (!r.header.decode(r.head)) {
    r.corrupt = true;
    bump(kBadHeader);
    fail("a stream began with a bad header");
    return;
  }
  r.haveHeader = true;
  bump(byOrigin(kHeadersLoad, r.header.origin));
  if (r.header.plan == ServerPlan::Chaos) {
    std::lock_guard<std::mutex> lock(_table.mutex());
    r.chaosTarget = true;
  }
}

void ScaleServer::onData(void *h, AsyncClient *c, void *data, size_t len) {
  ScaleServer &s = *g_self;
  ConnRecord *r = s.lookup(h);
  if (!r)
    return;
  s.bump(kBytesIn, len);
  const auto *d = static_cast<const uint8_t *>(data);
  if (!r->haveHeader && !r->corrupt)
    s.readHeader(*r, d, len);
  if (r->haveHeader && !r->corrupt && !streamMatches(r->header, r->in, d, len)) {
    r->corrupt = true;
    s.bump(kCorrupt);
    s.fail("stream " + std::to_string(r->header.id) + ": received bytes that were not sent, at " +
           std::to_string(r->in));
  }
  r->in += len;
  s.echo(*r, c, static_cast<const char *>(data), len);
  const ServerPlan plan = r->header.plan;
  if (r->haveHeader && !r->acted && r->in >= kHeaderSize + r->header.threshold &&
      (plan == ServerPlan::Close || plan == ServerPlan::Abort || plan == ServerPlan::Delete))
    s.act(*r, c);
}

void ScaleServer::echo(ConnRecord &r, AsyncClient *c, const char *d, size_t len) {
  if (!r.pending) {
    const size_t done = addSome(c, d, len);
    r.out += done;
    bump(kBytesOut, done);
    if (done == len)
      return;
    r.pending = new std::string(d + done, len - done);
  } else {
    r.pending->append(d, len);
  }
  // The budget is full: hold the read unacknowledged, so the window closes on the peer.
  c->ackLater();
  r.held += uint32_t(len);
}

void ScaleServer::flushPending(ConnRecord &r, AsyncClient *c) {
  if (!r.pending)
    return;
  const size_t done = addSome(c, r.pending->data(), r.pending->size());
  r.out += done;
  bump(kBytesOut, done);
  r.pending->erase(0, done);
  if (!r.pending->empty())
    return;
  delete r.pending;
  r.pending = nullptr;
  c->ack(r.held);  // everything is echoed: read on
  r.held = 0;
}

void ScaleServer::onAck(void *h, AsyncClient *c, size_t, uint32_t) {
  ScaleServer &s = *g_self;
  if (ConnRecord *r = s.lookup(h))
    s.flushPending(*r, c);
}

void ScaleServer::act(ConnRecord &r, AsyncClient *c) {
  r.acted = true;
  switch (r.header.plan) {
    case ServerPlan::Close:
      bump(kPlanClose);
      c->close();
      return;
    case ServerPlan::Abort:
      bump(kPlanAbort);
      c->abort();
      return;
    case ServerPlan::Delete: {
      bump(kPlanDelete);
      {
        std::lock_guard<std::mutex> lock(_table.mutex());
        finish(r, EndHow::DeletedInCallback);
      }
      delete c;
      return;
    }
    default:
      return;
  }
}

void ScaleServer::onError(void *h, AsyncClient *, int8_t err) {
  ScaleServer &s = *g_self;
  ConnRecord *r = s.lookup(h);
  if (!r)
    return;
  if (++r->errors > 1) {
    s.bump(kDoubleError);
    s.fail("onError twice for one connection");
  }
  s._errors[errorSlot(err)].fetch_add(1, std::memory_order_relaxed);
}

void ScaleServer::onDisconnect(void *h, AsyncClient *c) {
  ScaleServer &s = *g_self;
  ConnRecord *r = s.lookup(h);
  if (!r)
    return;
  r->ends++;
  {
    std::lock_guard<std::mutex> lock(s._table.mutex());
    r->ended = true;
    if (r->claimed)
      return;  // another thread is deleting the client; it finishes the record
    s.finish(*r, EndHow::Disconnect);
  }
  delete c;
}

void ScaleServer::finish(ConnRecord &r, EndHow how) {
  bump(kEnded);
  if (how == EndHow::DeletedInCallback)
    bump(kDeletedInCallback);
  else if (how == EndHow::DeletedByChaos)
    bump(kDeletedByChaos);
  else
    bump(r.errors ? kEndError : r.acted ? kEndByPlan : kEndPeer);
  if (!r.haveHeader)
    bump(kNoHeader);
  if (r.swept)
    bump(kSwept);
  if (r.ends > 1) {
    bump(kDoubleEnd);
    fail("onDisconnect twice for one connection");
  }
  // A peer's clean end of an echo stream: everything that arrived went back out.
  if (how == EndHow::Disconnect && !r.errors && !r.acted && r.haveHeader &&
      r.header.plan == ServerPlan::Echo) {
    const Origin o = r.header.origin;
    bump(byOrigin(kCleanLoad, o));
    bump(byOrigin(kCleanBytesInLoad, o), r.in);
    bump(byOrigin(kCleanBytesOutLoad, o), r.out);
    if (r.out != r.in) {
      bump(kDroppedAtCleanEnd);
      bump(kDroppedBytes, r.in - r.out);
      fail("stream " + std::to_string(r.header.id) + " ended cleanly with " +
           std::to_string(r.in - r.out) + " received bytes never echoed");
    }
  }
  _table.retire(&r);
}

bool ScaleServer::strike(Strike what, std::mt19937_64 &rng) {
  std::unique_lock<std::mutex> lock(_table.mutex());
  ConnRecord *r = nullptr;
  for (int i = 0; i < 64 && !r; ++i) {
    ConnRecord &c = _table.at(size_t(rng() % _table.capacity()));
    if (c.live && c.chaosTarget && !c.claimed && !c.ended)
      r = &c;
  }
  if (!r)
    return false;
  AsyncClient *c = r->client;
  if (what == Strike::Close) {
    bump(kChaosClose);
    c->close();  // its onDisconnect waits for our lock, so c stays alive meanwhile
    return true;
  }
  if (what == Strike::Abort) {
    bump(kChaosAbort);
    c->abort();
    return true;
  }
  bump(kChaosDelete);
  r->claimed = true;
  lock.unlock();
  delete c;  // waits for a callback of c that runs now; none runs after
  lock.lock();
  finish(*r, r->ends ? EndHow::Disconnect : EndHow::DeletedByChaos);
  return true;
}

}  // namespace scale
