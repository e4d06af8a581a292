#include "tls/tls_peer.h"

#include <poll.h>
#include <sys/socket.h>

#include "tls/session.h"

namespace tst::tls {

using asynctcp::tls::Config;
using asynctcp::tls::Context;
using asynctcp::tls::Failure;
using asynctcp::tls::Role;
using asynctcp::tls::Session;

TlsPeer::TlsPeer(Script script, const KeyPair &identity)
    : _script(script), _identity(identity), _listener(peerIp4()) {
  _thread = std::thread([this] { run(); });
}

TlsPeer::~TlsPeer() {
  _stop = true;
  _thread.join();
}

void TlsPeer::run() {
  RawSocket sock = _listener.accept(10000ms);
  if (!sock.valid())
    return;
  _accepted = true;
  Config config;
  config.role = Role::Server;
  config.certPem = _identity.certPem;
  config.keyPem = _identity.keyPem;
  Failure why = Failure::None;
  std::string detail;
  std::unique_ptr<Session> session = Session::create(Context::create(config, &why, &detail), "");
  if (!session)
    return;
  auto flush = [&] {
    std::string out(session->pendingCipher(), '\0');
    out.resize(session->takeCipher(reinterpret_cast<uint8_t *>(&out[0]), out.size()));
    return out.empty() || sock.sendAll(out);
  };
  bool garbageSent = false;
  char buf[64 * 1024];
  while (!_stop) {
    if (_script == Script::Stall && _handshakeDone && !_drain) {
      std::this_thread::sleep_for(10ms);
      continue;
    }
    pollfd p{sock.fd(), POLLIN, 0};
    if (::poll(&p, 1, 20) <= 0)
      continue;
    const ssize_t n = ::recv(sock.fd(), buf, sizeof buf, 0);
    if (n <= 0) {
      _ended = true;
      return;
    }
    if (_script == Script::Silent)
      continue;
    if (_script == Script::CloseAfterHello)
      return;  // sock closes: FIN
    if (_script == Script::ResetAfterHello) {
      sock.closeWithReset();
      return;
    }
    session->feed(reinterpret_cast<const uint8_t *>(buf), size_t(n));
    if (session->peerClosed())
      _closeNotify = true;
    if (!flush())
      return;
    if (!session->handshakeDone())
      continue;
    _handshakeDone = true;
    uint8_t plain[64 * 1024];
    while (size_t got = session->read(plain, sizeof plain)) {
      _received += got;
      if (_script == Script::Echo && (!session->write(plain, got) || !flush()))
        return;
    }
    if (_script == Script::GarbageAfterHandshake && !garbageSent) {
      // An application-data record header, then bytes that decrypt to nothing.
      std::string garbage = "\x17\x03\x03\x00\x40" + pattern(64, 7);
      garbageSent = sock.sendAll(garbage);
    }
  }
}

}  // namespace tst::tls
