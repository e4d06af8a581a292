// ClientLog records every callback of an AsyncClient and checks the contract as they come
// (order, reentrancy, nothing after delete); Sender pumps a stream from callbacks.
#include "test_support.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gtest/gtest.h>

#if defined(ASYNCTCP_BACKEND_LWIP)
extern "C" {
#include "lwip/tcp.h"  // TCP_SND_BUF
}
#include "lwip/tap_link.h"
#endif

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace tst {

struct ClientLog::Guard {
  ClientLog *log;
  Guard(ClientLog *l, const std::string &event) : log(l) { log->record(event); }
  ~Guard() {
    std::lock_guard<std::mutex> lock(log->_m);
    log->_depth--;
  }
};

void ClientLog::record(const std::string &event) {
  std::lock_guard<std::mutex> lock(_m);
  if (_depth > 0)
    _reentrant++;
  _depth++;
  if (_ended)
    _late++;
  _events.push_back(event);
  _threads.insert(std::this_thread::get_id());
}

void ClientLog::attach(AsyncClient &c, ClientHooks hooks) {
  {
    std::lock_guard<std::mutex> lock(_m);
    _hooks = std::move(hooks);
  }
  // Each handler copies `this` into a local first: a hook may delete the client, which destroys
  // this closure, so nothing captured may be touched after the hook returns.
  c.onConnect([this](void *, AsyncClient *cl) {
    ClientLog *self = this;
    Guard g(self, "connect");
    {
      std::lock_guard<std::mutex> lock(self->_m);
      self->_connects++;
    }
    if (self->_hooks.onConnect)
      self->_hooks.onConnect(cl);
  });
  c.onDisconnect([this](void *, AsyncClient *cl) {
    ClientLog *self = this;
    Guard g(self, "disconnect");
    {
      std::lock_guard<std::mutex> lock(self->_m);
      self->_disconnects++;
      self->_ended = true;
      self->_disconnectTime = Clock::now();
    }
    if (self->_hooks.onDisconnect)
      self->_hooks.onDisconnect(cl);
  });
  c.onError([this](void *, AsyncClient *cl, int8_t err) {
    ClientLog *self = this;
    Guard g(self, "error:" + std::to_string(err));
    {
      std::lock_guard<std::mutex> lock(self->_m);
      self->_errors.push_back(err);
    }
    if (self->_hooks.onError)
      self->_hooks.onError(cl, err);
  });
  c.onData([this](void *, AsyncClient *cl, void *data, size_t len) {
    ClientLog *self = this;
    Guard g(self, "data");
    {
      std::lock_guard<std::mutex> lock(self->_m);
      self->_data.append(static_cast<const char *>(data), len);
      // Keep the event list short during bulk transfers.
      if (self->_events.size() > 1 && self->_events[self->_events.size() - 2] == "data")
        self->_events.pop_back();
    }
    if (self->_hooks.onData)
      self->_hooks.onData(cl, data, len);
  });
  c.onAck([this](void *, AsyncClient *cl, size_t len, uint32_t time) {
    ClientLog *self = this;
    Guard g(self, "ack");
    {
      std::lock_guard<std::mutex> lock(self->_m);
      self->_acked += len;
      self->_ackCalls++;
      if (self->_events.size() > 1 && self->_events[self->_events.size() - 2] == "ack")
        self->_events.pop_back();
    }
    if (self->_hooks.onAck)
      self->_hooks.onAck(cl, len, time);
  });
  c.onTimeout([this](void *, AsyncClient *cl, uint32_t time) {
    ClientLog *self = this;
    Guard g(self, "timeout");
    {
      std::lock_guard<std::mutex> lock(self->_m);
      self->_timeouts++;
      self->_timeoutValues.push_back(time);
    }
    if (self->_hooks.onTimeout)
      self->_hooks.onTimeout(cl, time);
  });
  c.onPoll([this](void *, AsyncClient *cl) {
    ClientLog *self = this;
    Guard g(self, "poll");
    {
      std::lock_guard<std::mutex> lock(self->_m);
      self->_polls++;
      self->_pollTimes.push_back(Clock::now());
      if (self->_events.size() > 1 && self->_events[self->_events.size() - 2] == "poll")
        self->_events.pop_back();
    }
    if (self->_hooks.onPoll)
      self->_hooks.onPoll(cl);
  });
}

#define TST_LOCKED(expr)                  \
  do {                                    \
    std::lock_guard<std::mutex> lock(_m); \
    return expr;                          \
  } while (0)

int ClientLog::connects() const {
  TST_LOCKED(_connects);
}
int ClientLog::disconnects() const {
  TST_LOCKED(_disconnects);
}
int ClientLog::polls() const {
  TST_LOCKED(_polls);
}
int ClientLog::timeouts() const {
  TST_LOCKED(_timeouts);
}
std::vector<int> ClientLog::errors() const {
  TST_LOCKED(_errors);
}
std::vector<std::string> ClientLog::events() const {
  TST_LOCKED(_events);
}
std::string ClientLog::data() const {
  TST_LOCKED(_data);
}
size_t ClientLog::received() const {
  TST_LOCKED(_data.size());
}
size_t ClientLog::acked() const {
  TST_LOCKED(_acked);
}
size_t ClientLog::ackCalls() const {
  TST_LOCKED(_ackCalls);
}
std::vector<Clock::time_point> ClientLog::pollTimes() const {
  TST_LOCKED(_pollTimes);
}
std::vector<uint32_t> ClientLog::timeoutValues() const {
  TST_LOCKED(_timeoutValues);
}
Clock::time_point ClientLog::disconnectTime() const {
  TST_LOCKED(_disconnectTime);
}
std::set<std::thread::id> ClientLog::callbackThreads() const {
  TST_LOCKED(_threads);
}
std::vector<std::string> ClientLog::lifecycle() const {
  std::vector<std::string> out;
  for (const auto &e : events()) {
    if (e == "connect" || e == "disconnect" || e.rfind("error:", 0) == 0)
      out.push_back(e);
  }
  return out;
}
int ClientLog::lateCallbacks() const {
  TST_LOCKED(_late);
}
int ClientLog::reentrantCallbacks() const {
  TST_LOCKED(_reentrant);
}

#undef TST_LOCKED

bool ClientLog::waitConnected(milliseconds timeout) const {
  return waitFor([&] { return connects() > 0; }, timeout);
}
bool ClientLog::waitDisconnected(milliseconds timeout) const {
  return waitFor([&] { return disconnects() > 0; }, timeout);
}
bool ClientLog::waitReceived(size_t bytes, milliseconds timeout) const {
  return waitFor([&] { return received() >= bytes; }, timeout);
}
bool ClientLog::waitAcked(size_t bytes, milliseconds timeout) const {
  return waitFor([&] { return acked() >= bytes; }, timeout);
}

void ClientLog::markDeleted() {
  std::lock_guard<std::mutex> lock(_m);
  _ended = true;
}

void ClientLog::resetForReconnect() {
  std::lock_guard<std::mutex> lock(_m);
  _ended = false;
}

// ---------------------------------------------------------------------------------------------

void Sender::pump(AsyncClient *c) {
  size_t sent = _sent.load();
  bool queued = false;
  while (sent < _payload.size()) {
    size_t want = std::min(_maxChunk, _payload.size() - sent);
    size_t n = c->add(_payload.data() + sent, want, _flags);
    if (n == 0)
      break;
    sent += n;
    queued = true;
  }
  _sent = sent;
  if (queued)
    c->send();
}

RawSocket connectAndAccept(AsyncClient &c, const ClientLog &log, RawListener &listener) {
  return connectAndAccept(c, log, listener, listener.ip());
}

RawSocket connectAndAccept(AsyncClient &c, const ClientLog &log, RawListener &listener,
                           const IPAddress &ip) {
  if (!c.connect(ip, listener.port()))
    return RawSocket();
  RawSocket peer = listener.accept(5000ms);
  if (!peer.valid() || !log.waitConnected(5000ms))
    return RawSocket();
  return peer;
}

ClientHooks pumpingHooks(Sender &sender) {
  ClientHooks h;
  h.onConnect = [&sender](AsyncClient *c) { sender.pump(c); };
  h.onAck = [&sender](AsyncClient *c, size_t, uint32_t) { sender.pump(c); };
  h.onPoll = [&sender](AsyncClient *c) { sender.pump(c); };
  return h;
}

}  // namespace tst
