// The other end of each slot's connection, driven by the fuzzer's thread: a Linux socket
// on the posix build (peer_posix.cpp), a raw lwIP pcb on the same stack on the lwIP build
// (peer_lwip.cpp). Chosen at link time, as the library chooses its backend. A peer sends
// the pattern stream (net/pattern.h) and checks every byte it reads against it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>

#include "AsyncTCP.h"

namespace fuzz::api::peer {

struct State {
  bool present = false;  // a connection is there (not reset, not gone)
  bool reading = true;
  bool finSent = false;
  bool rstSent = false;
  bool gotEof = false;
  bool gotRst = false;   // reset by the other side, or failed
  uint64_t tx = 0;       // bytes of the stream sent
  uint64_t rx = 0;       // bytes received and checked
  uint64_t ackable = 0;  // at the peer's reset: the most its stack can have acknowledged
  bool wild = false;     // it sent a segment no TCP would: anything may follow
};

void init();                    // once, before the first input, after the library started
IPAddress serverAddress();      // where the fuzzer's AsyncServer listens
IPAddress peerAddress();        // where the slots' AsyncClients connect
uint16_t listenPort(int slot);  // where the slot's AsyncClient connects
uint16_t closedPort();          // where nothing listens: the connect is refused

// OpenOut: drop the slot's earlier peer, then take the connection the client just made.
void forget(int slot);
bool accept(int slot, uint8_t flags);
// OpenIn: connect to the server. bound(port) runs before the connection is made, so that
// onClient, which may run before connect() returns, knows the slot's connection by port.
// flags: the slot's open flags (the packet peer takes kOpenPeerOptions).
bool connect(int slot, uint16_t serverPort, uint8_t flags,
             const std::function<void(uint16_t)> &bound);

size_t send(int slot, size_t len);
void setReading(int slot, bool on);
void fin(int slot);
void rst(int slot);
State state(int slot);
State stateUnlocked(int slot);  // for a failure report: the failing thread may hold the locks

// Moves what is ready (reads, accepts) and returns a count that changes whenever anything
// moved, here or in the stack: settling waits until it stands still.
uint64_t pump();
void stackBarrier();  // lwIP: the tcpip thread has caught up; posix: nothing to do
void stackTimers();   // after a clock jump: lwIP runs its due timers
// Whether the stack itself ends a connection whose peer stopped taking data once enough
// (virtual) time passed: lwIP aborts after TCP_MAXRTX unanswered retransmissions or window
// probes, onError(ERR_ABRT).
bool stackGivesUp();
// Whether the stack's timers run on real time, which the fuzzer does not move (posix:
// Linux's), so that a long wait must let some pass.
bool stackRunsOnRealTime();
// How far the clocks jump while waiting for acks: past the library's slowest ack probe
// (posix) or lwIP's delayed-ACK timer.
uint64_t ackDelayMs();
// Whether the stack may hold bytes written with ASYNC_WRITE_FLAG_MORE until more come: on
// posix the flag is MSG_MORE, which Linux keeps up to 200 ms (real time) for a next write.
bool moreHoldsData();

#if defined(FUZZ_PACKET_PEER)
void window(int slot, uint16_t window);
void reorder(int slot, size_t len);
void repeat(int slot);
void raw(int slot, uint8_t flags, int16_t seqOffset, int16_t ackOffset, uint16_t window,
         size_t len);
#endif

void resetAll();      // end of input: every peer resets, listeners are drained
void checkNoLeaks();  // end of input, all clients deleted: the stack holds nothing of ours

}  // namespace fuzz::api::peer
