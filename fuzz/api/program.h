// The API-sequence fuzzer's input language. An input is a program: each op is one byte
// (op in the high bits, slot in the two low ones) and the few argument bytes that op
// reads. Slots 0-3 each hold at most one AsyncClient and the peer at the other end of
// its connection. Past the end of the input every byte reads as 0, so any prefix of a
// program is a program.
#pragma once

#include <cstdint>

namespace fuzz::api {

constexpr int kSlots = 4;

enum class Op : uint8_t {
  OpenOut,      // flags: a new AsyncClient (or the slot's ended one) connect()s to the peer
  OpenIn,       // flags: the peer connects to the AsyncServer; onClient gives the slot its client
  Act,          // action, arg: one Action, now, from the fuzzer's thread
  Defer,        // event, action, arg: the Action runs inside the slot's next callback of event
  AckMode,      // mode: how onData treats data (AckMode)
  PeerSend,     // len: the peer sends len more bytes of its stream
  PeerReading,  // on: the peer stops or resumes reading (its window closes)
  PeerFin,      // the peer shuts down its sending side
  PeerRst,      // the peer resets the connection
  Advance,      // step: the clocks jump forward (timeouts, polls, lwIP's timers)
  Settle,       // wait until nothing moves any more
  Server,       // what: end(), begin(), delete, delete inside the next onClient, noDelay
#if defined(FUZZ_PACKET_PEER)
  // The packet-level peer's own (peer_packet.cpp): segments no socket would send.
  PeerWindow,   // window: a window update (0 closes it; lwIP then probes)
  PeerReorder,  // len: the next len bytes as two segments, the second one first
  PeerRepeat,   // what is unacknowledged, sent again
  PeerRaw,      // flags, seq and ack offsets, window, length: any segment at all
#endif
  Count
};

// Bits of OpenOut's and OpenIn's flags.
constexpr uint8_t kOpenPackets = 0x01;         // onPacket instead of onData
constexpr uint8_t kOpenNoDelay = 0x02;         // setNoDelay(true)
constexpr uint8_t kOpenLambdas = 0x04;         // handlers as lambdas (the handler table)
constexpr uint8_t kOpenNoOnAck = 0x08;         // no onAck handler (acks learned lazily)
constexpr uint8_t kOpenSmallBuffer = 0x10;     // setSendBuffer(4096)
constexpr uint8_t kOpenRefused = 0x20;         // OpenOut: connect to a port nobody listens on
constexpr uint8_t kOpenConnectTimeout = 0x40;  // OpenOut: setConnectTimeout(50)
constexpr uint8_t kOpenPeerOptions = 0x80;     // packet peer: window scaling, sequence wrap

enum class Action : uint8_t {
  Write,        // arg bytes, flags: write()
  Add,          // arg bytes, flags: add(), no send()
  AddSend,      // arg bytes, flags: add() then send()
  Send,         // send()
  Ack,          // ack(arg)
  AckPacket,    // ackPacket() the oldest packet held
  Hold,         // inside onData: ackLater() this delivery
  Close,        // close()
  Abort,        // abort()
  Delete,       // delete the client
  CloseDelete,  // close(true); delete (the ESP32 idiom in onError)
  RxTimeout,    // setRxTimeout(arg % 4 seconds)
  AckTimeout,   // setAckTimeout(one of 0, 10, 100, 1000 ms)
  NoDelay,      // setNoDelay(arg & 1)
  DropOnAck,    // onAck(nullptr): from a callback only (a setter waits for callbacks)
  Space,        // space(), canSend(), add() and every query, checked against the record
  SendBuffer,   // setSendBuffer(1 KiB << (arg % 8)): a budget below what is in flight
  Timers,       // setPollInterval(0, 10, 100 or 500 ms), setKeepAlive(on or off)
  Count
};

// Where a deferred Action runs: the first callback of this kind (Any: of any kind).
enum class Event : uint8_t { Connect, Data, Ack, Poll, Timeout, Error, Disconnect, Any, Count };

struct Deferred {
  Event event;
  Action action;
  uint8_t flags;  // Write/Add/AddSend: bit 0 ASYNC_WRITE_FLAG_COPY, bit 1 ASYNC_WRITE_FLAG_MORE
  uint16_t arg;
};

}  // namespace fuzz::api
