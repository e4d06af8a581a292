// ESP32 sketches keep their server in a global, and set it up in the constructor of
// another global: both run before main(), before the library's own globals would be
// initialised. An echo server on port 7 built that way. reportStatus() is defined below
// its first use, as sketches do: the build declares it (the IDE's prototype step).
#include <AsyncTCP.h>

static AsyncServer server(7);

struct EchoSetup {
  EchoSetup() {
    server.onClient(
        [](void *, AsyncClient *client) {
          client->onData([](void *, AsyncClient *c, void *data, size_t len) {
            c->write(static_cast<const char *>(data), len);
          });
          client->onDisconnect([](void *, AsyncClient *c) { delete c; });
        },
        nullptr);
  }
} echoSetup;

void setup() {
  Serial.begin(115200);
  server.begin();
  reportStatus(server.status());
}

void loop() {
  delay(100);
}

void reportStatus(uint8_t status) {
  Serial.println(status == LISTEN ? "ready" : "begin failed");
}
