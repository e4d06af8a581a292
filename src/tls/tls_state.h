// What the core keeps for TLS: a client's settings and its connection's session (in
// ClientExtra, so a plain connection pays one pointer), and a server's context. The
// byte path through the session is client_tls.cpp; the public calls are tls_api.cpp.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "AsyncTCP.h"
#include "tls/session.h"

namespace asynctcp {

struct ServerImpl;

struct ClientTls {
  // Settings (AsyncClient's setters), kept across connects.
  tls::Config config;
  bool insecure = false;
  bool badSetting = false;                // a setter got something unusable (a PSK that is not hex)
  std::shared_ptr<tls::Context> context;  // made from config at the first secure connect

  // The connection's. The session lives until the next connect or the client is freed, so
  // plaintext handed to onData stays valid whatever the callback does.
  std::string host;  // SNI and the name the certificate must carry (may be an IP)
  std::unique_ptr<tls::Session> session;
  bool unannounced = false;      // accepted, and onClient has not run: its handshake runs
  ServerImpl *server = nullptr;  // the server to announce it to (null: the server went)
  std::string out;               // ciphertext the backend had no room for yet
  uint64_t cipherAcked = 0;      // ciphertext bytes the peer acknowledged, in total
  uint64_t plainAcked = 0;       // plaintext bytes reported to onAck, in total
  size_t cipherHeld = 0;         // ciphertext behind plaintext the user holds (ackLater)
  size_t cipherInDelivery = 0;   // lwIP's pbuf being delivered: the core consumes it after

  void resetConnection() {
    session.reset();
    unannounced = false;
    server = nullptr;
    out.clear();
    cipherAcked = plainAcked = 0;
    cipherHeld = 0;
    cipherInDelivery = 0;
  }
};

// A secure server's: its context, and the connections still in their handshake (told
// when the server goes, so none announces itself to a freed server).
struct ServerTls {
  std::shared_ptr<tls::Context> context;
  std::string pskIdentity;
  std::vector<uint8_t> psk;
  uint16_t minVersion = ASYNC_TCP_TLS_1_2, maxVersion = ASYNC_TCP_TLS_1_3;
  AcSSlFileHandler fileHandler;
  void *fileArg = nullptr;
  std::vector<struct ClientImpl *> handshaking;
};

// The error code onError reports for a failed session.
err_t tlsError(tls::Failure f);
// 1.2 and 1.3 are what the library speaks (ASYNC_TCP_TLS_1_2 .. _1_3).
bool validTlsVersions(uint16_t min, uint16_t max);
// A PSK as AsyncTCPSock takes it: hex digits, two per byte. False if it is not that.
bool decodeHex(const char *hex, std::vector<uint8_t> *out);

}  // namespace asynctcp
