// uring_echo: the io_uring limit. Hand-written on liburing: multishot receives into provided
// buffers, and each buffer is echoed from where the kernel put it, so nothing is copied; the
// buffer goes back to the ring once its send has completed. One send in flight per
// connection, the rest queued in arrival order; a short send continues from where it stopped.
// Back-pressure: with kMaxHeld buffers waiting, reading stops until the queue has drained;
// and all connections together hold at most the buffer ring.
#include <cstdint>

#include "support/server_process.h"
#include "support/uring_ring.h"
#include "support/uring_serve.h"

namespace {

using bench::uring::kBufCount;
constexpr uint16_t kNone = 0xffff;
// Twice what the loadgen keeps in flight per connection (4 x 64 KiB, often in smaller reads):
// at 4, echo_c64 paused every tenth read. A multishot receive may land a little more before
// its cancel does, but never more than the buffer ring holds.
constexpr unsigned kMaxHeld = 8;

// The queue of received buffers, linked through the buffer ids: no allocation per chunk.
uint16_t g_next[kBufCount];
uint32_t g_len[kBufCount];
const char *g_data[kBufCount];

struct EchoConn : bench::uring::Conn {
  uint16_t head = kNone, tail = kNone;
  uint16_t held = 0;
  uint32_t sent = 0;  // bytes of the head buffer already echoed
};

EchoConn *echoConn(bench::uring::Conn *c) {
  return static_cast<EchoConn *>(c);
}

void sendHead(EchoConn *c) {
  bench::uring::send(c, g_data[c->head] + c->sent, g_len[c->head] - c->sent);
}

void onRecv(bench::uring::Conn *base, uint16_t bid, const char *data, size_t len) {
  EchoConn *c = echoConn(base);
  g_next[bid] = kNone;
  g_len[bid] = uint32_t(len);
  g_data[bid] = data;
  if (c->tail == kNone)
    c->head = bid;
  else
    g_next[c->tail] = bid;
  c->tail = bid;
  if (++c->held >= kMaxHeld)
    bench::uring::pauseRecv(c);
  if (!c->sendBusy)
    sendHead(c);
}

void onSent(bench::uring::Conn *base, int res) {
  EchoConn *c = echoConn(base);
  if (res <= 0)
    return bench::uring::closeConn(c);
  c->sent += uint32_t(res);
  if (c->sent == g_len[c->head]) {
    uint16_t done = c->head;
    c->head = g_next[done];
    if (c->head == kNone)
      c->tail = kNone;
    c->sent = 0;
    --c->held;
    bench::uring::recycle(done);
  }
  if (c->head != kNone)
    return sendHead(c);
  if (c->paused)
    bench::uring::resumeRecv(c);
}

void onClose(bench::uring::Conn *base) {
  EchoConn *c = echoConn(base);
  for (uint16_t b = c->head; b != kNone; b = g_next[b])
    bench::uring::recycle(b);
  c->head = c->tail = kNone;
  c->held = 0;
}

}  // namespace

int main(int argc, char **argv) {
  bench::uring::Handlers h;
  h.create = []() -> bench::uring::Conn * { return new EchoConn; };
  h.destroy = [](bench::uring::Conn *c) { delete echoConn(c); };
  h.onRecv = onRecv;
  h.onSent = onSent;
  h.onClose = onClose;
  return bench::uring::serve(argc, argv, h);
}
