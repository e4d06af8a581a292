// asynctcp_echo: ours, written the way ESP32 AsyncTCP code is: onData writes what space()
// allows; what does not fit is kept and the read is held back with ackLater(), so the library
// stops reading and the kernel window closes on the sender; onAck writes the rest and then
// ack()s, which resumes reading. At most one read's worth is ever buffered per connection.
#include <AsyncTCP.h>

#include <cstdio>
#include <memory>
#include <string>

#include "support/asynctcp_serve.h"

namespace {

struct EchoConnection {
  // Received, not yet taken by write(); allocated only while a read waits for room, so an
  // idle connection costs 16 bytes here.
  std::unique_ptr<std::string> pending;
  size_t held = 0;  // received bytes whose ack waits for pending to drain
};

void onData(void *arg, AsyncClient *client, void *data, size_t len) {
  auto *conn = static_cast<EchoConnection *>(arg);
  const char *bytes = static_cast<const char *>(data);
  if (!conn->pending) {
    size_t took = client->write(bytes, len);  // takes at most space()
    if (took == len)
      return;  // the library acknowledges the read as usual
    conn->pending = std::make_unique<std::string>(bytes + took, len - took);
  } else {
    conn->pending->append(bytes, len);  // keep the order behind what is already waiting
  }
  client->ackLater();
  conn->held += len;
}

void onAck(void *arg, AsyncClient *client, size_t, uint32_t) {
  auto *conn = static_cast<EchoConnection *>(arg);
  if (!conn->pending)
    return;
  size_t took = client->write(conn->pending->data(), conn->pending->size());
  conn->pending->erase(0, took);
  if (!conn->pending->empty())
    return;
  conn->pending.reset();
  client->ack(conn->held);
  conn->held = 0;
}

void onClient(void *, AsyncClient *client) {
  // A bulk echo wants more in flight than the ESP32-sized 64 KiB default budget, as any
  // Linux program would size its socket buffers: 4 MiB is where the kernel's autotuning of
  // the peers' send buffers stops (tcp_wmem). At 1 MiB, half the budget went out between two
  // ack probes every 512 KiB: 4.5 ioctl per echoed MB.
  client->setSendBuffer(4 * 1024 * 1024);
  bench::PerConnection<EchoConnection>::attach(client, onData, onAck);
}

}  // namespace

int main(int argc, char **argv) {
  return bench::serveAsyncTcp("asynctcp_echo", argc, argv, onClient);
}
