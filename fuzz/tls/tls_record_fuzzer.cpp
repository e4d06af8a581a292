// Fuzzes a secure AsyncServer connection with arbitrary bytes from its peer, at the point the
// input's first byte picks: before the handshake (the bytes stand for the ClientHello), in
// the middle of it (after a real ClientHello), or after it (as records on an established
// connection, which the server echoes). The server is the library's, on 127.0.0.1 with its
// real engine; the peer is a socket driven by a client session. Besides memory safety
// (ASan, UBSan, LeakSanitizer) it checks what the API promises: a connection whose peer has
// finished is ended by the server (no hang), every connection onClient saw ends with one
// onDisconnect, and nothing is announced that did not finish its handshake.
#include <AsyncTCP.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <memory>
#include <string>
#include <thread>

#include "tls/session.h"
#include "tls/test_certs.h"

namespace {

#define FUZZ_CHECK(cond, what)                                        \
  do {                                                                \
    if (!(cond)) {                                                    \
      std::fprintf(stderr, "tls fuzz: invariant broken: %s\n", what); \
      __builtin_trap();                                               \
    }                                                                 \
  } while (0)

using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;
namespace tls = asynctcp::tls;

std::atomic<int> g_announced{0}, g_ended{0}, g_late{0};

struct Server {
  tst::tls::KeyPair ca = tst::tls::makeCa("fuzz CA");
  tst::tls::KeyPair leaf = tst::tls::makeLeaf(ca, "localhost", {"127.0.0.1"});
  AsyncServer server{IPAddress(127, 0, 0, 1), 0};
  std::shared_ptr<tls::Context> client;

  Server() {
    server.onClient(
        [](void *, AsyncClient *c) {
          g_announced++;
          auto *ended = new bool(false);
          c->onData(
              [](void *e, AsyncClient *cl, void *data, size_t len) {
                if (*static_cast<bool *>(e))
                  g_late++;
                cl->write(static_cast<const char *>(data), len);  // the write path too
              },
              ended);
          c->onDisconnect(
              [](void *e, AsyncClient *cl) {
                auto *flag = static_cast<bool *>(e);
                if (*flag)
                  g_late++;
                *flag = true;
                g_ended++;
                delete flag;
                delete cl;
              },
              ended);
        },
        nullptr);
    FUZZ_CHECK(server.beginSecure(leaf.certPem.c_str(), leaf.keyPem.c_str(), nullptr),
               "beginSecure");
    tls::Config config;
    config.role = tls::Role::Client;
    config.verify = false;
    tls::Failure why = tls::Failure::None;
    std::string detail;
    client = tls::Context::create(config, &why, &detail);
    FUZZ_CHECK(client != nullptr, "client context");
  }
};

Server &server() {
  static Server *s = new Server();  // never freed: callbacks may run until the process ends
  return *s;
}

bool sendAll(int fd, const std::string &bytes) {
  size_t at = 0;
  while (at < bytes.size()) {
    const ssize_t n = ::send(fd, bytes.data() + at, bytes.size() - at, MSG_NOSIGNAL);
    if (n <= 0)
      return false;
    at += size_t(n);
  }
  return true;
}

bool flush(int fd, tls::Session &s) {
  std::string out(s.pendingCipher(), '\0');
  out.resize(s.takeCipher(reinterpret_cast<uint8_t *>(&out[0]), out.size()));
  return out.empty() || sendAll(fd, out);
}

// Reads until the server ends the connection (EOF or reset) or `limit` passes; feeds what
// arrives to the session while `feed` (the handshake's replies). True if the end came.
bool readUntilEnd(int fd, tls::Session *feed, Clock::duration limit, bool stopAtHandshake = false) {
  const Clock::time_point until = Clock::now() + limit;
  char buf[16384];
  while (Clock::now() < until) {
    if (stopAtHandshake && feed->handshakeDone())
      return false;
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, 20) <= 0)
      continue;
    const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n <= 0)
      return true;
    if (feed) {
      feed->feed(reinterpret_cast<const uint8_t *>(buf), size_t(n));
      if (!flush(fd, *feed))
        return true;
    }
  }
  return false;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size < 1)
    return 0;
  Server &s = server();
  const int mode = data[0] % 3;  // 0: instead of the handshake, 1: in it, 2: after it
  const std::string bytes(reinterpret_cast<const char *>(data) + 1, size - 1);

  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(s.server.port());
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  FUZZ_CHECK(::connect(fd, reinterpret_cast<sockaddr *>(&addr), sizeof addr) == 0, "connect");

  std::unique_ptr<tls::Session> session = tls::Session::create(s.client, "");
  bool open = true;
  if (mode >= 1) {
    session->start();
    open = flush(fd, *session);  // the ClientHello
  }
  if (open && mode == 2) {  // the whole handshake, then the records
    readUntilEnd(fd, session.get(), 5s, true);
    open = session->handshakeDone();
  }
  if (open)
    sendAll(fd, bytes);
  ::shutdown(fd, SHUT_WR);
  // The peer has finished: the server must end the connection, whatever it was sent.
  FUZZ_CHECK(readUntilEnd(fd, nullptr, 10s), "the server kept a finished connection open");
  const linger reset{1, 0};  // no TIME_WAIT: a minute of inputs would use up the ports
  ::setsockopt(fd, SOL_SOCKET, SO_LINGER, &reset, sizeof reset);
  ::close(fd);
  // Every connection announced ends, once, and nothing comes after its end.
  const Clock::time_point until = Clock::now() + 5s;
  while (g_ended.load() != g_announced.load() && Clock::now() < until)
    std::this_thread::sleep_for(1ms);
  FUZZ_CHECK(g_ended.load() == g_announced.load(), "an announced connection never ended");
  FUZZ_CHECK(g_late.load() == 0, "a callback after onDisconnect");
  return 0;
}
