#include "stress/server.h"

#include <algorithm>
#include <cstring>

namespace stress {

std::string kindName(int kind) {
  static const char *const async[] = {"close-when-done", "delete-when-done", "close-early",
                                      "abort-early",     "delete-early",     "chaos-target"};
  static const char *const raw[] = {"echo", "half-close", "reset", "vanish", "idle"};
  if (kind >= 0 && kind < 6)
    return std::string("callback client ") + async[kind];
  if (kind == 10)
    return "remote-driven client";
  if (kind >= 20 && kind < 25)
    return std::string("raw peer ") + raw[kind - 20];
  return "unknown client (no header)";
}

void ServerConn::note(int event) {
  lastEvent = event;
  inSeen = in;
  pendingSeen = pending.size();
  unackedSeen = movedNotAcked;
  actedSeen = acted;
  if (haveSpec) {
    kindSeen = spec.kind;
    modeSeen = int(spec.mode);
  }
}

std::string ServerConn::describe() const {
  return "server connection from port " + std::to_string(peerPort) + ", " + kindName(kindSeen) +
         ", server mode " + std::to_string(modeSeen) + ", " + std::to_string(inSeen) +
         " bytes in, " + std::to_string(pendingSeen) + " pending, " + std::to_string(unackedSeen) +
         " held unacked, acted " + std::to_string(actedSeen) + ", last event " +
         std::to_string(lastEvent) + " (1 data 2 ack 3 poll 4 error), " +
         std::to_string(disconnects) + " disconnects";
}

StressServer::StressServer(Stats &stats) : _stats(stats), _server(tst::loopback4(), 0) {
  _server.onClient([this](void *, AsyncClient *c) { accept(c); }, nullptr);
  begin();
}

void StressServer::begin() {
  _server.begin();
  _port = _server.port();
}

void StressServer::end() {
  _port = 0;
  _server.end();
}

std::vector<std::shared_ptr<ServerConn>> StressServer::conns() {
  std::lock_guard<std::mutex> lock(_m);
  return _conns;
}

void StressServer::accept(AsyncClient *c) {
  auto sc = std::make_shared<ServerConn>();
  sc->stats = &_stats;
  {
    std::lock_guard<std::mutex> lock(_m);
    _conns.push_back(sc);
  }
  _stats.serverAccepted++;
  sc->peerPort = c->remotePort();
  c->setPollInterval(50);
  c->onData([sc](void *, AsyncClient *cl, void *d, size_t n) { onData(sc, cl, d, n); });
  c->onAck([sc](void *, AsyncClient *cl, size_t, uint32_t) {
    if (sc->gone) {
      sc->late++;
      return;
    }
    flush(*sc, cl, true);
    sc->note(2);
  });
  c->onPoll([sc](void *, AsyncClient *cl) {
    if (sc->gone) {
      sc->late++;
      return;
    }
    flush(*sc, cl, true);
    sc->note(3);
  });
  c->onError([sc](void *, AsyncClient *cl, int8_t) {
    if (sc->gone)
      sc->late++;
    sc->stats->serverErrors++;
    sc->note(4);
    if (sc->haveSpec && sc->spec.mode == ServerMode::Delete) {
      // The ESP32 sketch habit, on the server side.
      sc->gone = true;
      sc->deletedByUs = true;
      cl->close(true);
      delete cl;
    }
  });
  c->onDisconnect([sc](void *, AsyncClient *cl) {
    if (sc->gone)
      sc->late++;
    sc->gone = true;
    sc->disconnects++;
    delete cl;
  });
}

void StressServer::flush(ServerConn &sc, AsyncClient *c, bool mayAck) {
  size_t moved = 0;
  while (sc.pending.size()) {
    const size_t n = c->add(sc.pending.data(), sc.pending.size());
    if (n == 0)
      break;
    sc.pending.pop(n);
    moved += n;
  }
  if (moved)
    c->send();
  sc.movedNotAcked += moved;
  if (mayAck && sc.movedNotAcked) {
    c->ack(sc.movedNotAcked);
    sc.movedNotAcked = 0;
  }
}

void StressServer::onData(const std::shared_ptr<ServerConn> &sp, AsyncClient *c, void *data,
                          size_t len) {
  ServerConn &sc = *sp;
  if (sc.gone) {
    sc.late++;
    return;
  }
  sc.stats->serverBytesIn += len;
  const auto *d = static_cast<const uint8_t *>(data);
  if (!sc.haveSpec) {
    const size_t take = std::min(len, kHeader - sc.hdrLen);
    std::memcpy(sc.hdr + sc.hdrLen, d, take);
    sc.hdrLen += take;
    if (sc.hdrLen == kHeader) {
      sc.haveSpec = sc.spec.decode(sc.hdr);
      if (!sc.haveSpec) {
        sc.corrupt = true;
        sc.stats->fail("server: corrupted stream header");
      }
    }
  }
  if (sc.haveSpec && !sc.corrupt && !sc.spec.matches(sc.in, data, len)) {
    sc.corrupt = true;
    sc.stats->fail("server: received bytes that were not sent (offset " + std::to_string(sc.in) +
                   ")");
  }
  sc.in += len;
  sc.pending.append(data, len);
  c->ackLater();  // acknowledged once echoed: a slow reader slows its writer
  flush(sc, c, false);
  sc.note(1);
  if (!sc.haveSpec || sc.acted || sc.spec.mode == ServerMode::Echo ||
      sc.in < kHeader + sc.spec.threshold)
    return;
  sc.acted = true;
  if (sc.spec.mode == ServerMode::Close) {
    c->close();
  } else if (sc.spec.mode == ServerMode::Abort) {
    c->abort();
  } else {  // Delete
    sc.gone = true;
    sc.deletedByUs = true;
    delete c;
  }
}

}  // namespace stress
