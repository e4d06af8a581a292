// TLS for one connection, as a filter of bytes: ciphertext from the peer goes in (feed()),
// plaintext comes out (read()); plaintext to send goes in (write()), ciphertext to put on
// the wire comes out (takeCipher()). It owns no socket and runs no loop, so the core drives
// it over either stack. One implementation per build: OpenSSL 3 through memory BIOs on a
// Linux host (openssl_session.cpp); an ESP32 build would implement the same with mbedTLS.
// Not thread-safe: the core calls it under its lock.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace asynctcp::tls {

// Why a session failed. Distinct, so the API can give each its own error code.
enum class Failure : uint8_t {
  None,
  Handshake,     // the handshake failed for another reason (no shared cipher or version, ...)
  Untrusted,     // the peer's certificate does not chain to a trusted root
  NameMismatch,  // the certificate is not for the name that was asked for
  Expired,       // the certificate (or one in its chain) is out of its validity period
  Pin,           // no pinned fingerprint matches the peer's certificate
  Psk,           // the pre-shared key (or its identity) does not match the peer's
  Protocol,      // bytes that are not TLS, or a record that fails to decrypt
  PeerAlert,     // the peer ended the handshake with an alert (it refused us)
  Config,        // a certificate, key or CA that does not load
};
const char *failureName(Failure f);

enum class Role : uint8_t { Client, Server };

// What a client trusts or a server presents; shared by every session made from it.
struct Config {
  Role role = Role::Client;
  // Verification (client; a server verifies clients only when caPem is set).
  bool verify = true;       // false only when the user asked for no verification
  bool systemRoots = true;  // the system's trust store (when verifying without caPem)
  std::string caPem;        // trusted roots, PEM text
  std::vector<std::vector<uint8_t>> pins;  // SHA-256 of the peer's DER certificate: any matches
  // Own certificate (server; a client too for mutual TLS).
  std::string certPem, keyPem, keyPassword;
  // Pre-shared key (TLS 1.2 PSK cipher suites, TLS 1.3 external PSK).
  std::string pskIdentity;
  std::vector<uint8_t> psk;
  // TLS versions: 0x0303 (1.2) .. 0x0304 (1.3).
  uint16_t minVersion = 0x0303, maxVersion = 0x0304;
};

// A loaded Config (certificates parsed, trust store read): made once per server or client
// configuration, shared by its sessions.
class Context {
public:
  ~Context();
  Context(const Context &) = delete;
  Context &operator=(const Context &) = delete;
  // nullptr and *why when the configuration does not load.
  static std::shared_ptr<Context> create(const Config &config, Failure *why, std::string *detail);
  const Config &config() const { return _config; }

  struct Impl;
  Impl *impl() const { return _impl.get(); }

private:
  explicit Context(const Config &config);
  Config _config;
  std::unique_ptr<Impl> _impl;
};

class Session {
public:
  // host: the server's name (client): sent as SNI and matched against its certificate; may
  // be an IP address literal (matched against the certificate's IP addresses), or empty
  // (no name check: only trust and pins).
  static std::unique_ptr<Session> create(std::shared_ptr<Context> context, const std::string &host);
  ~Session();
  Session(const Session &) = delete;
  Session &operator=(const Session &) = delete;

  // Ciphertext from the peer. Returns false once the session failed (failure()).
  bool feed(const uint8_t *data, size_t len);
  // Plaintext received, up to cap bytes; 0 when none is ready.
  size_t read(uint8_t *buf, size_t cap);
  // The plaintext received, in place (valid until the next feed()); consume() drops it.
  size_t peek(const uint8_t **data) const;
  void consume(size_t n);
  // Plaintext to send: all of it is taken once the handshake is done (records are made at
  // once); before that, nothing (0). Returns false once the session failed.
  bool write(const uint8_t *data, size_t len);
  // Ciphertext to put on the wire, in order: the handshake's and the records write() made.
  size_t pendingCipher() const;
  size_t takeCipher(uint8_t *buf, size_t cap);
  // Starts the handshake (a client's first flight is ready after it).
  bool start();
  // A close_notify alert, in pendingCipher(); nothing can be written after it.
  void close();

  bool handshakeDone() const;
  bool peerClosed() const;  // the peer's close_notify arrived
  Failure failure() const;
  const std::string &failureDetail() const;  // OpenSSL's words, for logs
  void *native() const;                      // the library's own session (OpenSSL: SSL*)
  // onAck in plaintext: given the count of ciphertext bytes the peer has acknowledged so
  // far (of those takeCipher() handed out), the count of plaintext bytes whose records were
  // all acknowledged. Handshake and alert bytes map to no plaintext. Never decreases.
  uint64_t plaintextAcked(uint64_t cipherBytesAcked);

  struct Impl;

private:
  Session();
  std::unique_ptr<Impl> _impl;
};

}  // namespace asynctcp::tls
