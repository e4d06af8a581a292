// The benchmark's ESPAsyncWebServer routes, built unchanged on AsyncTCP and on PosixAsyncTCP
// (see CMakeLists.txt): GET / answers a short text, GET /1m a 1 MiB body from memory
// (ESPAsyncWebServer streams it in chunks as the connection takes them), GET /ip the
// client's address. Only
// ESPAsyncWebServer's API is used, so both AsyncTCPs run the same code. main() is in
// bench_main.cpp: Arduino's Common.h declares `int main()`, which a main taking arguments
// would conflict with.
#include <Arduino.h>
#include <AsyncTCP.h>
#include <ESPAsyncWebServer.h>

#include <vector>

#include "bench_server.h"

namespace {
constexpr size_t kBlobSize = 1 << 20;
}

void startBenchServer(uint16_t port) {
  static std::vector<uint8_t> blob(kBlobSize);
  for (size_t i = 0; i < blob.size(); ++i)
    blob[i] = uint8_t('a' + i % 26);

  auto *server = new AsyncWebServer(port);  // lives until the process exits
  server->on("/", HTTP_GET, [](AsyncWebServerRequest *request) {
    request->send(200, "text/plain", "Hello, World!\n");
  });
  server->on("/1m", HTTP_GET, [](AsyncWebServerRequest *request) {
    request->send(200, "application/octet-stream", blob.data(), blob.size());
  });
  // The peer's address as the library reports it: the core's IPAddress, printed by the core.
  server->on("/ip", HTTP_GET, [](AsyncWebServerRequest *request) {
    request->send(200, "text/plain", request->client()->remoteIP().toString() + "\n");
  });
  server->onNotFound(
      [](AsyncWebServerRequest *request) { request->send(404, "text/plain", "Not found\n"); });
  server->begin();
}
