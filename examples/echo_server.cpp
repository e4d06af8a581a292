// echo_server: sends every byte back, in the ESP32 AsyncTCP callback style.
//
//   echo_server [--host 127.0.0.1] [--port 7000] [--verbose]
//   nc 127.0.0.1 7000
//
// Back-pressure without loss: onData writes what space() allows. If the client's send budget
// is full, the rest is kept and the read stays unacknowledged (ackLater). Unacknowledged data
// fills the connection's receive window, so the library soon stops reading it and the kernel
// window closes on the sender. onAck writes the rest and then ack()s, which reopens the window.
// What is buffered here is bounded by that window.
#include <AsyncTCP.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <cstring>
#include <string>

#include "support/server_main.h"

namespace {

std::atomic<bool> g_stopping{false};
std::atomic<int> g_connections{0};
std::atomic<unsigned long long> g_bytes{0};
bool g_verbose = false;

struct EchoConnection {
  std::string pending;  // received bytes not yet accepted by add()
  size_t held = 0;      // received bytes whose ack waits for pending to drain
};

// Writes what fits; returns true when nothing is left over.
bool writeSome(AsyncClient *client, const char *data, size_t len, std::string &rest) {
  size_t done = 0;
  while (done < len) {
    size_t room = client->space();
    if (room == 0)
      break;
    size_t took = client->add(data + done, std::min(room, len - done));
    if (took == 0)
      break;
    done += took;
  }
  if (done > 0)
    client->send();
  g_bytes += done;
  rest.assign(data + done, len - done);
  return done == len;
}

void onData(void *arg, AsyncClient *client, void *data, size_t len) {
  auto *conn = static_cast<EchoConnection *>(arg);
  if (!conn->pending.empty()) {
    // Still draining an earlier read: keep order, keep this one unacknowledged too.
    conn->pending.append(static_cast<const char *>(data), len);
  } else if (writeSome(client, static_cast<const char *>(data), len, conn->pending)) {
    return;  // all echoed: the library acknowledges the read as usual
  }
  client->ackLater();
  conn->held += len;
}

void onAck(void *arg, AsyncClient *client, size_t, uint32_t) {
  auto *conn = static_cast<EchoConnection *>(arg);
  if (conn->pending.empty())
    return;
  std::string rest;
  if (!writeSome(client, conn->pending.data(), conn->pending.size(), rest)) {
    conn->pending.swap(rest);
    return;
  }
  conn->pending.clear();
  client->ack(conn->held);  // everything is echoed: read more
  conn->held = 0;
}

void onClient(void *, AsyncClient *client) {
  ++g_connections;
  if (g_verbose)
    std::printf("%s:%u connected\n", client->remoteIP().toString().c_str(), client->remotePort());
  auto *conn = new EchoConnection;
  client->onData(onData, conn);
  client->onAck(onAck, conn);
  client->onPoll(
      [](void *, AsyncClient *c) {
        if (g_stopping)
          c->close();
      },
      nullptr);
  client->onError(
      [](void *, AsyncClient *c, int8_t error) {
        if (g_verbose)
          std::printf("%s:%u error %s\n", c->remoteIP().toString().c_str(), c->remotePort(),
                      AsyncClient::errorToString(error));
      },
      nullptr);
  client->onDisconnect(
      [](void *arg, AsyncClient *c) {
        if (g_verbose)
          std::printf("%s:%u disconnected\n", c->remoteIP().toString().c_str(), c->remotePort());
        delete static_cast<EchoConnection *>(arg);
        delete c;
        --g_connections;
      },
      conn);
}

}  // namespace

int main(int argc, char **argv) {
  const example::ServerOptions options = example::parseServerOptions(argc, argv, 7000);
  g_verbose = options.verbose;
  example::blockStopSignals();

  AsyncServer server(options.address, options.port);
  server.onClient(onClient, nullptr);
  if (!example::startListening(server, options, "echo_server"))
    return 1;
  const char *stoppedBy = example::waitForStop(server, g_stopping, g_connections);
  std::printf("echo_server: %s, echoed %llu bytes, %d connections left\n", stoppedBy,
              g_bytes.load(), g_connections.load());
  return 0;
}
