// The fuzzer's AsyncServer, the one the peers connect to (OpenIn). Ops end it, begin it
// again (on a new port), delete it from the fuzzer's thread or inside its own onClient,
// and toggle its noDelay; every input ends with one listening again. Calls from the
// fuzzer's thread borrow it as they borrow clients (ops.cpp): a delete inside onClient
// waits for them, and they never wait for a callback.
#include "api/harness.h"
#include "api/peer.h"
#include "net/check.h"

namespace fuzz::api {

namespace {
AsyncServer *borrowServer() {
  Harness &h = harness();
  std::lock_guard<std::mutex> g(h.mu);
  if (h.server)
    ++h.serverBorrows;
  return h.server;
}

void giveServerBack() {
  Harness &h = harness();
  {
    std::lock_guard<std::mutex> g(h.mu);
    --h.serverBorrows;
  }
  h.borrowsDone.notify_all();
}

// The server, made when there is none; returned borrowed.
AsyncServer *borrowOrCreate() {
  if (AsyncServer *s = borrowServer())
    return s;
  auto *s = new AsyncServer(peer::serverAddress(), 0);
  t_inLibraryCall = true;
  s->onClient(onClient, nullptr);  // a new server: no callback to wait for
  t_inLibraryCall = false;
  Harness &h = harness();
  std::lock_guard<std::mutex> g(h.mu);
  h.server = s;
  ++h.serverBorrows;
  return s;
}

// Begins listening (a new server when there is none) and publishes the port. Unless
// `always`, a server already listening is left as it is (begin() would only wake the
// loop for nothing: the end of every input asks).
void listen(bool always) {
  AsyncServer *s = borrowOrCreate();  // only this thread replaces it
  t_inLibraryCall = true;
  if (always || s->status() != LISTEN)
    s->begin();
  const bool listening = s->status() == LISTEN;
  const uint16_t port = s->port();
  t_inLibraryCall = false;
  giveServerBack();
  FUZZ_REQUIRE(listening, "the fuzzer's server cannot listen");
  Harness &h = harness();
  std::lock_guard<std::mutex> g(h.mu);
  h.serverPort = port;
}

void deleteServer() {
  Harness &h = harness();
  AsyncServer *s;
  {
    std::lock_guard<std::mutex> g(h.mu);
    s = h.server;
    h.server = nullptr;
  }
  t_inLibraryCall = true;
  delete s;  // waits for its onClient, if it runs
  t_inLibraryCall = false;
}
}  // namespace

void serverCreate() {
  borrowOrCreate();
  giveServerBack();
}

void serverListen() {
  listen(false);
}

void serverOp(uint8_t what) {
  Harness &h = harness();
  switch (what % 5) {
    case 0:
      if (AsyncServer *s = borrowServer()) {
        t_inLibraryCall = true;
        s->end();  // accepted clients stay connected
        t_inLibraryCall = false;
        giveServerBack();
      }
      break;
    case 1:
      listen(true);
      break;
    case 2:
      deleteServer();
      break;
    case 3: {
      std::lock_guard<std::mutex> g(h.mu);
      h.deleteServerInOnClient = true;
      break;
    }
    case 4:
      if (AsyncServer *s = borrowServer()) {
        t_inLibraryCall = true;
        s->setNoDelay(!s->getNoDelay());
        t_inLibraryCall = false;
        giveServerBack();
      }
      break;
  }
}

// From onClient, once the client is handed over: the contract lets a server be deleted
// inside its own onClient.
void serverAfterOnClient() {
  Harness &h = harness();
  AsyncServer *s;
  {
    std::unique_lock<std::mutex> g(h.mu);
    if (!h.deleteServerInOnClient || !h.server)
      return;
    h.deleteServerInOnClient = false;
    s = h.server;
    h.server = nullptr;
    h.borrowsDone.wait(g, [&] { return h.serverBorrows == 0; });
  }
  t_inLibraryCall = true;
  delete s;
  t_inLibraryCall = false;
}

}  // namespace fuzz::api
