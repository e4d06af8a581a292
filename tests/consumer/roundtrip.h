// What both consumers do with the installed library: a server on 127.0.0.1
// port 0, a client that connects to it and sends a line, the server's client
// echoing it back; success once the client has the echo and both sides have
// disconnected. Header-only so each consumer is one self-contained build.
#pragma once

#include <AsyncTCP.h>

#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <mutex>
#include <string>

namespace consumer {

struct Progress {
  std::mutex lock;
  std::condition_variable changed;
  std::string echoed;
  bool clientGone = false, serverSideGone = false;
  int8_t error = 0;

  template <class F>
  void update(F f) {
    {
      std::lock_guard<std::mutex> g(lock);
      f();
    }
    changed.notify_all();
  }
};

inline int roundTrip(const char *via) {
  // Declared before the server and client: their callbacks use both.
  const std::string message = "hello from " + std::string(via);
  Progress p;

  AsyncServer server(IPAddress(127, 0, 0, 1), 0);
  server.onClient(
      [&p](void *, AsyncClient *c) {
        c->onData([](void *, AsyncClient *cc, void *d, size_t n) {
          cc->write(static_cast<const char *>(d), n);
        });
        c->onDisconnect([&p](void *, AsyncClient *cc) {
          delete cc;
          p.update([&] { p.serverSideGone = true; });
        });
      },
      nullptr);
  server.begin();
  if (server.status() != LISTEN || server.port() == 0) {
    std::fprintf(stderr, "%s: the server did not listen (errno %d)\n", via, server.lastErrno());
    return 1;
  }

  AsyncClient client;
  client.onConnect([&message](void *, AsyncClient *c) { c->write(message.c_str()); });
  client.onData([&p, &message](void *, AsyncClient *c, void *d, size_t n) {
    p.update([&] { p.echoed.append(static_cast<const char *>(d), n); });
    if (p.echoed.size() >= message.size())
      c->close();
  });
  client.onError([&p](void *, AsyncClient *, int8_t e) { p.update([&] { p.error = e; }); });
  client.onDisconnect([&p](void *, AsyncClient *) { p.update([&] { p.clientGone = true; }); });
  if (!client.connect(IPAddress(127, 0, 0, 1), server.port())) {
    std::fprintf(stderr, "%s: connect() refused its arguments\n", via);
    return 1;
  }

  bool done;
  int8_t error;
  std::string echoed;
  {
    // Released before the client and server go: their destructors wait for the
    // service thread, which may be in a callback that takes this lock.
    std::unique_lock<std::mutex> g(p.lock);
    done = p.changed.wait_for(g, std::chrono::seconds(10),
                              [&] { return (p.clientGone && p.serverSideGone) || p.error != 0; });
    error = p.error;
    echoed = p.echoed;
  }
  if (!done || error != 0 || echoed != message) {
    std::fprintf(stderr, "%s: echo failed (finished %d, error %d, got \"%s\")\n", via, int(done),
                 int(error), echoed.c_str());
    return 1;
  }
  std::printf("%s: echoed \"%s\" through AsyncTCP %s\n", via, echoed.c_str(), ASYNCTCP_VERSION);
  return 0;
}

}  // namespace consumer
