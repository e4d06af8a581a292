// asynctcp_http_close: ours, the way ESPAsyncWebServer ends a response. Each response says
// "Connection: close"; onData writes it, and onAck closes the connection once the peer has
// acknowledged its last byte. Every connection therefore lives until its ack is reported:
// how soon onAck comes after the peer's ACK sets the request rate (see "Ack latency" in
// bench/README.md). Not one of the compared workloads (no peer has this shape).
#include <AsyncTCP.h>

#include <cstring>

#include "support/asynctcp_serve.h"
#include "support/http_hello.h"

namespace {

constexpr char kResponse[] =
    "HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 13\r\n\r\nHello, World!";
constexpr size_t kResponseSize = sizeof(kResponse) - 1;

struct HttpConnection {
  bench::http::RequestCounter requests;
  size_t written = 0, acked = 0;
};

void onData(void *arg, AsyncClient *client, void *data, size_t len) {
  auto *conn = static_cast<HttpConnection *>(arg);
  if (conn->written == 0 && conn->requests.feed(static_cast<const char *>(data), len))
    conn->written = client->write(kResponse, kResponseSize);
}

void onAck(void *arg, AsyncClient *client, size_t len, uint32_t) {
  auto *conn = static_cast<HttpConnection *>(arg);
  conn->acked += len;
  if (conn->written && conn->acked >= conn->written)
    client->close();
}

void onClient(void *, AsyncClient *client) {
  bench::PerConnection<HttpConnection>::attach(client, onData, onAck);
}

}  // namespace

int main(int argc, char **argv) {
  return bench::serveAsyncTcp("asynctcp_http_close", argc, argv, onClient);
}
