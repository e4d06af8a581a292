// https_client: fetches one URL over HTTPS (or plain HTTP) with AsyncClient, verifying the
// server: the system's trust store, or --cacert FILE (a PEM root CA, such as a self-signed
// server's own certificate). Prints the response (head and body) to stdout.
//
//   https_client https://example.org/
//   https_client --cacert cert.pem https://127.0.0.1:8443/
//   https_client --insecure https://self-signed.test/     (no verification: never the default)
//
// Exit status: 0 for a complete response, 1 when the connection failed (onError says why:
// "TLS certificate not trusted", "TLS certificate name mismatch", ...), 2 for bad arguments.
// The host name is resolved asynchronously, sent as SNI, and must be on the certificate.
#include <AsyncTCP.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <mutex>
#include <sstream>
#include <string>

namespace {

struct Url {
  bool secure = true;
  std::string host;
  uint16_t port = 443;
  std::string path = "/";
};

bool parseUrl(const std::string &text, Url &url) {
  std::string rest;
  if (text.rfind("https://", 0) == 0) {
    rest = text.substr(8);
  } else if (text.rfind("http://", 0) == 0) {
    url.secure = false;
    url.port = 80;
    rest = text.substr(7);
  } else {
    return false;
  }
  const size_t slash = rest.find('/');
  std::string authority = rest.substr(0, slash);
  if (slash != std::string::npos)
    url.path = rest.substr(slash);
  size_t colon = authority.rfind(':');
  if (!authority.empty() && authority[0] == '[') {  // [v6]:port
    const size_t close = authority.find(']');
    if (close == std::string::npos)
      return false;
    url.host = authority.substr(1, close - 1);
    colon = authority.find(':', close);
  } else {
    url.host = authority.substr(0, colon);
  }
  if (colon != std::string::npos) {
    const long port = std::strtol(authority.c_str() + colon + 1, nullptr, 10);
    if (port <= 0 || port > 65535)
      return false;
    url.port = uint16_t(port);
  }
  return !url.host.empty();
}

// What the callbacks (on the library's thread) tell main().
struct Fetch {
  std::mutex m;
  std::condition_variable cv;
  bool done = false;
  int8_t error = 0;
  std::string request;
};

[[noreturn]] void usage(const char *argv0) {
  std::fprintf(stderr, "usage: %s [--cacert FILE] [--insecure] URL\n", argv0);
  std::exit(2);
}

}  // namespace

int main(int argc, char **argv) {
  const char *cacert = nullptr;
  bool insecure = false;
  const char *urlText = nullptr;
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--cacert") == 0 && i + 1 < argc)
      cacert = argv[++i];
    else if (std::strcmp(argv[i], "--insecure") == 0)
      insecure = true;
    else if (!urlText && argv[i][0] != '-')
      urlText = argv[i];
    else
      usage(argv[0]);
  }
  Url url;
  if (!urlText || !parseUrl(urlText, url))
    usage(argv[0]);

  AsyncClient client;
  if (url.secure) {
#if ASYNC_TCP_SSL_ENABLED
    if (cacert) {
      std::ifstream in(cacert);
      std::stringstream pem;
      pem << in.rdbuf();
      if (!in || pem.str().empty()) {
        std::fprintf(stderr, "https_client: cannot read %s\n", cacert);
        return 2;
      }
      client.setRootCa(pem.str().c_str(), pem.str().size());
    }
    client.setInsecure(insecure);
#else
    std::fprintf(stderr, "https_client: AsyncTCP was built without TLS\n");
    return 2;
#endif
  }

  Fetch fetch;
  fetch.request = "GET " + url.path + " HTTP/1.1\r\nHost: " + url.host +
                  "\r\nUser-Agent: AsyncTCP-https_client\r\nConnection: close\r\n\r\n";
  client.onConnect(
      [](void *arg, AsyncClient *c) {
        auto *f = static_cast<Fetch *>(arg);
        c->write(f->request.data(), f->request.size());  // plaintext: TLS encrypts it
      },
      &fetch);
  client.onData(
      [](void *, AsyncClient *, void *data, size_t len) {
        std::fwrite(data, 1, len, stdout);  // already decrypted
      },
      nullptr);
  client.onError(
      [](void *arg, AsyncClient *, int8_t error) {
        auto *f = static_cast<Fetch *>(arg);
        std::lock_guard<std::mutex> lock(f->m);
        f->error = error;
      },
      &fetch);
  client.onDisconnect(
      [](void *arg, AsyncClient *) {
        auto *f = static_cast<Fetch *>(arg);
        std::lock_guard<std::mutex> lock(f->m);
        f->done = true;
        f->cv.notify_all();
      },
      &fetch);

#if ASYNC_TCP_SSL_ENABLED
  const bool started = client.connect(url.host.c_str(), url.port, url.secure);
#else
  const bool started = client.connect(url.host.c_str(), url.port);
#endif
  if (!started) {
    std::fprintf(stderr, "https_client: cannot connect to %s:%u\n", url.host.c_str(), url.port);
    return 1;
  }
  std::unique_lock<std::mutex> lock(fetch.m);
  if (!fetch.cv.wait_for(lock, std::chrono::seconds(60), [&] { return fetch.done; })) {
    std::fprintf(stderr, "https_client: no answer within 60 s\n");
    return 1;
  }
  std::fflush(stdout);
  if (fetch.error) {
    std::fprintf(stderr, "https_client: %s (%d)\n", AsyncClient::errorToString(fetch.error),
                 fetch.error);
    return 1;
  }
  return 0;
}
