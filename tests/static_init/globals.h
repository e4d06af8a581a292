// Globals of the static-initialisation test, defined in two translation units
// (server_globals.cpp, client_globals.cpp) whose constructors call the library before
// main(), as every ESP32 sketch's globals do. Linked before the library's own objects,
// so their constructors run before any of the library's would.
#pragma once

#include <AsyncTCP.h>

#include <atomic>
#include <mutex>
#include <string>

namespace staticinit {

extern AsyncServer
    g_echoServer;  // 127.0.0.1, port 0: onClient() and begin() in a global constructor

// A client set up (handlers, timeouts) by a global constructor, connected later by the test.
struct GlobalClient {
  GlobalClient();
  ~GlobalClient();  // calls the library from a static destructor
  AsyncClient client;
  std::mutex lock;
  std::string received;
  std::atomic<bool> connected{false};
};
extern GlobalClient g_client;

// What the constructors saw, for the test to check.
extern std::atomic<int> g_serverStatusAtInit;
extern std::atomic<bool> g_dnsServersSetAtInit;

}  // namespace staticinit
