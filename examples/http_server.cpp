// http_server: a small HTTP/1.1 "hello" server in the ESPAsyncWebServer style.
//
//   http_server [--host 127.0.0.1] [--port 8080] [--verbose] [--tls CERT KEY]
//               [--request-timeout-ms 10000] [--idle-timeout-ms 60000] [--send-timeout-ms 10000]
//   curl -si http://127.0.0.1:8080/
//   http_server --tls cert.pem key.pem; curl --cacert cert.pem https://127.0.0.1:8080/
//
// With --tls it serves HTTPS: the same code, as AsyncClient's data, space() and onAck are in
// plaintext over TLS (the handshake runs before onClient).
//
// One HttpConnection per accepted AsyncClient, created in onClient and deleted, together with
// its client, in onDisconnect. Requests are parsed incrementally (http/request_parser.h), so
// bytes may arrive split anywhere and several pipelined requests may arrive in one read; they
// are answered in order. HTTP/1.1 keeps the connection open unless "Connection: close";
// HTTP/1.0 closes unless "Connection: keep-alive". GET / answers "Hello, World!\n", GET /bytes/N
// N bytes of text (N up to 64 MiB: for throughput checks); other paths get 404, other methods
// 405, malformed requests 400 (414/431 for an oversized head) and a close.
//
// What a connection can make the server spend is bounded, as it must be for code facing a
// network:
// - Memory. An answer is made as the client takes it (http/response_stream.h): a piece at a
//   time while the send budget (space()) has room, the rest from onAck, never whole. Requests
//   behind an answer wait unparsed and unacknowledged (ackLater()), so a client that pipelines
//   faster than it reads has its receive window closed. A connection holds at most the head
//   limit (8 KiB), about a receive window of requests, one answer's head and the send budget.
// - Time. A request must arrive whole within --request-timeout-ms of its first byte (or of the
//   connection's start), however slowly it drips: 408, then a close. A connection idle between
//   requests for --idle-timeout-ms is closed. A client that acknowledges nothing of an answer
//   for --send-timeout-ms is reset (the ack timeout). 0 turns a timeout off.
#include <AsyncTCP.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <string>
#include <string_view>

#include "http/request_parser.h"
#include "http/response_stream.h"
#include "support/server_main.h"
#include "support/timeouts.h"

namespace {

std::atomic<bool> g_stopping{false};
std::atomic<int> g_connections{0};
std::atomic<unsigned long long> g_requests{0};
std::atomic<unsigned long long> g_errors{0};
std::atomic<unsigned long long> g_timeouts{0};
bool g_verbose = false;

struct Limits {
  uint32_t requestTimeoutMs = 10000;  // a whole request, from its first byte; not restarted
  uint32_t idleTimeoutMs = 60000;     // a keep-alive connection between requests
  uint32_t sendTimeoutMs = 10000;     // an answer the client acknowledges nothing of
};
Limits g_limits;
uint32_t g_pollIntervalMs = 500;

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
    case 408:
      return "Request Timeout";
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
    _client->setPollInterval(g_pollIntervalMs);  // onPoll checks the deadlines
    _client->setAckTimeout(g_limits.sendTimeoutMs);
    waitFor(Phase::Request);  // the first request's time runs from the connection's start
    _client->onData(
        [](void *self, AsyncClient *, void *data, size_t len) {
          static_cast<HttpConnection *>(self)->handleData(static_cast<const char *>(data), len);
        },
        this);
    _client->onAck(
        [](void *self, AsyncClient *, size_t, uint32_t) {
          static_cast<HttpConnection *>(self)->handleAck();  // room for more of the answer
        },
        this);
    // Nothing of what we sent was acknowledged for the send timeout: the client does not read.
    // A graceful close would wait to deliver data it will not take, so reset the connection.
    _client->onTimeout(
        [](void *, AsyncClient *c, uint32_t) {
          ++g_timeouts;
          c->abort();
        },
        nullptr);
    _client->onPoll(
        [](void *self, AsyncClient *c) {
          if (g_stopping)
            c->close();
          else
            static_cast<HttpConnection *>(self)->checkDeadline();
        },
        this);
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
  // What the connection waits for. Each wait has its own timeout, counted from when the wait
  // began: bytes do not restart it, so a request dripped a byte at a time still ends in time.
  enum class Phase {
    Request,  // for the rest of a request: --request-timeout-ms
    Idle,     // for the next request: --idle-timeout-ms
    Answer,   // for the client to take an answer: the ack timeout (--send-timeout-ms)
  };

