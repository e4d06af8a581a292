// An AsyncServer that echoes, with or without flow control (ackLater()/ack()).
#include "test_support.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gtest/gtest.h>

#if defined(ASYNCTCP_BACKEND_LWIP)
extern "C" {
#include "lwip/tcp.h"  // TCP_SND_BUF
}
#include "lwip/tap_link.h"
#endif

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace tst {

namespace {

struct EchoConn {
  ByteQueue pending;
  size_t movedNotAcked = 0;  // flow control: queued for sending but not yet ack()ed
};

}  // namespace

struct EchoServer::State {
  bool flowControl = false;
  mutable std::mutex m;
  int accepted = 0, live = 0, disconnects = 0;
  std::vector<int> errors;
  size_t echoed = 0;
  std::vector<IPAddress> remoteIPs;
};

namespace {

// Moves pending bytes into the client's send budget. With flow control the moved bytes are
// acknowledged afterwards, outside onData (ESP32 counts data held by ackLater() only once
// onData has returned).
void echoFlush(EchoServer::State &st, EchoConn &conn, AsyncClient *c, bool mayAck) {
  size_t moved = 0;
  while (conn.pending.size() > 0) {
    size_t n = c->add(conn.pending.data(), conn.pending.size(), ASYNC_WRITE_FLAG_COPY);
    if (n == 0)
      break;
    conn.pending.pop(n);
    moved += n;
  }
  if (moved > 0) {
    c->send();
    std::lock_guard<std::mutex> lock(st.m);
    st.echoed += moved;
  }
  if (st.flowControl) {
    conn.movedNotAcked += moved;
    if (mayAck && conn.movedNotAcked > 0) {
      c->ack(conn.movedNotAcked);
      conn.movedNotAcked = 0;
    }
  }
}

}  // namespace

EchoServer::EchoServer(IPAddress addr, bool flowControl)
    : _server(std::make_unique<AsyncServer>(addr, 0)) {
  start(flowControl);
}

EchoServer::EchoServer(std::unique_ptr<AsyncServer> server, bool flowControl)
    : _server(std::move(server)) {
  start(flowControl);
}

void EchoServer::start(bool flowControl) {
  _state = std::make_shared<State>();
  _state->flowControl = flowControl;
  std::shared_ptr<State> st = _state;
  _server->onClient(
      [st](void *, AsyncClient *c) {
        auto *conn = new EchoConn;
        {
          std::lock_guard<std::mutex> lock(st->m);
          st->accepted++;
          st->live++;
          st->remoteIPs.push_back(c->remoteIP());
        }
        c->onData([st, conn](void *, AsyncClient *cl, void *data, size_t len) {
          conn->pending.append(data, len);
          if (st->flowControl)
            cl->ackLater();
          echoFlush(*st, *conn, cl, false);
        });
        c->onAck([st, conn](void *, AsyncClient *cl, size_t, uint32_t) {
          echoFlush(*st, *conn, cl, true);
        });
        c->onPoll([st, conn](void *, AsyncClient *cl) { echoFlush(*st, *conn, cl, true); });
        c->onError([st](void *, AsyncClient *, int8_t err) {
          std::lock_guard<std::mutex> lock(st->m);
          st->errors.push_back(err);
        });
        c->onDisconnect([st, conn](void *, AsyncClient *cl) {
          {
            std::lock_guard<std::mutex> lock(st->m);
            st->live--;
            st->disconnects++;
          }
          delete conn;
          delete cl;  // last: this closure dies with the client
        });
      },
      nullptr);
  _server->begin();
}

EchoServer::~EchoServer() {
  _server->end();
  if (!waitAllDisconnected(5000ms)) {
    ADD_FAILURE() << "EchoServer: " << live()
                  << " accepted client(s) never got onDisconnect after their peer went away";
  }
  _server.reset();
}

int EchoServer::accepted() const {
  std::lock_guard<std::mutex> lock(_state->m);
  return _state->accepted;
}
int EchoServer::live() const {
  std::lock_guard<std::mutex> lock(_state->m);
  return _state->live;
}
int EchoServer::disconnects() const {
  std::lock_guard<std::mutex> lock(_state->m);
  return _state->disconnects;
}
std::vector<int> EchoServer::errors() const {
  std::lock_guard<std::mutex> lock(_state->m);
  return _state->errors;
}
size_t EchoServer::bytesEchoed() const {
  std::lock_guard<std::mutex> lock(_state->m);
  return _state->echoed;
}
std::vector<IPAddress> EchoServer::remoteIPs() const {
  std::lock_guard<std::mutex> lock(_state->m);
  return _state->remoteIPs;
}
bool EchoServer::waitAccepted(int n, milliseconds timeout) const {
  return waitFor([&] { return accepted() >= n; }, timeout);
}
bool EchoServer::waitAllDisconnected(milliseconds timeout) const {
  return waitFor([&] { return live() == 0; }, timeout);
}

}  // namespace tst
