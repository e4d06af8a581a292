// uring_http: the io_uring limit for the HTTP hello workload. Hand-written on liburing:
// multishot receives into provided buffers, each buffer counted and handed straight back;
// responses go out from the static block through the ring, one send in flight per
// connection, a short send continued from where it stopped. Owed responses are a count, so
// pipelining costs no memory; past kBatch owed, reading stops until they have gone out.
#include <algorithm>

#include "support/http_hello.h"
#include "support/server_process.h"
#include "support/uring_serve.h"

namespace {

using bench::http::kBatch;
using bench::http::kResponseSize;

struct HttpConn : bench::uring::Conn {
  bench::http::RequestCounter requests;
  size_t owed = 0;      // responses not yet written, including those in flight
  size_t inFlight = 0;  // bytes of the current batch (a send is in flight while non-zero)
  size_t offset = 0;    // bytes of the current batch already written
};

HttpConn *httpConn(bench::uring::Conn *c) {
  return static_cast<HttpConn *>(c);
}

void sendRest(HttpConn *c) {
  bench::uring::send(c, bench::http::responseBlock() + c->offset, c->inFlight - c->offset);
}

void sendBatch(HttpConn *c) {
  c->inFlight = std::min(c->owed, kBatch) * kResponseSize;
  c->offset = 0;
  sendRest(c);
}

void onRecv(bench::uring::Conn *base, uint16_t bid, const char *data, size_t len) {
  HttpConn *c = httpConn(base);
  c->owed += c->requests.feed(data, len);
  bench::uring::recycle(bid);
  if (c->owed > kBatch)
    bench::uring::pauseRecv(c);
  if (c->owed && !c->sendBusy)
    sendBatch(c);
}

void onSent(bench::uring::Conn *base, int res) {
  HttpConn *c = httpConn(base);
  if (res <= 0)
    return bench::uring::closeConn(c);
  c->offset += size_t(res);
  if (c->offset < c->inFlight)
    return sendRest(c);
  c->owed -= c->inFlight / kResponseSize;
  c->inFlight = 0;
  if (c->owed)
    return sendBatch(c);
  if (c->paused)
    bench::uring::resumeRecv(c);
}

}  // namespace

int main(int argc, char **argv) {
  bench::uring::Handlers h;
  h.create = []() -> bench::uring::Conn * { return new HttpConn; };
  h.destroy = [](bench::uring::Conn *c) { delete httpConn(c); };
  h.onRecv = onRecv;
  h.onSent = onSent;
  h.onClose = [](bench::uring::Conn *) {};  // holds no buffer
  return bench::uring::serve(argc, argv, h);
}
