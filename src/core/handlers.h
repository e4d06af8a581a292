// A client's user callbacks, one per kind of event. Most clients set a few plain
// functions sharing one arg (the ESP32 style): those are kept inline as bare function
// pointers, 8 bytes each instead of a 32-byte std::function and its arg. Lambdas,
// functors and handlers with an arg of their own go to a Table, allocated the first
// time one is needed. A server holds one of these per connection, so it stays small.
#pragma once

#include <cstdint>
#include <functional>
#include <utility>

#include "AsyncTCP.h"

namespace asynctcp {

enum class Ev : uint8_t { Connect, Disconnect, Poll, Ack, Error, Data, Packet, Timeout, Count };

class Handlers {
public:
  Handlers() = default;
  ~Handlers() { delete _table; }
  Handlers(const Handlers &) = delete;
  Handlers &operator=(const Handlers &) = delete;

  // Sets the handler of kind K; an empty cb removes it.
  template <Ev K, class Sig>
  void set(std::function<Sig> cb, void *arg);

  bool has(Ev k) const { return _kinds & (1u << unsigned(k)); }

  // Calls run(fn, arg) with the handler of kind K, a function pointer or a std::function
  // (both called as fn(arg, client, ...)), if one is set; whether one was.
  template <Ev K, class Run>
  [[gnu::always_inline]] inline bool with(Run &&run) const;

private:
  // Every handler as the API takes it: the form used when one cannot be kept inline.
  struct Table {
    AcConnectHandler connect, disconnect, poll;
    AcAckHandler ack;
    AcErrorHandler error;
    AcDataHandler data;
    AcPacketHandler packet;
    AcTimeoutHandler timeout;
    void *args[size_t(Ev::Count)] = {};
  };
  template <Ev K>
  static auto &entry(Table &t);  // the one place that maps a kind to its Table member

  static constexpr int kInline = 3;
  using RawFn = void (*)();
  RawFn _inlineFn[kInline] = {};
  void *_inlineArg = nullptr;  // shared by the inline handlers
  Table *_table = nullptr;
  uint16_t _inlineKinds = 0xFFF;  // the Ev held by each inline slot, 4 bits each; 0xF: free
  uint8_t _kinds = 0;             // a bit per Ev with a handler set, inline or in the table
  static_assert(size_t(Ev::Count) <= 8, "_kinds has a bit per kind");

  // The lowest inline slot holding k, or -1: a zero nibble of _inlineKinds ^ k (a
  // word-parallel test instead of a loop; it runs on every event). A borrow can mark a
  // nibble above a match, never below one, so the lowest mark is exact.
  int slotOf(Ev k) const {
    unsigned x = _inlineKinds ^ (unsigned(k) * 0x111u);
    unsigned zero = (x - 0x111u) & ~x & 0x888u;
    return zero ? __builtin_ctz(zero) / 4 : -1;
  }
  void setSlotKind(int slot, unsigned k) {
    _inlineKinds = uint16_t((_inlineKinds & ~(0xFu << (4 * slot))) | (k << (4 * slot)));
  }
};

template <Ev K>
auto &Handlers::entry(Table &t) {
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
void Handlers::set(std::function<Sig> cb, void *arg) {
  using Ptr = typename detail::FnPtr<std::function<Sig>>::type;
  int slot = slotOf(K);
  if (slot >= 0)
    setSlotKind(slot, 0xF);
  if (_table) {
    entry<K>(*_table) = nullptr;
    _table->args[size_t(K)] = nullptr;
  }
  _kinds = uint8_t(_kinds & ~(1u << unsigned(K)));
  if (!cb)
    return;
  _kinds = uint8_t(_kinds | (1u << unsigned(K)));
  // std::function::target() needs RTTI before libstdc++ 12; without it, every handler
  // takes the table.
#if defined(__cpp_rtti) || (defined(_GLIBCXX_RELEASE) && _GLIBCXX_RELEASE >= 12)
  const Ptr *fp = cb.template target<Ptr>();
  bool inlineUsed = (_inlineKinds & 0xFFF) != 0xFFF;
  int freeSlot = slotOf(Ev(0xF));
  if (fp && freeSlot >= 0 && (!inlineUsed || arg == _inlineArg)) {
    _inlineFn[freeSlot] = reinterpret_cast<RawFn>(*fp);
    _inlineArg = arg;
    setSlotKind(freeSlot, unsigned(K));
    return;
  }
#endif
  if (!_table)
    _table = new Table();
  entry<K>(*_table) = std::move(cb);
  _table->args[size_t(K)] = arg;
}

template <Ev K, class Run>
bool Handlers::with(Run &&run) const {
  using Fn = std::remove_reference_t<decltype(entry<K>(std::declval<Table &>()))>;
  int slot = slotOf(K);
  if (slot >= 0) {
    run(reinterpret_cast<typename detail::FnPtr<Fn>::type>(_inlineFn[slot]), _inlineArg);
    return true;
  }
  if (!_table)
    return false;
  const Fn &fn = entry<K>(*_table);
  if (!fn)
    return false;
  run(fn, _table->args[size_t(K)]);
  return true;
}

}  // namespace asynctcp
