// A sketch built against the installed package only: a server on 127.0.0.1 (a free
// port) and a client that sends it a line and waits for the echo, then stops (status
// 0 through ESP.restart(), which ends the program on Linux).
#include <AsyncTCP.h>

#include <atomic>

static AsyncServer server(IPAddress(127, 0, 0, 1), 0);
static AsyncClient client;
static const char kLine[] = "ping from an installed sketch";
static std::atomic<size_t> echoed{0};

void setup() {
  Serial.begin(115200);
  server.onClient(
      [](void *, AsyncClient *c) {
        c->onData([](void *, AsyncClient *cl, void *data, size_t len) {
          cl->write(static_cast<const char *>(data), len);
        });
        c->onDisconnect([](void *, AsyncClient *cl) { delete cl; });
      },
      nullptr);
  server.begin();
  client.onConnect([](void *, AsyncClient *c) { c->write(kLine); });
  client.onData([](void *, AsyncClient *, void *, size_t len) { echoed += len; });
  client.connect(IPAddress(127, 0, 0, 1), server.port());
}

void loop() {
  static unsigned long start = millis();
  if (echoed.load() == sizeof(kLine) - 1) {
#if defined(ESP32)
    Serial.println("esp32 mode");
#endif
    Serial.println("echoed through the installed package");
    ESP.restart();
  }
  if (millis() - start > 10000) {
    Serial.println("FAILED: no echo within 10 s");
    ESP.restart();
  }
  delay(5);
}
