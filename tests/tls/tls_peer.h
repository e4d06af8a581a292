// A TLS server peer scripted for the failure tests: a raw socket on a thread of its own,
// driving a session (src/tls) by hand, so it can do what no real server does on purpose:
// go silent, vanish or reset in the middle of the handshake, send garbage once it is done,
// stop reading.
#pragma once

#include <atomic>
#include <string>
#include <thread>

#include "test_support.h"
#include "tls/test_certs.h"

namespace tst::tls {

class TlsPeer {
public:
  enum class Script {
    Echo,                   // handshake, then echo every byte
    Silent,                 // accept, read, never answer
    CloseAfterHello,        // the ClientHello arrives: FIN
    ResetAfterHello,        // the ClientHello arrives: RST
    GarbageAfterHandshake,  // handshake, then bytes that are no TLS record
    Stall,                  // handshake, then read nothing until drain() is called
  };
  TlsPeer(Script script, const KeyPair &identity);
  ~TlsPeer();
  TlsPeer(const TlsPeer &) = delete;
  TlsPeer &operator=(const TlsPeer &) = delete;

  uint16_t port() const { return _listener.port(); }
  const IPAddress &ip() const { return _listener.ip(); }
  bool accepted() const { return _accepted.load(); }
  bool handshakeDone() const { return _handshakeDone.load(); }
  size_t plaintextReceived() const { return _received.load(); }
  bool peerEnded() const { return _ended.load(); }  // the client's FIN or RST came
  bool closeNotifyReceived() const { return _closeNotify.load(); }
  void drain() { _drain = true; }

private:
  void run();
  Script _script;
  KeyPair _identity;
  RawListener _listener;
  std::atomic<bool> _stop{false}, _accepted{false}, _handshakeDone{false}, _ended{false},
      _drain{false}, _closeNotify{false};
  std::atomic<size_t> _received{0};
  std::thread _thread;
};

}  // namespace tst::tls
