// http_server: a small HTTP/1.1 "hello" server in the ESPAsyncWebServer style.
//
//   http_server [--host 127.0.0.1] [--port 8080] [--verbose]
//   curl -si http://127.0.0.1:8080/
//
// One HttpConnection per accepted AsyncClient, created in onClient and deleted, together with
// its client, in onDisconnect. Requests are parsed incrementally (http/request_parser.h), so
// bytes may arrive split anywhere and several pipelined requests may arrive in one read; they
// are answered in order. HTTP/1.1 keeps the connection open unless "Connection: close";
// HTTP/1.0 closes unless "Connection: keep-alive". GET / answers "Hello, World!\n", GET /bytes/N
// N bytes of text (N up to 64 MiB: for throughput checks); other paths get 404, other methods
// 405, malformed requests 400 (431 for an oversized head) and a close.
#include <AsyncTCP.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <string>
#include <string_view>

#include "http/request_parser.h"
#include "support/server_main.h"

namespace {

std::atomic<bool> g_stopping{false};
std::atomic<int> g_connections{0};
std::atomic<unsigned long long> g_requests{0};
std::atomic<unsigned long long> g_errors{0};
bool g_verbose = false;

constexpr uint32_t kIdleTimeoutSeconds = 30;  // keep-alive connections idle longer are closed
constexpr char kHello[] = "Hello, World!\n";
constexpr size_t kMaxBytes = size_t(64) << 20;  // the largest /bytes/N

// "/bytes/N" -> N; false for any other path or an N out of range.
bool parseBytesPath(std::string_view path, size_t &n) {
  constexpr std::string_view prefix = "/bytes/";
  if (path.compare(0, prefix.size(), prefix) != 0 || path.size() == prefix.size() ||
      path.size() > prefix.size() + 8)
    return false;
  n = 0;
  for (size_t i = prefix.size(); i < path.size(); ++i) {
    if (path[i] < '0' || path[i] > '9')
      return false;
    n = n * 10 + size_t(path[i] - '0');
  }
  return n <= kMaxBytes;
}

// Lines of the alphabet, so a client can see where a transfer went wrong.
std::string textOfSize(size_t n) {
  std::string body(n, '\n');
  for (size_t i = 0; i < n; ++i)
    if (i % 27 != 26)
      body[i] = char('a' + i % 27);
  return body;
}

const char *reasonPhrase(int status) {
  switch (status) {
    case 200:
      return "OK";
    case 400:
      return "Bad Request";
    case 404:
      return "Not Found";
    case 405:
      return "Method Not Allowed";
    case 414:
      return "URI Too Long";
    case 431:
      return "Request Header Fields Too Large";
    case 501:
      return "Not Implemented";
    case 505:
      return "HTTP Version Not Supported";
    default:
      return "Error";
  }
}

// RFC 9110 §6.6.1: an origin server with a clock sends Date. Formatted once per second; only
// the service thread calls it, so the cache needs no lock.
const char *httpDate() {
  static time_t cachedAt = 0;
  static char text[64];
  time_t now = time(nullptr);
  if (now != cachedAt) {
    struct tm tm;
    gmtime_r(&now, &tm);
    strftime(text, sizeof text, "%a, %d %b %Y %H:%M:%S GMT", &tm);
    cachedAt = now;
  }
  return text;
}

class HttpConnection {
public:
  explicit HttpConnection(AsyncClient *client) : _client(client) {
    ++g_connections;
    _client->setRxTimeout(kIdleTimeoutSeconds);
    _client->onData(
        [](void *self, AsyncClient *, void *data, size_t len) {
          static_cast<HttpConnection *>(self)->handleData(static_cast<const char *>(data), len);
        },
        this);
    _client->onAck(
        [](void *self, AsyncClient *, size_t, uint32_t) {
          static_cast<HttpConnection *>(self)->flush();  // more of _out fits now
        },
        this);
    // As in ESPAsyncWebServer: data unacknowledged for the ack timeout ends the connection.
    _client->onTimeout([](void *, AsyncClient *c, uint32_t) { c->close(); }, nullptr);
    _client->onPoll(
        [](void *, AsyncClient *c) {
          if (g_stopping)
            c->close();
        },
        nullptr);
    _client->onError(
        [](void *, AsyncClient *c, int8_t error) {
          if (g_verbose)
            std::printf("%s:%u error %s\n", c->remoteIP().toString().c_str(), c->remotePort(),
                        AsyncClient::errorToString(error));
        },
        nullptr);
    _client->onDisconnect(
        [](void *self, AsyncClient *c) {
          delete static_cast<HttpConnection *>(self);
          delete c;
        },
        this);
  }
  ~HttpConnection() { --g_connections; }

private:
  void handleData(const char *data, size_t len) {
    if (_closing)
      return;  // the answer to the last request says we close: drop the rest
    const size_t received = len;
    while (len > 0) {
      size_t used = _parser.feed(data, len);
      data += used;
      len -= used;
      if (_parser.failed()) {
        respondError(_parser.errorStatus());
        break;
      }
      if (!_parser.done())
        break;  // the request continues in a later read
      respond(_parser.request());
      if (_closing)
        break;
      _parser.reset();
    }
    flush();
    // Answers that do not fit the send budget yet wait in _out; until they are out, this read
    // stays unacknowledged. Held reads fill the receive window, so the library stops reading
    // a client that pipelines faster than it reads and the kernel window closes on it.
    // flush() acks once _out drains.
    if (pending() > 0) {
      _client->ackLater();
      _heldBytes += received;
    }
  }

