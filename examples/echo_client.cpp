// echo_client: connects, sends a message (or N bytes), reads the echo back and verifies it.
//
//   echo_client [--host 127.0.0.1] [--port 7000] [--message TEXT | --bytes N] [--timeout S]
//
// The host may be a name: connect(host, port) resolves it asynchronously. Sending follows the
// ESP32 pattern: add() what space() allows, send(), and continue from onAck. Exits 0 when every
// byte came back unchanged, 1 otherwise.
#include <AsyncTCP.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <string>

namespace {

struct Session {
  std::string payload;  // what we send and expect back
  size_t sent = 0;      // bytes handed to add()
  size_t received = 0;  // bytes echoed back and matching
  bool mismatch = false;
  int8_t error = ERR_OK;
  int osError = 0;
  std::chrono::steady_clock::time_point start;
  double elapsedMs = 0;

  std::mutex mutex;  // guards finished; everything else is only touched on the service thread
  std::condition_variable cv;
  bool finished = false;
};

void sendMore(Session *s, AsyncClient *client) {
  while (s->sent < s->payload.size()) {
    size_t room = client->space();
    if (room == 0)
      break;  // the rest goes from onAck
    size_t took =
        client->add(s->payload.data() + s->sent, std::min(room, s->payload.size() - s->sent));
    if (took == 0)
      break;
    s->sent += took;
  }
  client->send();
}

void onConnect(void *arg, AsyncClient *client) {
  auto *s = static_cast<Session *>(arg);
  s->start = std::chrono::steady_clock::now();
  sendMore(s, client);
}

void onData(void *arg, AsyncClient *client, void *data, size_t len) {
  auto *s = static_cast<Session *>(arg);
  const char *bytes = static_cast<const char *>(data);
  if (s->received + len > s->payload.size() ||
      std::memcmp(bytes, s->payload.data() + s->received, len) != 0) {
    s->mismatch = true;
    client->close();
    return;
  }
  s->received += len;
  if (s->received == s->payload.size()) {
    s->elapsedMs =
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - s->start)
            .count();
    client->close();
  }
}

void onError(void *arg, AsyncClient *client, int8_t error) {
  auto *s = static_cast<Session *>(arg);
  s->error = error;
  s->osError = client->lastErrno();
}

// Every way the connection ends (done, refused, DNS failure, reset, timeout) comes here once.
void onDisconnect(void *arg, AsyncClient *client) {
  auto *s = static_cast<Session *>(arg);
  delete client;
  std::lock_guard<std::mutex> lock(s->mutex);
  s->finished = true;
  s->cv.notify_all();
}

void usage(const char *argv0) {
  std::fprintf(
      stderr,
      "usage: %s [--host HOST] [--port N] [--message TEXT | --bytes N] [--timeout SECONDS]\n",
      argv0);
  std::exit(2);
}

long parseNumber(const char *text, long max, const char *argv0) {
  char *end = nullptr;
  long v = std::strtol(text, &end, 10);
  if (*end != '\0' || v < 0 || v > max)
    usage(argv0);
  return v;
}

}  // namespace

int main(int argc, char **argv) {
  const char *host = "127.0.0.1";
  long port = 7000;
  long timeoutSeconds = 10;
  std::string message = "hello from echo_client\n";
  long bytes = -1;
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--host") == 0 && i + 1 < argc) {
      host = argv[++i];
    } else if (std::strcmp(argv[i], "--port") == 0 && i + 1 < argc) {
      port = parseNumber(argv[++i], 65535, argv[0]);
    } else if (std::strcmp(argv[i], "--message") == 0 && i + 1 < argc) {
      message = argv[++i];
    } else if (std::strcmp(argv[i], "--bytes") == 0 && i + 1 < argc) {
      bytes = parseNumber(argv[++i], 1L << 30, argv[0]);
    } else if (std::strcmp(argv[i], "--timeout") == 0 && i + 1 < argc) {
      timeoutSeconds = parseNumber(argv[++i], 3600, argv[0]);
      if (timeoutSeconds == 0)
        usage(argv[0]);
    } else {
      usage(argv[0]);
    }
  }
  if (port == 0)
    usage(argv[0]);

  auto *session = new Session;  // outlives the client: freed only once it is known to be done
  if (bytes >= 0) {
    session->payload.resize(size_t(bytes));
    for (size_t i = 0; i < session->payload.size(); ++i)
      session->payload[i] = char('a' + (i * 7 + i / 251) % 26);  // no short period: shifts show
  } else {
    session->payload = message;
  }
  if (session->payload.empty()) {
    std::printf("echo_client: nothing to send\n");
    delete session;
    return 0;
  }

  auto *client = new AsyncClient;
  client->onConnect(onConnect, session);
  client->onData(onData, session);
  client->onAck(
      [](void *s, AsyncClient *c, size_t, uint32_t) { sendMore(static_cast<Session *>(s), c); },
      session);
  client->onError(onError, session);
  client->onDisconnect(onDisconnect, session);
  client->setConnectTimeout(uint32_t(timeoutSeconds) * 1000);
  client->setRxTimeout(uint32_t(timeoutSeconds));  // no echo for this long: give up
  if (!client->connect(host, uint16_t(port))) {
    std::fprintf(stderr, "echo_client: connect(%s, %ld) refused the arguments\n", host, port);
    delete client;  // no callback was started
    delete session;
    return 1;
  }

  // The library ends a stuck connection itself (connect timeout, rx timeout) and then calls
  // onDisconnect; the wait below is only a safety net for the case where it does not.
  std::unique_lock<std::mutex> lock(session->mutex);
  if (!session->cv.wait_for(lock, std::chrono::seconds(2 * timeoutSeconds + 5),
                            [&] { return session->finished; })) {
    // The client may still be in use on the service thread: leave it and the session alone.
    std::fprintf(stderr, "echo_client: FAIL: the connection never ended (%zu of %zu bytes back)\n",
                 session->received, session->payload.size());
    return 1;
  }
  lock.unlock();

  int status = 1;
  if (session->mismatch) {
    std::printf("echo_client: FAIL: echo differs from what was sent (after %zu good bytes)\n",
                session->received);
  } else if (session->received == session->payload.size()) {
    if (bytes >= 0)
      std::printf("echo_client: OK: %zu bytes echoed and verified in %.1f ms\n",
                  session->payload.size(), session->elapsedMs);
    else
      std::printf("echo_client: OK: %s%s", session->payload.c_str(),
                  session->payload.back() == '\n' ? "" : "\n");
    status = 0;
  } else if (session->error != ERR_OK) {
    std::printf("echo_client: FAIL: %s (%s), %zu of %zu bytes back\n",
                AsyncClient::errorToString(session->error),
                session->osError != 0 ? std::strerror(session->osError) : "no OS error",
                session->received, session->payload.size());
  } else {
    std::printf("echo_client: FAIL: connection closed after %zu of %zu bytes (%s)\n",
                session->received, session->payload.size(),
                session->sent < session->payload.size() ? "still sending" : "waiting for the echo");
  }
  delete session;
  return status;
}
