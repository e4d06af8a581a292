// The state of one AsyncClient, owned by the service thread. It outlives the
// AsyncClient when the user deletes the client inside a callback: the dispatch
// code checks `owner` after every callback and the service frees it later.
//
// A server holds one of these per connection, so it is kept small (one 128-byte
// malloc chunk): what most connections never use lives out of line (ClientExtra).
#pragma once

#include <cstdint>
#include <functional>
#include <utility>

#include "AsyncTCP.h"
#include "backends/backend.h"
#include "core/service.h"

namespace asynctcp {

enum class Ev : uint8_t { Connect, Disconnect, Poll, Ack, Error, Data, Packet, Timeout, Count };

// Every handler as the API takes it: the form used when a handler cannot be
// kept as a bare function pointer.
struct HandlerTable {
  AcConnectHandler connect, disconnect, poll;
  AcAckHandler ack;
  AcErrorHandler error;
  AcDataHandler data;
  AcPacketHandler packet;
  AcTimeoutHandler timeout;
  void *args[size_t(Ev::Count)] = {};
};

// What few connections need: DNS, v6 addresses, settings away from their default.
struct ClientExtra {
  backend::DnsQuery *dns = nullptr;
  uint16_t connectPort = 0;
  uint32_t rxTimeoutS = 0;
  uint32_t connectTimeoutMs = CONFIG_ASYNC_TCP_CONNECT_TIMEOUT_MS;
  size_t sendBuffer = 0;        // when it does not fit ClientImpl's 32 bits
  IPAddress localIp, remoteIp;  // when either is not v4
};

// Receive window kept in user space: past this much held-back data the backend
// stops reading, the kernel window closes and the peer is flow-controlled.
constexpr size_t kRxWindow = 64 * 1024;

struct ClientImpl {
  explicit ClientImpl(AsyncClient *o)
      : owner(o),
        noDelay(false),
        ackNow(true),
        reading(true),
        finHeld(false),
        endPending(false),
        txPending(false),
        addrInExtra(false),
        pushPending(false) {}
  ~ClientImpl();
  ClientImpl(const ClientImpl &) = delete;
  ClientImpl &operator=(const ClientImpl &) = delete;

  AsyncClient *owner;  // null once the user deleted the client
  backend::Conn *conn = nullptr;
  ClientExtra *extra = nullptr;

private:
  // Handler storage (see setHandler); pointers first, so the struct packs tight.
  static constexpr int kInlineHandlers = 3;
  using RawFn = void (*)();
  RawFn inlineFn[kInlineHandlers] = {};
  void *inlineArg = nullptr;  // shared by the inline handlers
  HandlerTable *table = nullptr;

public:
  // The user's callbacks. Most clients set a few handlers, plain functions
  // sharing one arg (the ESP32 style): those are kept inline as bare function
  // pointers, 8 bytes each instead of a 32-byte std::function and its arg.
  // Lambdas, functors and handlers with an arg of their own go to a
  // HandlerTable, allocated the first time one is set.
  template <Ev K, class Sig>
  void setHandler(std::function<Sig> cb, void *arg);  // an empty cb removes it
  bool hasHandler(Ev k) const { return handlerKinds & (1u << unsigned(k)); }
  template <Ev K, class... A>
  [[gnu::always_inline]] inline bool callHandler(
      A... a);  // runs the handler of kind K if set; whether one ran

  // Timestamps: the low 32 bits of os::nowMs(), all in the past, so a 64-bit
  // time is recovered from their age (see since()). Reset on every connect so a
  // reused client never sees stale ones.
  uint32_t lastPollAt = 0;  // while connecting: when the connect started
  uint32_t lastRxAt = 0;
  uint32_t txPendingSince = 0;  // valid while txPending

  // Settings (kept across reconnects, as on ESP32).
  uint32_t ackTimeoutMs = CONFIG_ASYNC_TCP_MAX_ACK_TIME;
  uint32_t pollIntervalMs = CONFIG_ASYNC_TCP_POLL_INTERVAL_MS;
  uint32_t sendBuffer32 = CONFIG_ASYNC_TCP_SEND_BUFFER;  // UINT32_MAX: see extra

  uint32_t rxHeld = 0;               // received, held back by ackLater()/onPacket, not yet acked
  uint32_t trackIndex = UINT32_MAX;  // position in the service's timer list

