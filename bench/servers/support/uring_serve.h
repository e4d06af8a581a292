// The part of a hand-written io_uring benchmark server that is the same for every workload:
// a listener on 127.0.0.1 with one multishot accept, one multishot receive per connection
// drawing on a ring of provided buffers, sends through the ring (at most one in flight per
// connection, so they cannot reorder), and the loop: one io_uring_submit_and_wait per pass,
// which submits everything the previous pass queued and reaps everything that completed.
//
// A connection's requests carry its Conn as user_data, so a Conn lives until the last of
// them has completed; only then is its fd closed (through the ring) and the Conn destroyed.
#pragma once

#include <cstddef>
#include <cstdint>

namespace bench::uring {

// Servers derive their connection from this; the loop owns the fields.
struct Conn {
  int fd = -1;
  bool recvArmed = false;   // a multishot receive is in flight
  bool cancelSent = false;  // ... and a cancel for it was queued
  bool sendBusy = false;    // a send is in flight
  bool paused = false;      // back-pressure: the server asked to stop reading
  bool starved = false;     // the buffer ring ran dry: re-armed when buffers return
  bool closing = false;
  bool delivering = false;  // inside onRecv
};

struct Handlers {
  Conn *(*create)();
  void (*destroy)(Conn *);
  // Data in provided buffer bid; the server hands the buffer back with recycle(bid).
  void (*onRecv)(Conn *, uint16_t bid, const char *data, size_t len);
  // The send completed: res bytes were taken (possibly fewer than asked), or -errno.
  void (*onSent)(Conn *, int res);
  // The connection is closing: give back every buffer still held.
  void (*onClose)(Conn *);
};

// Queues a send of len bytes (which stay valid until onSent). Only with no send in flight.
void send(Conn *c, const void *data, size_t len);
// Gives buffer bid back to the kernel (visible to it from the next pass).
void recycle(uint16_t bid);
// Back-pressure: stop reading (cancels the multishot receive) / read again.
void pauseRecv(Conn *c);
void resumeRecv(Conn *c);
void closeConn(Conn *c);

// main() of a server: --port/--cpu as every server; or --probe: set up the ring, do one
// round trip over loopback with the operations the server uses, print what the kernel
// offered (or why not) and exit 0 (or 1).
int serve(int argc, char **argv, const Handlers &handlers);

// The --probe round trip.
int probe();

}  // namespace bench::uring
