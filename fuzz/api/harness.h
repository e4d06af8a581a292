// The API-sequence fuzzer's model of what it drove: per slot, the AsyncClient it owns and
// a Record of everything the library reported about the slot's current connection. The
// user callbacks (callbacks.cpp) check each report against the record as it happens; the
// end of an input (finish.cpp) checks what must have happened by then.
//
// Threads: the fuzzer's thread runs the program (ops.cpp) and calls the library as
// "another thread"; every callback runs on the service thread. The records are guarded by
// Harness::mu, which is never held across a library call (a call may wait for a callback,
// and a callback takes mu). writeMu serialises one record's writers, so the bytes written
// are the stream in order whichever thread writes.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "AsyncTCP.h"
#include "api/program.h"

namespace fuzz::api {

enum class AckMode : uint8_t { Now, HoldAll, HoldAlternate };

// Where each callback of a record came from, for the invariants.
enum class Cb : uint8_t { Connect, Data, Ack, Poll, Timeout, Error, Disconnect, Packet };

struct Record {
  Record(int s, bool out, AsyncClient *c) : slot(s), outgoing(out), client(c) {}
  const int slot;
  const bool outgoing;        // connect()ed by us, else accepted by the server
  AsyncClient *const client;  // for the callbacks' check only once deleted

  // Guarded by Harness::mu.
  bool started = false;    // a connection began: exactly one end is owed
  bool connected = false;  // onConnect (outgoing), or accepted
  bool errored = false;
  int8_t err = 0;
  bool ended = false;    // onDisconnect ran
  bool deleted = false;  // delete returned: no callback may follow
  bool deletedInError = false;
  int8_t mustErr = 0;        // abort() returned ERR_ABRT: onError(ERR_ABRT) is owed
  bool endedByUs = false;    // close/abort/delete, or a timeout that ends it, was asked for
  bool timeoutSet = false;   // an rx or connect timeout: kept by the client across connects
  bool usePackets = false;   // onPacket instead of onData
  bool noOnAck = false;      // no onAck handler: acks are not reported
  bool refused = false;      // connected to a port nobody listens on
  bool peerFin = false;      // the peer shut down its side after peerTxAtFin bytes
  bool peerReset = false;    // the peer reset the connection
  bool peerWild = false;     // the peer sent a segment no TCP would: anything may follow
  bool peerStalled = false;  // the peer stopped reading (or shrank its window)...
  bool stalledLong = false;  // ...and the clocks jumped meanwhile: the stack may give up
  uint64_t peerTxAtFin = 0;
  uint64_t peerAckable = 0;  // at the peer's reset: what its stack can have acknowledged
  AckMode ackMode = AckMode::Now;
  bool alternate = false;
  uint64_t rxOffset = 0;  // bytes received and checked against the peer's stream
  uint64_t held = 0;      // received and left unacknowledged (ackLater, onPacket)
  uint64_t ackReturned = 0;
  uint64_t peerSent = 0;  // bytes the peer was asked to send (at least what it sent)
  uint64_t accepted = 0;  // bytes add()/write() took
  bool moreTail = false;  // the last bytes taken were written with ASYNC_WRITE_FLAG_MORE
  uint64_t writing = 0;   // size of an add()/write() under way (its acks may come first)
  uint64_t acked = 0;     // onAck's sum
  int borrows = 0;        // the fuzzer's thread is calling the client
  std::vector<struct pbuf *> packets;  // from onPacket, not yet given back
  std::deque<Deferred> deferred;

  std::mutex writeMu;
};

struct Slot {
  AsyncClient *client = nullptr;  // ours to delete; null when none
  Record *rec = nullptr;          // the current connection's (kept after a delete)
  bool awaitingAccept = false;    // the peer connected to the server: onClient hands it over
  uint16_t peerPort = 0;          // the peer's port, to know its connection in onClient
  uint8_t openFlags = 0;
};

struct Harness {
  std::mutex mu;
  std::condition_variable borrowsDone;
  Slot slots[kSlots];
  std::vector<std::unique_ptr<Record>> records;  // freed at the end of the input
  std::atomic<uint64_t> callbacks{0};            // every callback run: settling watches it
  std::thread::id fuzzerThread;
  std::thread::id serviceThread;
  AsyncServer *server = nullptr;  // null while deleted (server.cpp)
  uint16_t serverPort = 0;
  int serverBorrows = 0;
  bool deleteServerInOnClient = false;
};

Harness &harness();

// callbacks.cpp
void installHandlers(AsyncClient *c, Record *r, uint8_t openFlags);
void onClient(void *, AsyncClient *c);
// True while this thread is inside a library call made by a callback: a callback that
// runs then ran inside a public method, which the contract forbids.
extern thread_local bool t_inLibraryCall;
extern thread_local bool t_held;  // a Hold action ran in the current onData

// actions.cpp: one action on a client, from the fuzzer's thread (borrowed) or from one
// of the client's own callbacks (inCallback).
void runAction(Record *r, AsyncClient *c, const Deferred &a, bool inCallback);
void checkAckBound(const Record *r);  // mu held

// ops.cpp
void runProgram(const uint8_t *data, size_t size);
void settle();
void noteClockJump();  // before the clocks move forward

// finish.cpp
void finishInput();

// server.cpp
void serverCreate();  // the first public call: the library (and its stack) starts
void serverListen();  // a server listening, made anew if it was deleted
void serverOp(uint8_t what);
void serverAfterOnClient();

}  // namespace fuzz::api
