// ESPAsyncWebServer over TLS, as firmware serves it: beginSecure() with the certificate and
// key asked for through onSslFileRequest (here read from the directory the test gives as the
// flash filesystem, ASYNCTCP_FS_ROOT). Our test sketch: the library's examples have no HTTPS.
#include <ESPAsyncWebServer.h>

#include <cstdio>
#include <cstdlib>
#include <string>

static AsyncWebServer server(80);

static int readFile(void *, const char *name, uint8_t **buf) {
  const char *root = std::getenv("ASYNCTCP_FS_ROOT");
  const std::string path = std::string(root ? root : ".") + "/" + name;
  Serial.printf("asked for %s\n", name);
  FILE *f = std::fopen(path.c_str(), "rb");
  if (!f)
    return 0;
  std::fseek(f, 0, SEEK_END);
  const long size = std::ftell(f);
  std::fseek(f, 0, SEEK_SET);
  *buf = static_cast<uint8_t *>(std::malloc(size_t(size)));
  const size_t got = std::fread(*buf, 1, size_t(size), f);
  std::fclose(f);
  return int(got);
}

void setup() {
  Serial.begin(115200);
  server.on("/", HTTP_GET, [](AsyncWebServerRequest *request) {
    request->send(200, "text/plain", "Hello over TLS");
  });
  server.onSslFileRequest(readFile, nullptr);
  server.beginSecure("cert.pem", "key.pem", nullptr);
  Serial.println("HTTPS server started");
}

void loop() {}
