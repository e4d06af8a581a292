// echo_server: sends every byte back, in the ESP32 AsyncTCP callback style.
//
//   echo_server [--host 127.0.0.1] [--port 7000] [--verbose] [--idle-timeout-ms 60000]
//   nc 127.0.0.1 7000
//
// Back-pressure without loss: onData writes what space() allows. If the client's send budget
// is full, the rest is kept and the read stays unacknowledged (ackLater). Unacknowledged data
// fills the connection's receive window, so the library soon stops reading it and the kernel
// window closes on the sender. onAck writes the rest and then ack()s, which reopens the window.
// What is buffered here is bounded by that window.
//
// A connection on which nothing moves for --idle-timeout-ms (no byte received, none of ours
// acknowledged) is closed, so a client that goes quiet, or stops reading, does not hold its
// connection and buffers forever. 0 turns it off.
#include <AsyncTCP.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <cstring>
#include <string>

#include "support/server_main.h"
#include "support/timeouts.h"

namespace {

std::atomic<bool> g_stopping{false};
std::atomic<int> g_connections{0};
std::atomic<unsigned long long> g_bytes{0};
bool g_verbose = false;
uint32_t g_idleTimeoutMs = 60000;

struct EchoConnection {
  std::string pending;                    // received bytes not yet accepted by add()
  size_t held = 0;                        // received bytes whose ack waits for pending to drain
  uint64_t lastMoved = example::nowMs();  // the last byte received or acknowledged
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
  conn->lastMoved = example::nowMs();
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
  conn->lastMoved = example::nowMs();
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
  // setRxTimeout() does the same in whole seconds; the poll keeps milliseconds for tests.
  client->setPollInterval(example::pollIntervalFor({g_idleTimeoutMs}));
  client->onPoll(
      [](void *arg, AsyncClient *c) {
        auto *conn = static_cast<EchoConnection *>(arg);
        if (g_stopping) {
          c->close();
        } else if (g_idleTimeoutMs > 0 && example::nowMs() - conn->lastMoved >= g_idleTimeoutMs) {
          // With echo still waiting to go out the client has stopped reading: a graceful
          // close would wait to deliver what it will not take, so reset instead.
          if (conn->pending.empty())
            c->close();
          else
            c->abort();
        }
      },
      conn);
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
  const example::ServerOptions options =
      example::parseServerOptions(argc, argv, 7000, {{"--idle-timeout-ms", &g_idleTimeoutMs}});
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