  void handleData(const char *data, size_t len) {
    if (_closing)
      return;  // the answer to the last request says we close: drop the rest
    if (_backlog.empty()) {
      const size_t used = serve(std::string_view(data, len));
      _backlog.assign(data + used, len - used);
    } else {
      _backlog.append(data, len);  // behind requests not answered yet: keep the order
      serveBacklog();
    }
    // A read stays unacknowledged until all it asked for is handed over. Held reads fill the
    // receive window, so the library stops reading a client that pipelines faster than it
    // reads and the kernel window closes on it: the backlog stays within one window. Held
    // data also keeps a FIN waiting until the answers are out.
    if (busy()) {
      _client->ackLater();
      _heldBytes += len;
    }
    settle();
  }

  void handleAck() {
    if (!busy())
      return;  // nothing waits for room
    serveBacklog();
    settle();
  }

  void serveBacklog() {
    _backlog.erase(0, serve(_backlog));
    if (_backlog.empty())
      std::string().swap(_backlog);  // an idle connection keeps no buffer
  }

  // Answers requests from `input`, in order, for as long as the client's send budget takes
  // the answers; returns how much of `input` it used. The rest waits for onAck.
  size_t serve(std::string_view input) {
    size_t used = 0;
    while (writeAnswer() && !_closing && used < input.size()) {
      used += _parser.feed(input.data() + used, input.size() - used);
      if (_parser.failed()) {
        ++g_errors;
        answerError(_parser.errorStatus());
      } else if (_parser.done()) {
        answer(_parser.request());
        _parser.reset();
      }
    }
    if (_unsent) {
      _client->send();
      _unsent = false;
    }
    if (_closing && _response.done()) {
      // A stack may reset a connection closed with received data the application has not
      // taken (lwIP does, as RFC 1122 §4.2.2.13 allows), and the reset drops what is still
      // queued: release the held reads first. Then the close is graceful.
      releaseHeld();
      _client->close();
    }
    return _closing ? input.size() : used;  // after the last answer, the rest is dropped
  }

  // Hands the client as much of the current answer as its send budget takes; true once all of
  // it is handed over. The rest goes from onAck.
  bool writeAnswer() {
    char scratch[16 * 1024];  // a piece of a generated body
    while (!_response.done()) {
      const size_t room = _client->space();
      if (room == 0)
        return false;
      const std::string_view piece = _response.next(scratch, std::min(room, sizeof scratch));
      const size_t took = _client->add(piece.data(), piece.size());
      if (took == 0)
        return false;
      _response.consume(took);
      _unsent = true;
    }
    return true;
  }

  bool busy() const { return !_response.done() || !_backlog.empty(); }

  // After serving: acknowledges held reads once nothing they asked for waits any more, and
  // starts the timeout of what the connection waits for next.
  void settle() {
    if (_closing)
      return;
    if (!busy())
      releaseHeld();
    waitFor(!_response.done() ? Phase::Answer : _parser.started() ? Phase::Request : Phase::Idle);
  }

  void releaseHeld() {
    if (_heldBytes > 0)
      _client->ack(_heldBytes);
    _heldBytes = 0;
  }

  void waitFor(Phase phase) {
    if (phase == _phase)
      return;  // the same wait goes on: its deadline stands
    _phase = phase;
    const uint32_t limit = phase == Phase::Request ? g_limits.requestTimeoutMs
                           : phase == Phase::Idle  ? g_limits.idleTimeoutMs
                                                   : 0;
    _deadline = limit > 0 ? example::nowMs() + limit : 0;
  }

