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

#include <pthread.h>
#include <signal.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>

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

void usage(const char *argv0) {
  std::fprintf(stderr, "usage: %s [--host ADDRESS] [--port N] [--verbose]\n", argv0);
  std::exit(2);
}

}  // namespace

int main(int argc, char **argv) {
  const char *host = "127.0.0.1";
  long port = 7000;
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--host") == 0 && i + 1 < argc) {
      host = argv[++i];
    } else if (std::strcmp(argv[i], "--port") == 0 && i + 1 < argc) {
      char *end = nullptr;
      port = std::strtol(argv[++i], &end, 10);
      if (*end != '\0' || port < 0 || port > 65535)
        usage(argv[0]);
    } else if (std::strcmp(argv[i], "--verbose") == 0) {
      g_verbose = true;
    } else {
      usage(argv[0]);
    }
  }
  IPAddress address;
  if (!address.fromString(host)) {
    std::fprintf(stderr, "echo_server: '%s' is not an IP address\n", host);
    return 2;
  }
  std::setvbuf(stdout, nullptr, _IOLBF, 0);

  // Blocked before the library starts its service thread, so that thread inherits the mask
  // and the signals wait for sigwait() below.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  AsyncServer server(address, uint16_t(port));
  server.onClient(onClient, nullptr);
  server.begin();
  if (server.status() != LISTEN) {
    std::fprintf(stderr, "echo_server: cannot listen on %s:%ld: %s\n", host, port,
                 std::strerror(server.lastErrno()));
    return 1;
  }
  const bool v6 = address.isV6();
  std::printf("listening on %s%s%s:%u\n", v6 ? "[" : "", host, v6 ? "]" : "", server.port());

  int sig = 0;
  sigwait(&signals, &sig);

  // Connections close themselves from their next onPoll, on the service thread.
  server.end();
  g_stopping = true;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(3);
  while (g_connections > 0 && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  std::printf("echo_server: %s, echoed %llu bytes, %d connections left\n", strsignal(sig),
              g_bytes.load(), g_connections.load());
  return 0;
}