  // Kept after the connection ends so onDisconnect can still read them (v4
  // here; otherwise in extra, with addrInExtra set).
  uint32_t localIp4 = 0, remoteIp4 = 0;
  uint16_t localPort = 0, remotePort = 0;

  int16_t lastErrno = 0;
  uint16_t inlineKinds = 0xFFF;  // the Ev held by each inline slot, 4 bits each; 0xF: free
  uint8_t state = CLOSED;
  uint8_t handlerKinds = 0;  // a bit per Ev with a handler set, inline or in the table
  err_t endErr = ERR_OK;
  bool noDelay : 1;
  bool ackNow : 1;      // cleared by ackLater() for the current delivery
  bool reading : 1;     // whether the backend reads this connection
  bool finHeld : 1;     // the peer's FIN, waiting behind data held by ackLater()
  bool endPending : 1;  // onError/onDisconnect scheduled
  bool txPending : 1;   // sent data not yet acknowledged: txPendingSince runs
  bool addrInExtra : 1;
  bool pushPending : 1;  // add() without send(): pushed when the current callback returns

private:
  // The lowest inline slot holding k, or -1: a zero nibble of inlineKinds ^ k
  // (a word-parallel test instead of a loop; it runs on every event). A borrow can
  // mark a nibble above a match, never below one, so the lowest mark is exact.
  int slotOf(Ev k) const {
    unsigned x = inlineKinds ^ (unsigned(k) * 0x111u);
    unsigned zero = (x - 0x111u) & ~x & 0x888u;
    return zero ? __builtin_ctz(zero) / 4 : -1;
  }
  void setSlotKind(int slot, unsigned k) {
    inlineKinds = uint16_t((inlineKinds & ~(0xFu << (4 * slot))) | (k << (4 * slot)));
  }
  template <Ev K>
  static auto &entry(HandlerTable &t);

public:
  // Settings and addresses.
  uint32_t rxTimeoutS() const { return extra ? extra->rxTimeoutS : 0; }
  void setRxTimeout(uint32_t s);
  uint32_t connectTimeoutMs() const {
    return extra ? extra->connectTimeoutMs : CONFIG_ASYNC_TCP_CONNECT_TIMEOUT_MS;
  }
  void setConnectTimeout(uint32_t ms);
  size_t sendBuffer() const {
    return sendBuffer32 == UINT32_MAX ? extra->sendBuffer : sendBuffer32;
  }
  void setSendBuffer(size_t bytes);
  IPAddress localIp() const;
  IPAddress remoteIp() const;
  backend::DnsQuery *dns() const { return extra ? extra->dns : nullptr; }
  ClientExtra &ensureExtra();

  // Starting.
  void attachAccepted(backend::Conn *c, bool serverNoDelay);
  bool connectTo(const IPAddress &ip, uint16_t port);
  bool connectToHost(const char *host, uint16_t port);

  // Stopping.
  void close();
  void abort(err_t reason);
  // A connection, a connect or a name lookup that has not ended yet.
  bool live() const { return conn || dns() || state != CLOSED; }
  void detachOwner();  // the user deleted the AsyncClient
  void deliverEnd();   // called by the service: onError, then onDisconnect

  // Sending and receiving.
  size_t add(const char *data, size_t size, uint8_t flags, bool pushNow) {  // inline: every write
    if (!data || !size || state != ESTABLISHED || !conn)
      return 0;
    size_t n = backend::add(conn, data, size, flags, pushNow);
    if (n && pushNow)
      noteSent();
    else if (n && !pushPending)
      schedulePush();
    return n;
  }
  bool send();
  size_t ack(size_t len);
  void release(size_t len);  // held data acknowledged: open the window, maybe resume reading

  // Events from the backend.
  void onConnected();
  void onReceived(const uint8_t *data, size_t len);
  void onReceivedPackets(struct pbuf *chain);
  [[gnu::noinline]] void deliverPackets(const uint8_t *data, size_t len);  // onPacket set
  void onFin();
  void onAcked(size_t len);
  void onFailed(err_t err, int sysErr);
  void onResolved(const IPAddress *ip);

  // Timers: fires what is due; returns the next deadline (UINT64_MAX: none).
  uint64_t nextDeadline(uint64_t now) const;
  void fireTimers(uint64_t now);
  void restartPoll(uint64_t now) {
    if (state != SYN_SENT)  // there lastPollAt times the connect
      lastPollAt = uint32_t(now);
  }

