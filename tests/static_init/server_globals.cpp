// A global echo server started by a global constructor: onClient() starts the service
// thread before main(), and before the library's own globals are initialised.
#include "globals.h"

namespace staticinit {

AsyncServer g_echoServer(IPAddress(127, 0, 0, 1), 0);
std::atomic<int> g_serverStatusAtInit{-1};

namespace {
struct StartEcho {
  StartEcho() {
    g_echoServer.onClient(
        [](void *, AsyncClient *c) {
          c->onData([](void *, AsyncClient *cl, void *data, size_t len) {
            cl->write(static_cast<const char *>(data), len);
          });
          c->onDisconnect([](void *, AsyncClient *cl) { delete cl; });
        },
        nullptr);
    g_echoServer.begin();
    g_serverStatusAtInit = g_echoServer.status();
  }
  ~StartEcho() { g_echoServer.end(); }  // from a static destructor
} g_startEcho;
}  // namespace

}  // namespace staticinit