  void respond(const http::Request &req) {
    const bool head = req.method == "HEAD";
    int status = 200;
    size_t bytes = 0;
    const bool sized = parseBytesPath(req.path(), bytes);
    if (req.path() != "/" && !sized) {
      status = 404;
    } else if (req.method != "GET" && !head) {
      status = 405;
    }
    if (g_verbose)
      std::printf("%s %s HTTP/1.%d -> %d\n", req.method.c_str(), req.target.c_str(),
                  req.versionMinor, status);
    std::string text = status != 200 ? std::string(reasonPhrase(status)) + "\n"
                       : sized       ? textOfSize(bytes)
                                     : kHello;
    appendResponse(status, text, req.keepAlive, req.versionMinor == 0, head);
    if (!req.keepAlive)
      _closing = true;
  }

  void respondError(int status) {
    ++g_errors;
    if (g_verbose)
      std::printf("malformed request -> %d\n", status);
    appendResponse(status, std::string(reasonPhrase(status)) + "\n", false, false, false);
    _closing = true;
  }

  void appendResponse(int status, const std::string &body, bool keepAlive, bool http10, bool head) {
    ++g_requests;
    char headLines[256];
    int n = std::snprintf(headLines, sizeof headLines,
                          "HTTP/1.1 %d %s\r\n"
                          "Server: AsyncTCP-http_server\r\n"
                          "Date: %s\r\n"
                          "Content-Type: text/plain\r\n"
                          "Content-Length: %zu\r\n"
                          "%s%s%s"
                          "\r\n",
                          status, reasonPhrase(status), httpDate(), body.size(),
                          keepAlive ? "" : "Connection: close\r\n",
                          keepAlive && http10 ? "Connection: keep-alive\r\n" : "",
                          status == 405 ? "Allow: GET, HEAD\r\n" : "");
    _out.append(headLines, size_t(n));
    if (!head)
      _out += body;
  }

  size_t pending() const { return _out.size() - _outQueued; }

  // Hands as much of _out to the client as space() allows; the rest goes from onAck.
  void flush() {
    while (pending() > 0) {
      size_t room = _client->space();
      if (room == 0)
        break;
      size_t took = _client->add(_out.data() + _outQueued, std::min(room, pending()));
      if (took == 0)
        break;
      _outQueued += took;
    }
    if (_outQueued > 0)
      _client->send();
    if (pending() > 0)
      return;
    _out.clear();
    _outQueued = 0;
    if (_closing) {
      _client->close();  // graceful: what was added above is still delivered
    } else if (_heldBytes > 0) {
      _client->ack(_heldBytes);
      _heldBytes = 0;
    }
  }

  AsyncClient *_client;
  http::RequestParser _parser;
  std::string _out;       // answers not yet handed to the client
  size_t _outQueued = 0;  // bytes of _out already added
  size_t _heldBytes = 0;  // received bytes whose ack waits for _out to drain
  bool _closing = false;
};

}  // namespace

int main(int argc, char **argv) {
  const example::ServerOptions options = example::parseServerOptions(argc, argv, 8080);
  g_verbose = options.verbose;
  example::blockStopSignals();

  AsyncServer server(options.address, options.port);
  server.setNoDelay(true);
  server.onClient([](void *, AsyncClient *client) { new HttpConnection(client); }, nullptr);
  if (!example::startListening(server, options, "http_server"))
    return 1;
  const char *stoppedBy = example::waitForStop(server, g_stopping, g_connections);
  std::printf("http_server: %s, served %llu requests (%llu malformed), %d connections left\n",
              stoppedBy, g_requests.load(), g_errors.load(), g_connections.load());
  return 0;
}
