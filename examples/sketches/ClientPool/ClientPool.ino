// A pool of POOL_SIZE connections to one server. Each connection sends a line, reads the
// reply line, and sends the next line from onPoll. When the server closes a connection,
// onDisconnect deletes the client and opens a new one in its slot; a connection that
// failed is retried from loop() a second later, so a server that is down is not hammered.
#include <AsyncTCP.h>
#include <WiFi.h>
#include <atomic>

const char *ssid = "your-ssid";
const char *password = "your-password";

const char *serverHost = "127.0.0.1";
const uint16_t serverPort = 7000;
#define POOL_SIZE 4

// Counters are only touched in AsyncTCP callbacks, which all run on the async_tcp task.
static unsigned long connects = 0;
static unsigned long replies = 0;
static unsigned long disconnects = 0;
static unsigned long failures = 0;

// Slots to retry from loop(); set from callbacks, so atomic.
static std::atomic<uint32_t> retrySlots(0);

struct PoolConnection {
  int slot;
  bool connected;
  bool awaitingReply;
  unsigned long sent;
  String line;
};

static void printCounts() {
  Serial.printf("pool: connects=%lu replies=%lu disconnects=%lu failures=%lu\n", connects, replies,
                disconnects, failures);
}

static void sendLine(AsyncClient *client, PoolConnection *conn) {
  char text[64];
  int n = snprintf(text, sizeof(text), "hello from slot %d line %lu\n", conn->slot, conn->sent);
  if (client->space() < (size_t)n)
    return;  // try again at the next poll
  client->write(text, n);
  conn->sent++;
  conn->awaitingReply = true;
}

static void openSlot(int slot) {
  PoolConnection *conn = new PoolConnection{slot, false, false, 0, String()};
  AsyncClient *client = new AsyncClient();

  client->onConnect([conn](void *, AsyncClient *c) {
    conn->connected = true;
    connects++;
    Serial.printf("slot %d connected\n", conn->slot);
    printCounts();
    sendLine(c, conn);
  });
  client->onData([conn](void *, AsyncClient *, void *data, size_t len) {
    conn->line.concat((const char *)data, len);
    int end;
    while ((end = conn->line.indexOf('\n')) >= 0) {
      String reply = conn->line.substring(0, end);
      conn->line.remove(0, end + 1);
      reply.trim();
      conn->awaitingReply = false;
      replies++;
      Serial.printf("slot %d reply: %s\n", conn->slot, reply.c_str());
      printCounts();
    }
  });
  client->onPoll([conn](void *, AsyncClient *c) {
    if (!conn->awaitingReply)
      sendLine(c, conn);
  });
  client->onError([conn](void *, AsyncClient *, int8_t error) {
    Serial.printf("slot %d error: %s\n", conn->slot, AsyncClient::errorToString(error));
  });
  client->onDisconnect([conn](void *, AsyncClient *c) {
    int slot = conn->slot;
    bool wasConnected = conn->connected;
    disconnects++;
    if (!wasConnected)
      failures++;
    Serial.printf("slot %d disconnected\n", slot);
    printCounts();
    delete conn;
    delete c;
    if (wasConnected)
      openSlot(slot);  // the server closed a working connection: replace it now
    else
      retrySlots |= 1u << slot;
  });

  if (!client->connect(serverHost, serverPort)) {
    Serial.printf("slot %d: connect failed at once\n", slot);
    delete conn;
    delete client;
    retrySlots |= 1u << slot;
  }
}

void setup() {
  Serial.begin(115200);
  WiFi.mode(WIFI_STA);
  WiFi.begin(ssid, password);
  while (WiFi.status() != WL_CONNECTED) {
    delay(500);
    Serial.print(".");
  }
  Serial.print("IP address: ");
  Serial.println(WiFi.localIP());
  Serial.printf("pool of %d connections to %s:%u\n", POOL_SIZE, serverHost, serverPort);
  for (int slot = 0; slot < POOL_SIZE; slot++)
    openSlot(slot);
}

void loop() {
  delay(1000);
  uint32_t slots = retrySlots.exchange(0);
  for (int slot = 0; slot < POOL_SIZE; slot++)
    if (slots & (1u << slot))
      openSlot(slot);
}
