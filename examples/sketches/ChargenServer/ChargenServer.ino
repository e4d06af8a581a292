// Character generator (RFC 864) on AsyncTCP: every client gets an endless stream of
// 72-character lines, each starting one character further along the 95 printable ASCII
// characters. Data is written from onAck and onPoll, only as much as space() allows,
// so a slow reader slows the server down instead of filling its memory.
#include <AsyncTCP.h>
#include <WiFi.h>

const char *ssid = "your-ssid";
const char *password = "your-password";

#ifndef CHARGEN_PORT
#define CHARGEN_PORT 19
#endif

static const size_t kLineChars = 72;
static const size_t kLineBytes = kLineChars + 2;  // CR LF

AsyncServer server(CHARGEN_PORT);

// Where each client is in the stream.
struct ChargenClient {
  unsigned long long offset;
};

// Byte `offset` of the RFC 864 stream.
static char chargenByte(unsigned long long offset) {
  const unsigned long long line = offset / kLineBytes;
  const size_t column = offset % kLineBytes;
  if (column == kLineChars)
    return '\r';
  if (column == kLineChars + 1)
    return '\n';
  return (char)(' ' + (line + column) % 95);
}

// Queue as much of the stream as the connection takes now.
static void fill(AsyncClient *client, ChargenClient *state) {
  char chunk[1024];
  bool queued = false;
  while (client->space() > 0) {
    size_t n = client->space() < sizeof(chunk) ? client->space() : sizeof(chunk);
    for (size_t i = 0; i < n; i++)
      chunk[i] = chargenByte(state->offset + i);
    size_t taken = client->add(chunk, n);
    if (taken == 0)
      break;
    state->offset += taken;
    queued = true;
  }
  if (queued)
    client->send();
}

static void onClientConnected(void *arg, AsyncClient *client) {
  (void)arg;
  ChargenClient *state = new ChargenClient{0};
  Serial.printf("client %s:%u connected\n", client->remoteIP().toString().c_str(),
                client->remotePort());

  client->onAck([state](void *, AsyncClient *c, size_t, uint32_t) { fill(c, state); });
  client->onPoll([state](void *, AsyncClient *c) { fill(c, state); });
  client->onError([](void *, AsyncClient *c, int8_t error) {
    Serial.printf("client %u error: %s\n", c->remotePort(), AsyncClient::errorToString(error));
  });
  client->onDisconnect([state](void *, AsyncClient *c) {
    Serial.printf("client %u disconnected after %llu bytes\n", c->remotePort(), state->offset);
    delete state;
    delete c;
  });
  fill(client, state);
}

void setup() {
  Serial.begin(115200);
  WiFi.mode(WIFI_STA);
  WiFi.begin(ssid, password);
  Serial.print("Connecting to WiFi");
  while (WiFi.status() != WL_CONNECTED) {
    delay(500);
    Serial.print(".");
  }
  Serial.println();
  Serial.print("IP address: ");
  Serial.println(WiFi.localIP());

  server.onClient(onClientConnected, nullptr);
  server.begin();
  if (server.status() != LISTEN) {
    Serial.printf("chargen: cannot listen on port %d\n", CHARGEN_PORT);
    return;
  }
  Serial.printf("chargen listening on port %d\n", CHARGEN_PORT);
}

void loop() {
  delay(1000);
}
