// An HTTP/1.1 GET with AsyncClient: connect by host name (the library resolves it),
// send the request from onConnect, collect the response in onData, and print the
// status line and body length when the server closes the connection.
#include <AsyncTCP.h>
#include <WiFi.h>

const char *ssid = "your-ssid";
const char *password = "your-password";

const char *host = "localhost";
const uint16_t port = 80;
const char *path = "/";

struct Response {
  String head;  // status line and headers, until the blank line
  bool headDone;
  size_t bodyBytes;
};

static void printResult(Response *r) {
  int lineEnd = r->head.indexOf("\r\n");
  String status = lineEnd >= 0 ? r->head.substring(0, lineEnd) : r->head;
  Serial.printf("status: %s\n", status.c_str());
  Serial.printf("body: %u bytes\n", (unsigned)r->bodyBytes);
}

static void get() {
  Response *response = new Response{String(), false, 0};
  AsyncClient *client = new AsyncClient();

  client->onConnect([](void *, AsyncClient *c) {
    Serial.printf("connected to %s:%u\n", c->remoteIP().toString().c_str(), c->remotePort());
    String request = String("GET ") + path + " HTTP/1.1\r\nHost: " + host +
                     "\r\nUser-Agent: ESP32-AsyncTCP\r\nConnection: close\r\n\r\n";
    c->write(request.c_str(), request.length());
  });
  client->onData([response](void *, AsyncClient *, void *data, size_t len) {
    const char *bytes = (const char *)data;
    if (!response->headDone) {
      response->head.concat(bytes, len);
      int end = response->head.indexOf("\r\n\r\n");
      if (end < 0)
        return;
      response->headDone = true;
      response->bodyBytes = response->head.length() - (end + 4);
      response->head.remove(end + 2);
      return;
    }
    response->bodyBytes += len;
  });
  client->onTimeout([](void *, AsyncClient *c, uint32_t time) {
    Serial.printf("timeout: no ack for %u ms\n", (unsigned)time);
    c->close();
  });
  client->onError([response](void *, AsyncClient *c, int8_t error) {
    Serial.printf("error: %s (%d)\n", AsyncClient::errorToString(error), error);
    delete response;
    c->close(true);
    delete c;
  });
  client->onDisconnect([response](void *, AsyncClient *c) {
    printResult(response);
    delete response;
    delete c;
  });

  Serial.printf("GET http://%s:%u%s\n", host, port, path);
  if (!client->connect(host, port)) {
    Serial.println("connect failed at once");
    delete response;
    delete client;
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
  get();
}

void loop() {
  delay(1000);
}
