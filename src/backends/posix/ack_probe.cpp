// Learning what the peer acknowledged, for onAck and space(). Linux raises no
// event when an ack arrives for a send queue that was not full, so we ask
// (SIOCOUTQ) and must bound both the delay this adds to onAck and the CPU:
// - under pressure (half the send budget or more in flight) the writer is
//   waiting on acks: look at the end of this pass, then every 25 us for 2 ms
//   (a loopback or LAN ack arrives within that), then backing off to 32 ms
//   while nothing moves;
// - otherwise acks only feed onAck: look at most every 5 ms per connection, so
//   a stream of small messages costs one ioctl and one onAck per 5 ms, not one
//   per message (measured: an ioctl per request was ~10% of an HTTP server's CPU);
// - and every 50 ms when the user's last onAck wrote nothing (a request/response
//   server that writes from onData): there the ack is news, not a go-ahead, and
//   at 5 ms a server with a request per connection every few ms still paid an
//   ioctl per request (one syscall in three, ~15% of its CPU). A write from
//   onAck brings the 5 ms cadence back at once.
#include <algorithm>

#include "backends/posix/poll_loop.h"
#include "os/os.h"

namespace asynctcp::backend {

namespace {
constexpr uint32_t kFastMinUs = 25;
constexpr uint32_t kFastSteadyUs = 2000;  // probe at kFastMinUs this long before backing off
constexpr uint32_t kFastMaxUs = 32000;
constexpr uint32_t kRelaxedUs = 5000;
constexpr uint32_t kInformationalUs = 50000;

uint32_t relaxedDelayUs(Conn *c) {
  return c->ackDriven ? kRelaxedUs : kInformationalUs;
}

bool underPressure(Conn *c) {
  return inFlight(c) * 2 >= c->budget;
}

void schedule(Conn *c, uint64_t atUs) {
  c->tx->nextProbeUs = atUs;
  Loop &L = loop();
  if (atUs < L.nextAckProbeUs)
    L.nextAckProbeUs = atUs;
}

void enlist(Conn *c) {
  if (c->inAckWatch)
    return;
  txOf(c);  // the probe's schedule lives there
  c->inAckWatch = true;
  loop().ackWatch.push_back(c);
}
}  // namespace

void watchAcks(Conn *c) {
  bool wasWatched = c->inAckWatch;
  enlist(c);
  if (underPressure(c)) {
    c->tx->probeDelayUs = kFastMinUs;
    c->tx->waitingSinceUs = loop().nowUs;
    schedule(c, 0);  // at the end of this pass: on loopback the ack is often there already
  } else if (!wasWatched || c->tx->nextProbeUs == 0) {
    schedule(c, loop().nowUs + relaxedDelayUs(c));
  }
}

bool ackProbeDue(Conn *c) {
  return underPressure(c) || loop().nowUs >= c->tx->nextProbeUs;
}

void probeAcks(uint64_t nowUs) {
  Loop &L = loop();
  if (L.ackWatch.empty() || nowUs < L.nextAckProbeUs)
    return;
  std::vector<Conn *> &list = L.ackPass;
  list.swap(L.ackWatch);
  L.nextAckProbeUs = UINT64_MAX;
  for (Conn *c : list)
    c->inAckWatch = false;
  for (Conn *c : list) {
    if (c->dead || !c->owner || !c->tx)
      continue;  // gone, or its send state was released by a flush in an earlier onAck
    if (nowUs < c->tx->nextProbeUs) {
      enlist(c);
      schedule(c, c->tx->nextProbeUs);
      continue;
    }
    bool pressure = underPressure(c);
    uint32_t before = c->unacked;
    connProbeAcks(c);  // may run onAck, which may write (and so re-watch) or close
    if (c->dead || !c->owner || c->inAckWatch)
      continue;  // gone, or already rescheduled by a write in onAck
    if (c->unacked == 0) {
      txRelease(c);  // all acknowledged: nothing to watch
      continue;
    }
    enlist(c);
    Tx *tx = c->tx;
    if (pressure) {
      if (c->unacked != before)
        tx->waitingSinceUs = nowUs;
      uint32_t delay = nowUs - tx->waitingSinceUs < kFastSteadyUs
                           ? kFastMinUs
                           : std::min(std::max(tx->probeDelayUs * 2, kFastMinUs), kFastMaxUs);
      tx->probeDelayUs = delay;
      schedule(c, nowUs + delay);
    } else {
      schedule(c, nowUs + relaxedDelayUs(c));
    }
  }
  list.clear();
}

int64_t ackProbeTimeoutUs(uint64_t nowUs) {
  Loop &L = loop();
  if (L.ackWatch.empty())
    return -1;
  return L.nextAckProbeUs <= nowUs ? 0 : int64_t(L.nextAckProbeUs - nowUs);
}

}  // namespace asynctcp::backend