  // A stored timestamp as a full os::nowMs() value, given now.
  static uint64_t since(uint32_t stamp, uint64_t now) {
    return now - uint32_t(uint32_t(now) - stamp);
  }

private:
  void beginConnection(uint64_t now);
  void end(err_t err);
  void setAddresses(const IPAddress &local, uint16_t lport, const IPAddress &remote,
                    uint16_t rport);
  void cacheAddresses();
  void noteSent() {
    if (!txPending)
      startAckTimer();
  }
  void startAckTimer();
  void schedulePush();
  void limitReading() {
    if (rxHeld >= kRxWindow)
      stopReading();
  }
  void stopReading();
  void setDns(backend::DnsQuery *q) { ensureExtra().dns = q; }
};

// ---- handlers ----

template <Ev K>
auto &ClientImpl::entry(HandlerTable &t) {
  if constexpr (K == Ev::Connect)
    return t.connect;
  else if constexpr (K == Ev::Disconnect)
    return t.disconnect;
  else if constexpr (K == Ev::Poll)
    return t.poll;
  else if constexpr (K == Ev::Ack)
    return t.ack;
  else if constexpr (K == Ev::Error)
    return t.error;
  else if constexpr (K == Ev::Data)
    return t.data;
  else if constexpr (K == Ev::Packet)
    return t.packet;
  else
    return t.timeout;
}

namespace detail {
template <class F>
struct FnPtr;
template <class R, class... A>
struct FnPtr<std::function<R(A...)>> {
  using type = R (*)(A...);
};
}  // namespace detail

template <Ev K, class Sig>
void ClientImpl::setHandler(std::function<Sig> cb, void *arg) {
  using Ptr = typename detail::FnPtr<std::function<Sig>>::type;
  int slot = slotOf(K);
  if (slot >= 0)
    setSlotKind(slot, 0xF);
  if (table) {
    entry<K>(*table) = nullptr;
    table->args[size_t(K)] = nullptr;
  }
  static_assert(size_t(Ev::Count) <= 8, "handlerKinds has a bit per kind");
  handlerKinds = uint8_t(handlerKinds & ~(1u << unsigned(K)));
  if (!cb)
    return;
  handlerKinds = uint8_t(handlerKinds | (1u << unsigned(K)));
  // std::function::target() needs RTTI before libstdc++ 12; without it, every
  // handler takes the table.
#if defined(__cpp_rtti) || (defined(_GLIBCXX_RELEASE) && _GLIBCXX_RELEASE >= 12)
  const Ptr *fp = cb.template target<Ptr>();
  bool inlineUsed = (inlineKinds & 0xFFF) != 0xFFF;
  int freeSlot = slotOf(Ev(0xF));
  if (fp && freeSlot >= 0 && (!inlineUsed || arg == inlineArg)) {
    inlineFn[freeSlot] = reinterpret_cast<RawFn>(*fp);
    inlineArg = arg;
    setSlotKind(freeSlot, unsigned(K));
    return;
  }
#endif
  if (!table)
    table = new HandlerTable();
  entry<K>(*table) = std::move(cb);
  table->args[size_t(K)] = arg;
}

// The handler runs without the core lock (Service::runCallback): what it needs is read
// before. Another thread replacing this client's handlers or deleting it waits for the
// callback to end (Service::waitOutCallbacksOf), so the handler stays valid.
template <Ev K, class... A>
bool ClientImpl::callHandler(A... a) {
  using Fn = std::remove_reference_t<decltype(entry<K>(std::declval<HandlerTable &>()))>;
  AsyncClient *const user = owner;
  int slot = slotOf(K);
  if (slot >= 0) {
    auto fn = reinterpret_cast<typename detail::FnPtr<Fn>::type>(inlineFn[slot]);
    void *const arg = inlineArg;
    Service::runCallback(this, [&] { fn(arg, user, a...); });
    return true;
  }
  if (!table)
    return false;
  Fn &fn = entry<K>(*table);
  if (!fn)
    return false;
  void *const arg = table->args[size_t(K)];
  Service::runCallback(this, [&] { fn(arg, user, a...); });
  return true;
}

}  // namespace asynctcp
