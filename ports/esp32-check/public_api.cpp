// The public header as an ESP32 sketch uses it, compiled by scripts/cross-check
// with the ESP32 build's flags (-fno-exceptions -fno-rtti): an echo server, a
// client that connects by name and writes from onAck, onPacket with lwIP's
// pbuf fields, and the error, state and address helpers. scripts/cross-check
// compiles it twice: as ESP-IDF code, and as an Arduino sketch (ARDUINO defined,
// Arduino.h first as the IDE adds it, addresses from WiFi) against arduino-esp32's
// IPAddress, so only what both IPAddress classes have is used here.
#if defined(ARDUINO)
#include <Arduino.h>
#include <WiFi.h>
#endif
#include <AsyncTCP.h>

namespace {
AsyncServer *g_server = nullptr;
AsyncClient *g_client = nullptr;
size_t g_received = 0;

void onEchoData(void *, AsyncClient *client, void *data, size_t len) {
  size_t taken = client->space() >= len ? client->write(static_cast<const char *>(data), len) : 0;
  if (taken < len)
    client->ackLater();
}

void onServerClient(void *, AsyncClient *client) {
  client->setNoDelay(true);
  client->setRxTimeout(30);
  client->onData(onEchoData, nullptr);
  client->onAck([](void *, AsyncClient *c, size_t len, uint32_t) { c->ack(len); }, nullptr);
  client->onDisconnect([](void *, AsyncClient *c) { delete c; }, nullptr);
}

void startClient(const char *host, uint16_t port) {
  g_client = new AsyncClient();
  g_client->setAckTimeout(ASYNC_MAX_ACK_TIME);
  g_client->onConnect(
      [](void *, AsyncClient *c) { c->write("GET / HTTP/1.0\r\n\r\n", 18, ASYNC_WRITE_FLAG_MORE); },
      nullptr);
  g_client->onPacket(
      [](void *, AsyncClient *c, struct pbuf *pb) {
        for (struct pbuf *q = pb; q; q = q->next)
          g_received += q->len;
        c->ackPacket(pb);
      },
      nullptr);
  g_client->onError(
      [](void *, AsyncClient *c, int8_t error) {
        if (error == ERR_RST || error == ASYNC_TCP_ERR_DNS)
          c->close(true);
        (void)AsyncClient::errorToString(error);
      },
      nullptr);
  g_client->onTimeout([](void *, AsyncClient *c, uint32_t) { c->close(); }, nullptr);
  g_client->onPoll(
      [](void *, AsyncClient *c) {
        if (c->connected() && c->canSend() && c->getMss() > 0)
          c->send();
      },
      nullptr);
  g_client->onDisconnect([](void *, AsyncClient *c) { (void)c->stateToString(); }, nullptr);
  g_client->connect(host, port);
}
}  // namespace

// Called from app_main() in a real sketch; here it only has to compile and link-resolve.
extern "C" void asynctcp_public_api_check(void) {
#if defined(ARDUINO)
  g_server = new AsyncServer(WiFi.localIP(), 80);
#else
  g_server = new AsyncServer(IPAddress(192, 168, 4, 1), 80);
#endif
  g_server->onClient(onServerClient, nullptr);
  g_server->begin();
  if (g_server->status() != LISTEN)
    return;
  startClient("example.invalid", 80);
  IPAddress remote = g_client->remoteIP();
  // length(): std::string (the library's IPAddress) and Arduino's String both have it.
  if (remote.toString().length() == 0 || g_client->remotePort() == 0 || g_client->state() == CLOSED)
    g_client->abort();
  if (remote.type() == IPv6 && remote[0] == 0xfe && remote.zone() == 0)
    g_client->close();
  if (remote == IPAddress(10, 0, 0, 1) || uint32_t(remote) == 0 ||
      g_client->getRemoteAddress() != uint32_t(g_client->remoteIP()))
    g_client->close(true);
  AsyncClient *v6 = new AsyncClient();
#if defined(ARDUINO)
  v6->connect(WiFi.globalIPv6(), 443);
#else
  IPAddress target;
  if (target.fromString("2001:db8::1"))
    v6->connect(target, 443);
#endif
  (void)v6->localIP6();
  // lwIP's own address types, as ESP32Async 3.x takes and returns them.
  ip_addr_t any = IPADDR4_INIT(0);
  AsyncServer *lwipServer = new AsyncServer(any, 8080);
  lwipServer->begin();
  const AsyncServer &constServer = *lwipServer;
  if (constServer.status() != LISTEN)
    async_tcp_log_e("server on port %u not listening", 8080u);
  ip_addr_t dst;
  IP_ADDR4(&dst, 192, 168, 4, 2);
  AsyncClient *byAddr = new AsyncClient();
  byAddr->connect(dst, 1883);
  const AsyncClient &constClient = *byAddr;
  ip4_addr_t local4 = constClient.getLocalAddress4();
  if (ip4_addr_get_u32(&local4) == 0 && constClient.space() == 0)
    async_tcp_log_w("%s", constClient.stateToString());
}