  void checkDeadline() {
    if (_closing || _deadline == 0 || example::nowMs() < _deadline)
      return;
    ++g_timeouts;
    if (_phase == Phase::Request && _parser.started()) {
      answerError(408);  // RFC 9110 §15.5.9: say why before closing
      serve({});
    } else {
      _client->close();
    }
  }

  void answer(const http::Request &req) {
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
    const bool http10 = req.versionMinor == 0;
    if (status != 200)
      startAnswer(status, std::string(reasonPhrase(status)) + "\n", 0, req.keepAlive, http10, head);
    else if (sized)
      startAnswer(status, "", bytes, req.keepAlive, http10, head);
    else
      startAnswer(status, kHello, 0, req.keepAlive, http10, head);
  }

  void answerError(int status) {
    if (g_verbose)
      std::printf("%s -> %d\n", status == 408 ? "request timed out" : "malformed request", status);
    startAnswer(status, std::string(reasonPhrase(status)) + "\n", 0, false, false, false);
  }

  // The answer's head and `body`, then `textBytes` of generated text (GET /bytes/N), made as
  // the client takes them.
  void startAnswer(int status, std::string_view body, uint64_t textBytes, bool keepAlive,
                   bool http10, bool headOnly) {
    ++g_requests;
    char headLines[256];
    int n = std::snprintf(headLines, sizeof headLines,
                          "HTTP/1.1 %d %s\r\n"
                          "Server: AsyncTCP-http_server\r\n"
                          "Date: %s\r\n"
                          "Content-Type: text/plain\r\n"
                          "Content-Length: %llu\r\n"
                          "%s%s%s"
                          "\r\n",
                          status, reasonPhrase(status), httpDate(),
                          static_cast<unsigned long long>(body.size() + textBytes),
                          keepAlive ? "" : "Connection: close\r\n",
                          keepAlive && http10 ? "Connection: keep-alive\r\n" : "",
                          status == 405 ? "Allow: GET, HEAD\r\n" : "");
    if (headOnly)
      _response.start(std::string_view(headLines, size_t(n)), {}, 0);
    else
      _response.start(std::string_view(headLines, size_t(n)), body, textBytes);
    if (!keepAlive)
      _closing = true;
    waitFor(Phase::Answer);
  }

  AsyncClient *_client;
  http::RequestParser _parser;
  http::ResponseStream _response;  // the answer being handed over
  std::string _backlog;            // received, not parsed yet: waits behind an answer
  size_t _heldBytes = 0;           // received bytes whose ack waits until they are answered
  Phase _phase = Phase::Answer;
  uint64_t _deadline = 0;  // on example::nowMs(); 0: none
  bool _unsent = false;    // added since the last send()
  bool _closing = false;
};

}  // namespace

int main(int argc, char **argv) {
  const example::ServerOptions options =
      example::parseServerOptions(argc, argv, 8080,
                                  {{"--request-timeout-ms", &g_limits.requestTimeoutMs},
                                   {"--idle-timeout-ms", &g_limits.idleTimeoutMs},
                                   {"--send-timeout-ms", &g_limits.sendTimeoutMs}});
  g_verbose = options.verbose;
  g_pollIntervalMs = example::pollIntervalFor({g_limits.requestTimeoutMs, g_limits.idleTimeoutMs});
  example::blockStopSignals();

  AsyncServer server(options.address, options.port);
  server.setNoDelay(true);
  server.onClient([](void *, AsyncClient *client) { new HttpConnection(client); }, nullptr);
  if (!example::startListening(server, options, "http_server"))
    return 1;
  const char *stoppedBy = example::waitForStop(server, g_stopping, g_connections);
  std::printf(
      "http_server: %s, served %llu requests (%llu malformed), %llu timed out, "
      "%d connections left\n",
      stoppedBy, g_requests.load(), g_errors.load(), g_timeouts.load(), g_connections.load());
  return 0;
}
