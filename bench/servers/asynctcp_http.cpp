// asynctcp_http: ours, in the ESP32 AsyncTCP style. onData counts the requests a read
// completes and writes their responses as far as space() allows; the rest is owed and
// written from onAck, and meanwhile the read is held back with ackLater() so a client that
// pipelines faster than it reads is flow-controlled by the kernel window. With --tls CERT KEY
// it serves HTTPS (the TLS rows); with --close each request gets its own connection.
#include <AsyncTCP.h>

#include <algorithm>
#include <cstdio>
#include <string>

#include "support/asynctcp_serve.h"
#include "support/http_hello.h"

namespace {

using bench::http::kBatch;
using bench::http::kResponseSize;

struct HttpConnection {
  bench::http::RequestCounter requests;
  size_t owed = 0;    // responses not yet taken by write()
  size_t offset = 0;  // bytes of the current batch already taken
  size_t held = 0;    // received bytes whose ack waits for the owed responses
};

// Writes owed responses while space() allows; returns true when none are left.
bool respond(HttpConnection *conn, AsyncClient *client) {
  const char *block = bench::http::responseBlock();
  while (conn->owed) {
    size_t batch = std::min(conn->owed, kBatch) * kResponseSize;
    size_t took = client->write(block + conn->offset, batch - conn->offset);
    if (took == 0)
      return false;
    conn->offset += took;
    if (conn->offset < batch)
      continue;
    conn->owed -= batch / kResponseSize;
    conn->offset = 0;
  }
  return true;
}

bool g_close = false;  // --close: one request per connection

void onData(void *arg, AsyncClient *client, void *data, size_t len) {
  auto *conn = static_cast<HttpConnection *>(arg);
  conn->owed += conn->requests.feed(static_cast<const char *>(data), len);
  if (g_close) {
    if (conn->owed)  // the answer, then close(): queued data still goes out, before the FIN
      client->write(bench::http::kResponseClose, bench::http::kResponseCloseSize);
    if (conn->owed)
      client->close();
    return;
  }
  if (!respond(conn, client)) {
    client->ackLater();
    conn->held += len;
  } else if (conn->held) {
    client->ack(conn->held);  // earlier reads waited for responses that are out now
    conn->held = 0;
  }
}

void onAck(void *arg, AsyncClient *client, size_t, uint32_t) {
  auto *conn = static_cast<HttpConnection *>(arg);
  if (conn->owed == 0 || !respond(conn, client) || conn->held == 0)
    return;
  client->ack(conn->held);
  conn->held = 0;
}

void onClient(void *, AsyncClient *client) {
  bench::PerConnection<HttpConnection>::attach(client, onData, onAck);
}

}  // namespace

int main(int argc, char **argv) {
  for (int i = 1; i < argc; ++i)
    g_close = g_close || std::string(argv[i]) == "--close";
  return bench::serveAsyncTcp("asynctcp_http", argc, argv, onClient);
}
